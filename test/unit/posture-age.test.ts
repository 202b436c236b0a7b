// A device-posture result counts only while recent (policy/posture-age.ts): its timestamp an RFC 3339 instant,
// no older than the bound at the request's time, and not ahead of it by more than the clock skew.
import { describe, expect, it } from "vitest";
import { currentPosture, isCurrentPosture, postureInstant } from "../../policy/index.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const HOUR = 3_600_000;

describe("postureInstant", () => {
  it("reads the timestamps Access writes", () => {
    expect(postureInstant("2021-12-21T21:34:10.424Z")).toBe(Date.parse("2021-12-21T21:34:10.424Z"));
    expect(postureInstant("2026-03-02T13:00:00+01:00")).toBe(NOW);
  });

  it("takes nothing else as an instant", () => {
    for (const text of [
      undefined,
      null,
      1_772_452_800,
      NOW,
      "",
      "yesterday",
      "2026-03-02",
      "2026-03-02T12:00Z",
      "2026-03-02T12:00:00",
      "2026-02-30T12:00:00Z",
      "2026-03-02T24:00:00Z",
      "2026-03-02T23:59:60Z",
      "Mon, 02 Mar 2026 12:00:00 GMT",
      " 2026-03-02T12:00:00Z",
      { iso: "2026-03-02T12:00:00Z" },
    ])
      expect(postureInstant(text), JSON.stringify(text)).toBeNaN();
  });
});

describe("isCurrentPosture", () => {
  it("counts a result up to the bound, and one a little ahead of the clock", () => {
    expect(isCurrentPosture(NOW - 25 * HOUR, NOW, 25 * HOUR)).toBe(true);
    expect(isCurrentPosture(NOW - 25 * HOUR - 1, NOW, 25 * HOUR)).toBe(false);
    expect(isCurrentPosture(NOW + 30_000, NOW, 25 * HOUR)).toBe(true);
    expect(isCurrentPosture(NOW + 30_001, NOW, 25 * HOUR)).toBe(false);
    expect(isCurrentPosture(Number.NaN, NOW, 25 * HOUR)).toBe(false);
  });
});

describe("currentPosture", () => {
  it("keeps the results current at the request's time, and when each was evaluated", () => {
    const results = {
      fresh: { success: true, at: NOW - HOUR },
      failing: { success: false, at: NOW - 2 * HOUR },
      stale: { success: true, at: NOW - 7 * 24 * HOUR },
      ahead: { success: true, at: NOW + HOUR },
    };
    expect(currentPosture(results, NOW, 25 * HOUR)).toEqual({
      devicePosture: { fresh: true, failing: false },
      devicePostureAt: { fresh: NOW - HOUR, failing: NOW - 2 * HOUR },
      // Reported, but counting for nothing: named so the person's page can say so.
      devicePostureStale: ["stale", "ahead"],
    });
    // The same answer later (reused, or a WebSocket still open): what was current goes stale, what was ahead counts.
    const later = (ms: number) => currentPosture(results, NOW + ms, 25 * HOUR).devicePosture;
    expect(later(23 * HOUR)).toEqual({ fresh: true, failing: false, ahead: true });
    expect(later(24 * HOUR + 1)).toEqual({ ahead: true });
    expect(later(26 * HOUR + 1)).toEqual({});
    expect(currentPosture(results, NOW + 24 * HOUR + 1, 25 * HOUR).devicePostureStale).toEqual([
      "fresh",
      "failing",
      "stale",
    ]);
  });
});
