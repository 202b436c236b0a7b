// Rule conditions: each kind at its edges, and every failure reported, not just the first.
import { describe, expect, it } from "vitest";
import { compileConditions, failedConditions, type ConditionContext } from "../../policy/conditions.ts";
import type { Identity } from "../../policy/identity.ts";
import type { Conditions } from "../../policy/schema.ts";

// 2026-03-02 is a Monday.
const MONDAY_NOON = Date.parse("2026-03-02T12:00:00Z");
const at = (iso: string): number => Date.parse(iso);
const alice: Identity = { user: { email: "alice@example.com" } };

function failures(when: Conditions, ctx: Partial<ConditionContext> = {}): string[] {
  return failedConditions(compileConditions(when), { identity: alice, now: MONDAY_NOON, ...ctx });
}

describe("scopes: every scope must be granted", () => {
  it.each<[string[], readonly string[] | undefined, string[]]>([
    [["a"], ["a"], []],
    [["a", "b"], ["b", "c", "a"], []],
    [["a"], undefined, ["missing scope a"]],
    [["a"], [], ["missing scope a"]],
    [["a", "b", "c"], ["b"], ["missing scope a, c"]],
    [["payments:charge"], ["payments:refund"], ["missing scope payments:charge"]],
    [["a"], ["A"], ["missing scope a"]],
  ])("requires %j, granted %j -> %j", (scopes, granted, expected) => {
    expect(failures({ scopes }, { identity: { ...alice, scopes: granted } })).toEqual(expected);
  });
});

describe("claims", () => {
  it.each<[Conditions["claims"], Record<string, unknown> | undefined, boolean]>([
    [{ dept: "eng" }, { dept: "eng" }, true],
    [{ dept: "eng" }, { dept: "ops" }, false],
    [{ dept: ["eng", "ops"] }, { dept: "ops" }, true],
    [{ roles: "admin" }, { roles: ["viewer", "admin"] }, true],
    [{ roles: "admin" }, { roles: ["viewer"] }, false],
    [{ dept: "eng" }, undefined, false],
  ])("%j with %j holds: %s", (claims, have, holds) => {
    const failed = failures({ claims }, { identity: { ...alice, claims: have } });
    expect(failed).toEqual(holds ? [] : [`claims ${JSON.stringify(claims)} not held`]);
  });
});

describe("time.days (UTC)", () => {
  it.each<[Conditions["time"] & object, string, boolean]>([
    [{ days: ["mon"] }, "2026-03-02T00:00:00Z", true],
    [{ days: ["mon"] }, "2026-03-02T23:59:59Z", true],
    [{ days: ["mon"] }, "2026-03-01T23:59:59Z", false],
    [{ days: ["mon"] }, "2026-03-03T00:00:00Z", false],
    [{ days: ["sun"] }, "2026-03-01T12:00:00Z", true],
    [{ days: ["sun"] }, "2026-03-07T12:00:00Z", false],
    [{ days: ["sat", "sun"] }, "2026-03-07T12:00:00Z", true],
    [{ days: ["mon", "tue", "wed", "thu", "fri"] }, "2026-03-06T12:00:00Z", true],
    [{ days: ["mon", "tue", "wed", "thu", "fri"] }, "2026-03-08T12:00:00Z", false],
    // UTC, not the offset the instant is written in: 01:00+02:00 on Tuesday is Monday 23:00 UTC.
    [{ days: ["mon"] }, "2026-03-03T01:00:00+02:00", true],
  ])("%j at %s -> %s", (time, now, holds) => {
    const failed = failures({ time }, { now: at(now) });
    expect(failed).toEqual(holds ? [] : [`not on ${time.days!.join("/")} (UTC)`]);
  });
});

describe("time.hours (UTC, from inclusive, to exclusive)", () => {
  it.each<[string, string, string, boolean]>([
    ["09:00", "17:00", "08:59", false],
    ["09:00", "17:00", "09:00", true],
    ["09:00", "17:00", "12:30", true],
    ["09:00", "17:00", "16:59", true],
    ["09:00", "17:00", "17:00", false],
    ["09:00", "17:00", "23:00", false],
    // wraps past midnight
    ["22:00", "06:00", "21:59", false],
    ["22:00", "06:00", "22:00", true],
    ["22:00", "06:00", "23:59", true],
    ["22:00", "06:00", "00:00", true],
    ["22:00", "06:00", "05:59", true],
    ["22:00", "06:00", "06:00", false],
    ["22:00", "06:00", "12:00", false],
    // 24:00 as the end of the day
    ["00:00", "24:00", "00:00", true],
    ["00:00", "24:00", "23:59", true],
    ["18:00", "24:00", "23:59", true],
    ["18:00", "24:00", "00:00", false],
  ])("%s-%s at %s -> %s", (from, to, hhmm, holds) => {
    const failed = failures({ time: { hours: { from, to } } }, { now: at(`2026-03-02T${hhmm}:00Z`) });
    expect(failed).toEqual(holds ? [] : [`outside ${from}-${to} UTC`]);
  });

  it("seconds do not move the edge: 16:59:59.999 is inside 09:00-17:00", () => {
    expect(
      failures({ time: { hours: { from: "09:00", to: "17:00" } } }, { now: at("2026-03-02T16:59:59.999Z") }),
    ).toEqual([]);
  });
});

