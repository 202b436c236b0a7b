// Instants a policy or an admin body writes are read digit for digit: V8's Date.parse reads a fraction of ten
// or more digits as something else (`.0500000000` as 500 ms), which moved a rule's window by up to a second.
import { describe, expect, it } from "vitest";
import { evaluate, instantMs, loadPolicy, validatePolicyText } from "../../policy/index.ts";

const policy = (notBefore: string, notAfter: string) => `version: 1
metadata: { environment: dev, owners: [o] }
services:
  app:
    hosts: [app.example.com]
    origin: { tunnel: APP }
    owner: o
    routes:
      - id: r
        methods: [GET]
        path: /
        rules:
          - { effect: allow, principals: [{ public: true }] }
          - { id: freeze, effect: deny, principals: [{ public: true }], when: { time: { notBefore: "${notBefore}", notAfter: "${notAfter}" } } }
`;

describe("instantMs", () => {
  it.each([
    ["2026-03-02T09:00:00Z", 0],
    ["2026-03-02T09:00:00.5Z", 500],
    ["2026-03-02T09:00:00.050Z", 50],
    ["2026-03-02T09:00:00.0500000000Z", 50],
    ["2026-03-02T09:00:00.050000000000000000000Z", 50],
    ["2026-03-02T09:00:00.00999999999Z", 10],
    ["2026-03-02T09:00:00.0000000001Z", 1],
    ["2026-03-02T09:00:00.0005Z", 1],
    ["2026-03-02T10:00:00.1234567890123+01:00", 124],
  ])("reads %s as %i ms past 09:00:00 UTC", (text, ms) => {
    expect(instantMs(text)).toBe(Date.UTC(2026, 2, 2, 9, 0, 0) + ms);
  });

  it("gives NaN for text that is no instant", () => {
    expect(instantMs("soon")).toBeNaN();
    expect(instantMs(".5")).toBeNaN();
    // A `.` anywhere but after the seconds: a typo Date.parse refused, not a fraction to cut out (a closing review:
    // the CLI's --until read `17.30:00` as 17:00:00.300).
    for (const typo of ["2026-03-02T17.30:00Z", "2026-03-02T09:00.5Z", "2026-03-02.5T09:00:00Z"])
      expect(instantMs(typo), typo).toBeNaN();
    expect(instantMs("2026-03-02T09:00:00.5+01:00")).toBe(Date.UTC(2026, 2, 2, 8, 0, 0, 500));
    expect(instantMs("2026-03-02T09:00:00.25z")).toBe(Date.UTC(2026, 2, 2, 9, 0, 0, 250));
  });
});

describe("a rule's window, with ten or more fraction digits", () => {
  it("accepts 50 ms to 100 ms, and refuses 100 ms to 50 ms", () => {
    expect(validatePolicyText(policy("2026-03-02T09:00:00.0500000000Z", "2026-03-02T09:00:00.100Z")).ok).toBe(true);
    const refused = validatePolicyText(policy("2026-03-02T09:00:00.100Z", "2026-03-02T09:00:00.0500000000Z"));
    expect(refused.issues.map((i) => i.code)).toContain("invalid-time-window");
  });

  it("ends the deny at the 50th millisecond, not the 500th", async () => {
    const loaded = await loadPolicy(policy("2026-03-02T09:00:00Z", "2026-03-02T09:00:00.0500000000Z"));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const at = (ms: number) =>
      evaluate(
        loaded.policy,
        { method: "GET", host: "app.example.com", path: "/", identity: {} },
        Date.UTC(2026, 2, 2, 9, 0, 0, ms),
      ).effect;
    expect([at(0), at(49), at(50), at(200)]).toEqual(["deny", "deny", "allow", "allow"]);
  });
});
