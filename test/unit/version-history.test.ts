// The history PolicyControl records, read for `ward rollback`: which version a plain rollback returns to, and
// whether `--to` goes back or forward.
import { describe, expect, it } from "vitest";
import { activatedSince, type HistoryMove, versionBefore } from "../../policy/index.ts";

// Newest first, as the admin API answers: bootstrapped A (KV written directly: no entry), pushed B, pushed C,
// rolled back to B, a shadow of D set (not a move).
const history: HistoryMove[] = [
  { action: "shadow", version: "D", previous: null },
  { action: "rollback", version: "B", previous: "C" },
  { action: "push", version: "C", previous: "B" },
  { action: "push", version: "B", previous: "A" },
];

describe("version history", () => {
  it("a plain rollback returns to the version the latest move to the active one came from", () => {
    expect(versionBefore(history, "B")).toBe("C");
    expect(versionBefore(history, "C")).toBe("B");
    expect(versionBefore(history, "A")).toBeUndefined();
    expect(versionBefore([{ action: "push", version: "B", previous: "B" }], "B")).toBeUndefined();
  });

  it("--to a version activated since the active one first was goes forward; an older one back", () => {
    expect(activatedSince(history, "C", "B")).toBe(true);
    expect(activatedSince(history, "B", "C")).toBe(false);
    // A, bootstrapped outside the history, shows only as the first push's previous: older than everything.
    expect(activatedSince(history, "A", "B")).toBe(false);
    expect(activatedSince(history, "B", "A")).toBe(true);
    expect(activatedSince(history, "C", "A")).toBe(true);
    // A shadow is never a move, and a version the recent history does not show is neither.
    expect(activatedSince(history, "D", "B")).toBeUndefined();
    expect(activatedSince(history, "E", "B")).toBeUndefined();
  });
});
