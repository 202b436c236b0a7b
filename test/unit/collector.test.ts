// The issues of one run: warnings of one code are kept up to WARNINGS_PER_CODE, then counted (a review found a
// valid 264 KB policy that made a million deny-covers-route warnings, 350 MB); the checks that can only warn
// share WARNING_WORK, and none works where warnings are not wanted.
import { describe, expect, it } from "vitest";
import { Collector, WARNING_WORK, WARNINGS_PER_CODE } from "../../policy/validate/collector.ts";

describe("Collector", () => {
  it("keeps WARNINGS_PER_CODE warnings of a code, then one that counts the rest; errors all", () => {
    const out = new Collector();
    for (let i = 0; i < WARNINGS_PER_CODE + 5; i++) out.add("warning", "shadowed-rule", `r[${i}]`, "shadowed");
    for (let i = 0; i < 3; i++) out.add("warning", "public-origin", `s${i}`, "public");
    for (let i = 0; i < WARNINGS_PER_CODE + 5; i++) out.add("error", "duplicate-id", `d[${i}]`, "again");
    const issues = out.finish();
    expect(issues.filter((i) => i.code === "shadowed-rule")).toHaveLength(WARNINGS_PER_CODE + 1);
    expect(issues.filter((i) => i.code === "duplicate-id")).toHaveLength(WARNINGS_PER_CODE + 5);
    expect(issues.at(-1)).toEqual({
      severity: "warning",
      code: "shadowed-rule",
      path: "(document)",
      message: "and 5 more shadowed-rule warnings like those above",
    });
  });

  it("lets the warning checks work up to WARNING_WORK, and not at all without warnings", () => {
    const out = new Collector();
    expect(out.mayWork(WARNING_WORK - 1)).toBe(true);
    expect(out.mayWork(1)).toBe(true);
    expect(out.mayWork(1)).toBe(false);
    expect(new Collector(false).mayWork(1)).toBe(false);
    const quiet = new Collector(false);
    quiet.add("warning", "shadowed-rule", "r", "x");
    expect(quiet.issues).toEqual([]);
  });
});
