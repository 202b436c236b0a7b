// pair.ts --api names workerd's API members from the mangled symbols of a real dump: lines of
// `callgrind_annotate --inclusive=yes` taken from a run of the full variant (workerd 1.20261102).
import { describe, expect, it } from "vitest";
import excerpt from "../fixtures/callgrind/annotated-excerpt.txt?raw";
import { apiMember, runtimeCalls } from "../bench/runtime-calls.ts";

describe("the calls into workerd's API in a callgrind dump", () => {
  it("names each member from its jsg binding: methods, getters as properties, constructors", () => {
    expect(runtimeCalls(excerpt, 100)).toEqual([
      ["Headers.get", 46_824.92],
      ["Request.cf (getter)", 41_907.9],
      ["new Response", 39_116.79],
      ["new url::URL", 27_276.01],
      ["Headers.delete", 25_167.71],
      ["Headers.KeyIterator.next", 9457],
      ["ServiceWorkerGlobalScope.setTimeout", 8106.42],
      ["Request.method (getter)", 2720],
    ]);
  });

  it("leaves out whatever is not a binding (the runtime's own functions)", () => {
    const lines = excerpt.split("\n").filter((line) => /tcmalloc|JsonStringifier/.test(line));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(apiMember(line.replace(/^.*\?\?\?:/, ""))).toBeUndefined();
    expect(runtimeCalls(lines.join("\n"), 1)).toEqual([]);
  });

  it("counts a member called within itself once, at the outer call's count", () => {
    const outer = excerpt.split("\n").find((line) => line.includes("7delete_E"))!;
    // callgrind_annotate names a recursive call's frame with a suffix ('2), its count inside the outer one's.
    const recursive = outer.replace("2,516,771", "1,000,000").replace(/ \[/, "'2 [");
    expect(recursive).not.toBe(outer);
    expect(runtimeCalls(`${recursive}\n${outer}`, 100)).toEqual([["Headers.delete", 25_167.71]]);
  });
});
