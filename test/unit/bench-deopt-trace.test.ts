// bench:deopts counts what V8's --trace-deopt printed: lines taken from a trace of the full variant
// (workerd 1.20261102) before verifyAccessToken's deoptimisation loop was ended; then a lazy deoptimisation
// in the form V8 prints it (its reason "(unknown)"), and a function without a name (node 22's V8, same format).
import { describe, expect, it } from "vitest";
import excerpt from "../fixtures/v8/deopt-trace-excerpt.txt?raw";
import { countTrace, tracedOptimising } from "../bench/deopt-trace.ts";

describe("a --trace-deopt excerpt", () => {
  it("counts deoptimisations and discarded code by function, and nothing else", () => {
    const { deopts, weakClears } = countTrace(excerpt);
    expect([...deopts]).toEqual([
      ["verifyAccessToken", 3],
      ["evaluate", 1],
      ["gateway", 1],
      [expect.stringMatching(/^\(anonymous 0x[0-9a-f]+\)$/), 1],
    ]);
    expect([...weakClears]).toEqual([
      ["decisionLine", 1],
      ["write", 1],
      ["claimsOf", 1],
    ]);
  });

  it("counts nothing in text that is no trace", () => {
    const { deopts, weakClears } = countTrace(
      '{"level":"info","event":"decision"}\n[compiling method 0x1 <JSFunction f>]\n',
    );
    expect(deopts.size + weakClears.size).toBe(0);
  });

  it("tells a trace that saw a function optimised from one that did not (a wrapper that never ran)", () => {
    expect(tracedOptimising(excerpt, "verifyAccessToken")).toBe(true);
    // Named in the excerpt, but only deoptimised or marked for optimisation: no completed compile.
    expect(tracedOptimising(excerpt, "evaluate")).toBe(false);
    expect(tracedOptimising(excerpt, "verifyAccess")).toBe(false);
    expect(tracedOptimising("", "gateway")).toBe(false);
  });
});
