// pair.ts --api names workerd's API members from the mangled symbols of a real dump: lines of
// `callgrind_annotate --inclusive=yes` taken from a run of the full variant (workerd 1.20261102).
import { describe, expect, it } from "vitest";
import excerpt from "../fixtures/callgrind/annotated-excerpt.txt?raw";
import { apiMember, runtimeCalls } from "../bench/runtime-calls.ts";

const lines = excerpt.trimEnd().split("\n");
const symbolOf = (line: string) => line.replace(/^.*?\?\?\?:/, "").replace(/ \[[^\]]*\]\s*$/, "");
const deleteLine = lines.find((line) => line.includes("7delete_E"))!;

describe("the calls into workerd's API in a callgrind dump", () => {
  it("names each member from its jsg binding: methods, getters as properties, constructors", () => {
    expect(runtimeCalls(excerpt, 100)).toEqual([
      ["Headers.get", 46_824.92],
      ["Request.cf (getter)", 41_907.9],
      ["new Response", 39_116.79],
      ["new URL", 27_276.01],
      ["Headers.delete", 25_167.71],
      ["Headers.KeyIterator.next", 9457],
      ["ServiceWorkerGlobalScope.setTimeout", 8106.42],
      ["Request.method (getter)", 2720],
    ]);
  });

  it("leaves out the runtime's other functions, jsg's own among them, and a binding's inner lambdas", () => {
    const others = lines.filter((line) =>
      /tcmalloc|JsonStringifier|_ZZN7workerd3jsg14MethodCallback|promiseContinuation|RemoveRvalueRef_/.test(line),
    );
    expect(others).toHaveLength(5);
    for (const line of others) expect(apiMember(symbolOf(line))).toBeUndefined();
    expect(runtimeCalls(others.join("\n"), 1)).toEqual([]);
  });

  it("counts a recursive call's frame ('2) not again: it is inside the outer call's count", () => {
    const recursive = deleteLine.replace("2,516,771", "1,000,000").replace(/ \[/, "'2 [");
    expect(recursive).not.toBe(deleteLine);
    expect(runtimeCalls(`${recursive}\n${deleteLine}`, 100)).toEqual([["Headers.delete", 25_167.71]]);
  });

  it("adds up two bindings of one C++ member (as URL's toString and toJSON are both getHref)", () => {
    const other = deleteLine.replace("2,516,771", "1,000,000").replace("4NAME_5E", "4NAME_9E");
    expect(other).not.toBe(deleteLine);
    expect(runtimeCalls(`${deleteLine}\n${other}`, 100)).toEqual([["Headers.delete", 35_167.71]]);
  });

  it("gives up at once on a binding-like symbol it cannot read", () => {
    // No registerMembers, a long tail of name-like pieces and a suffix: a backtracking pattern would never end.
    const symbol = `_ZN7workerd3jsg14MethodCallbackIN3api${"1a".repeat(400)}'2`;
    expect(apiMember(symbol)).toBeUndefined();
    expect(apiMember(`${symbolOf(deleteLine).slice(0, 200)}`)).toBeUndefined();
  });
});