describe("time.notBefore (inclusive) and notAfter (exclusive)", () => {
  const notBefore = "2026-03-01T00:00:00Z";
  const notAfter = "2026-04-01T00:00:00Z";

  it.each<[string, string[]]>([
    ["2026-02-28T23:59:59.999Z", [`before ${notBefore}`]],
    ["2026-03-01T00:00:00Z", []],
    ["2026-03-15T00:00:00Z", []],
    ["2026-03-31T23:59:59.999Z", []],
    ["2026-04-01T00:00:00Z", [`at or after ${notAfter}`]],
    ["2027-01-01T00:00:00Z", [`at or after ${notAfter}`]],
  ])("at %s -> %j", (now, expected) => {
    expect(failures({ time: { notBefore, notAfter } }, { now: at(now) })).toEqual(expected);
  });

  it("offsets are honoured", () => {
    const when: Conditions = { time: { notBefore: "2026-03-01T02:00:00+02:00" } };
    expect(failures(when, { now: at("2026-03-01T00:00:00Z") })).toEqual([]);
    expect(failures(when, { now: at("2026-02-28T23:59:59Z") })).toEqual(["before 2026-03-01T02:00:00+02:00"]);
  });
});

describe("country", () => {
  it.each<[string[], string | undefined, string[]]>([
    [["DE"], "DE", []],
    [["DE", "FR"], "FR", []],
    [["DE"], "US", ["country US not in DE"]],
    [["DE", "FR"], "US", ["country US not in DE, FR"]],
    [["DE"], "de", ["country de not in DE"]],
    [["DE"], undefined, ["country unknown not in DE"]],
  ])("%j from %s -> %j", (country, from, expected) => {
    expect(failures({ country }, { country: from })).toEqual(expected);
  });
});

describe("country unknown: fails closed both ways", () => {
  // For allow rules (unknownHolds unset or false) a missing country fails the condition; for deny rules
  // (unknownHolds true) it holds, so a missing fact can never switch a deny off.
  it.each<[boolean | undefined, string | undefined, string[]]>([
    [undefined, undefined, ["country unknown not in DE"]],
    [false, undefined, ["country unknown not in DE"]],
    [true, undefined, []],
    [true, "DE", []],
    [true, "US", ["country US not in DE"]],
    [false, "US", ["country US not in DE"]],
  ])("unknownHolds %s, country %s -> %j", (unknownHolds, country, expected) => {
    expect(failures({ country: ["DE"] }, { country, unknownHolds })).toEqual(expected);
  });
});

describe("devicePosture", () => {
  it.each<[string[], Record<string, boolean> | undefined, string[]]>([
    [["managed"], { managed: true }, []],
    [["managed", "disk"], { managed: true, disk: true, extra: false }, []],
    [["managed"], { managed: false }, ["device posture managed not passing"]],
    [["managed"], {}, ["device posture managed not passing"]],
    [["managed"], undefined, ["device posture managed not passing"]],
    [["managed", "disk"], { disk: true }, ["device posture managed not passing"]],
    [["managed", "disk"], { managed: false }, ["device posture managed, disk not passing"]],
  ])("%j with %j -> %j", (devicePosture, posture, expected) => {
    const identity: Identity = { user: { email: "alice@example.com", devicePosture: posture } };
    expect(failures({ devicePosture }, { identity })).toEqual(expected);
  });

  it("a caller that is not a person has no posture", () => {
    expect(failures({ devicePosture: ["managed"] }, { identity: { workload: { id: "spiffe://x/y" } } })).toEqual([
      "device posture managed not passing",
    ]);
  });
});

describe("several conditions", () => {
  const when: Conditions = {
    scopes: ["orders:write"],
    claims: { dept: "eng" },
    time: { days: ["sat"], hours: { from: "20:00", to: "21:00" }, notBefore: "2027-01-01T00:00:00Z" },
    country: ["DE"],
    devicePosture: ["managed"],
  };

  it("reports every failure, in a stable order", () => {
    expect(failures(when, { country: "US" })).toEqual([
      "missing scope orders:write",
      'claims {"dept":"eng"} not held',
      "before 2027-01-01T00:00:00Z",
      "not on sat (UTC)",
      "outside 20:00-21:00 UTC",
      "country US not in DE",
      "device posture managed not passing",
    ]);
  });

  it("reports nothing when all hold", () => {
    const identity: Identity = {
      user: { email: "alice@example.com", devicePosture: { managed: true } },
      claims: { dept: "eng" },
      scopes: ["orders:write"],
    };
    // 2027-01-02 is a Saturday.
    expect(failures(when, { identity, country: "DE", now: at("2027-01-02T20:30:00Z") })).toEqual([]);
  });

  it("reports only what fails", () => {
    const identity: Identity = {
      user: { email: "alice@example.com", devicePosture: { managed: true } },
      scopes: ["orders:write"],
    };
    expect(failures(when, { identity, country: "DE", now: at("2027-01-02T21:00:00Z") })).toEqual([
      'claims {"dept":"eng"} not held',
      "outside 20:00-21:00 UTC",
    ]);
  });

  it("no conditions: nothing fails", () => {
    expect(failures({}, { identity: {} })).toEqual([]);
  });
});
