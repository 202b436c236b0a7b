// Instants typed on the command line mean the same on every machine: with an offset, or a date alone (UTC).
import { describe, expect, it } from "vitest";
import { instantFlag } from "../../scripts/instant.ts";

describe("instantFlag", () => {
  it.each([
    ["2026-03-02T10:00:00Z", "2026-03-02T10:00:00.000Z"],
    ["2026-03-02T10:00Z", "2026-03-02T10:00:00.000Z"],
    ["2026-03-02t10:00:00z", "2026-03-02T10:00:00.000Z"],
    ["2026-03-02T11:00:00+01:00", "2026-03-02T10:00:00.000Z"],
    ["2026-03-02T11:00:00+0100", "2026-03-02T10:00:00.000Z"],
    ["2026-03-02", "2026-03-02T00:00:00.000Z"],
    // From a generated review: Date.parse read ten fraction digits as another fraction (here 500 ms).
    ["2026-03-02T10:00:00.0500000000Z", "2026-03-02T10:00:00.050Z"],
  ])("reads %s as %s", (value, expected) => {
    expect(new Date(instantFlag("time", value)).toISOString()).toBe(expected);
  });

  it.each(["2026-03-02T19:00:00", "2026-03-02 19:00", "March 7, 2026"])(
    "refuses %s, which this machine's time zone would decide, saying to give the offset",
    (value) => {
      expect(() => instantFlag("time", value)).toThrow(`--time ${value}: give the offset (Z for UTC, or +01:00)`);
    },
  );

  // From a review: Date.parse rolled each into the next month, so a typo became a grant or revocation ending days later.
  it.each(["2026-02-30", "2026-02-29T12:00:00Z", "2026-04-31T00:00:00Z", "2026-02-31T10:00:00+01:00"])(
    "refuses %s, a day the calendar does not have",
    (value) => {
      expect(() => instantFlag("until", value)).toThrow(`--until ${value}: there is no such day`);
    },
  );

  it("reads a leap day in a leap year", () => {
    expect(new Date(instantFlag("until", "2028-02-29T12:00:00Z")).toISOString()).toBe("2028-02-29T12:00:00.000Z");
  });

  it.each(["yesterday", "", "2026-13-45T00:00:00Z", "Sat, 07 Mar 2026 10:00:00 Z"])(
    "refuses %j as no instant",
    (value) => {
      expect(() => instantFlag("since", value)).toThrow(`--since ${value}: expected an ISO 8601 instant`);
    },
  );
});
