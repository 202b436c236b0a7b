// bench:deopts counts what V8's --trace-deopt printed: lines taken from a trace of the full variant
// (workerd 1.20261102) before verifyAccessToken's deoptimisation loop was ended.
import { describe, expect, it } from "vitest";
import excerpt from "../fixtures/v8/deopt-trace-excerpt.txt?raw";
import { countTrace } from "../bench/deopt-trace.ts";

describe("a --trace-deopt excerpt", () => {
  it("counts deoptimisations and discarded code by function, and nothing else", () => {
    const { deopts, weakClears } = countTrace(excerpt);
    expect([...deopts]).toEqual([
      ["verifyAccessToken", 3],
      ["evaluate", 1],
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
});
