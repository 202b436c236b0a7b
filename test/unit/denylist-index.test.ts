// The denylist's index (a map per kind of fact) against the plain "match value" map it replaced, and deniedBy
// against a list of every fact the caller has, looked up in order: random operations and callers, seed printed.
import { describe, expect, it } from "vitest";
import { deniedBy, DenylistIndex, indexDenylist, type DenyEntry, type MatchKind } from "../../policy/denylist.ts";
import { principalKey, principalParts, type Identity } from "../../policy/identity.ts";
import { issuerSerial } from "../../policy/issuer-serial.ts";
import { denyEntry } from "../support/deny-entry.ts";
import { prng, seedFrom } from "../support/prng.ts";

const KINDS: readonly MatchKind[] = [
  "spiffe",
  "fingerprint",
  "serial",
  "ca",
  "email",
  "sub",
  "token",
  "subject",
  "principal",
];
const plainKey = (match: MatchKind, value: string) => `${match} ${match === "email" ? value.toLowerCase() : value}`;

const entry = denyEntry;

describe("DenylistIndex", () => {
  it("holds what a map keyed by 'match value' holds, through sets, deletes and prunes", () => {
    const seed = seedFrom("WARD_DENYLIST_SEED");
    const random = prng(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const values = ["a", "A", "ops@Example.com", "ops@example.com", "spiffe://td/x", "", "b c"];
    const index = new DenylistIndex();
    const plain = new Map<string, DenyEntry>();
    for (let step = 0; step < 20_000; step++) {
      const match = pick(KINDS);
      const value = pick(values);
      const roll = random();
      if (roll < 0.55) {
        const e = entry(`e${step}`, match, value, random() < 0.5 ? null : Math.floor(random() * 100));
        index.set(match, value, e);
        plain.set(plainKey(match, value), e);
      } else if (roll < 0.95) {
        index.delete(match, value);
        plain.delete(plainKey(match, value));
      } else {
        const now = Math.floor(random() * 100);
        const drop = (e: DenyEntry) => e.expiresAt !== null && e.expiresAt <= now;
        index.deleteWhere(drop);
        for (const [key, e] of plain) if (drop(e)) plain.delete(key);
      }
      const probe = pick(KINDS);
      const probeValue = pick(values);
      const state = {
        size: index.size,
        got: index.get(probe, probeValue)?.id,
        names: index.names(probe),
      };
      const want = {
        size: plain.size,
        got: plain.get(plainKey(probe, probeValue))?.id,
        names: [...plain.keys()].some((key) => key.startsWith(`${probe} `)),
      };
      if (JSON.stringify(state) !== JSON.stringify(want)) {
        expect({ seed, step, probe, probeValue, ...state }).toEqual({ seed, step, probe, probeValue, ...want });
      }
    }
  });

  it("keeps the longest-lasting entry of a fact, e-mail addresses in any case being one fact", () => {
    const index = indexDenylist([
      entry("short", "email", "Ops@Example.com", 10),
      entry("forever", "email", "ops@example.com", null),
      entry("later", "email", "OPS@example.com", 20),
    ]);
    expect(index.size).toBe(1);
    expect(index.get("email", "ops@EXAMPLE.com")?.id).toBe("forever");
    expect(index.names("email")).toBe(true);
    expect(index.names("sub")).toBe(false);
  });
});

type Certificate = { sha256: string; issuerSki: string; serial: string; caKeys?: string[]; chainUnread?: true };

/** Every fact deniedBy looks up, in its order; "any ca" for a chain that could not be read (any CA entry refuses). */
function factsOf(identity: Identity, certificate: Certificate | undefined) {
  const facts: [MatchKind | "any ca", string][] = [];
  if (identity.workload) facts.push(["spiffe", identity.workload.id]);
  if (identity.workloadToken?.spiffeId !== undefined) facts.push(["spiffe", identity.workloadToken.spiffeId]);
  if (certificate) {
    facts.push(["fingerprint", certificate.sha256]);
    const serial = issuerSerial(certificate.issuerSki, certificate.serial);
    if (serial) facts.push(["serial", serial]);
    for (const key of certificate.caKeys ?? []) facts.push(["ca", key]);
    if (certificate.chainUnread) facts.push(["any ca", ""]);
  }
  if (identity.user) {
    facts.push(["email", identity.user.email]);
    if (identity.user.sub) facts.push(["sub", identity.user.sub]);
  }
  if (identity.serviceToken) facts.push(["token", identity.serviceToken.clientId]);
  if (identity.workloadToken)
    facts.push(["subject", `${identity.workloadToken.issuer}/${identity.workloadToken.subject}`]);
  facts.push(["principal", principalKey(identity)]);
  const parts = principalParts(identity);
  if (parts.length > 1) for (const part of parts) facts.push(["principal", part]);
  return facts;
}

describe("deniedBy", () => {
  it("names a certificate by issuer and serial from the fields it has at each request", () => {
    const workload: Identity = { workload: { id: "spiffe://td/a" } };
    const principal = "workload:spiffe://td/a";
    const index = indexDenylist([
      entry("old", "serial", "0a0b0c0d/1f", null),
      entry("new", "serial", "0a0b0c0d/20", null),
    ]);
    // One object asked again (the gateway's are kept per certificate), then the same object with another serial.
    const certificate: Certificate = { sha256: "ab".repeat(32), issuerSki: "0A:0B:0C:0D", serial: "001F" };
    expect(deniedBy(index, workload, certificate, principal, 50)?.id).toBe("old");
    expect(deniedBy(index, workload, certificate, principal, 50)?.id).toBe("old");
    certificate.serial = "20";
    expect(deniedBy(index, workload, certificate, principal, 50)?.id).toBe("new");
    certificate.serial = "not hex";
    expect(deniedBy(index, workload, certificate, principal, 50)).toBeUndefined();
    certificate.issuerSki = "0a0b0c0d";
    certificate.serial = "1f";
    expect(deniedBy(index, workload, certificate, principal, 50)?.id).toBe("old");
  });

  it("refuses a certificate sent with CAs it could not read while any CA is cut off, and only then", () => {
    const workload: Identity = { workload: { id: "spiffe://td/a" } };
    const unread: Certificate = {
      sha256: "ab".repeat(32),
      issuerSki: "0a0b",
      serial: "1",
      caKeys: [],
      chainUnread: true,
    };
    const read: Certificate = { ...unread, chainUnread: undefined };
    const cut = indexDenylist([entry("expired", "ca", "77", 10), entry("cut", "ca", "99aa", null)]);
    expect(deniedBy(cut, workload, unread, "workload:spiffe://td/a", 50)?.id).toBe("cut");
    expect(deniedBy(cut, workload, read, "workload:spiffe://td/a", 50)).toBeUndefined();
    // No CA cut off in force: nothing to hide from.
    const none = indexDenylist([entry("expired", "ca", "77", 10), entry("person", "email", "a@example.com", null)]);
    expect(deniedBy(none, workload, unread, "workload:spiffe://td/a", 50)).toBeUndefined();
  });

  it("finds the first fact in force that a list of every fact would, whichever kinds are listed", () => {
    const seed = seedFrom("WARD_DENYLIST_SEED");
    const random = prng(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const now = 50;
    for (let round = 0; round < 3_000; round++) {
      const identity: Identity = {};
      if (random() < 0.6) identity.workload = { id: pick(["spiffe://td/a", "spiffe://td/b"]) };
      if (random() < 0.4)
        identity.user = { email: pick(["Ops@Example.com", "dev@example.com"]), sub: pick(["", "s1"]) };
      else if (random() < 0.3) identity.serviceToken = { clientId: "t.access" };
      if (random() < 0.4)
        identity.workloadToken = {
          issuer: "ci",
          kind: "oidc",
          subject: pick(["repo:o/r", "spiffe://td/a"]),
          spiffeId: random() < 0.5 ? (identity.workload?.id ?? "spiffe://td/c") : undefined,
          claims: {},
        };
      const certificate =
        identity.workload && random() < 0.8
          ? {
              sha256: "ab".repeat(32),
              issuerSki: pick(["0A:0B:0C:0D", "zz"]),
              serial: pick(["00FF", "ff"]),
              caKeys: pick([[], ["0a0b0c0d"], ["0a0b0c0d", "77", "99aa"]]),
              ...(random() < 0.2 ? { chainUnread: true as const } : {}),
            }
          : undefined;
      const facts = factsOf(identity, certificate);
      // Entries naming some of the caller's facts (a few expired), and decoys naming others.
      const entries = facts
        .filter((fact): fact is [MatchKind, string] => fact[0] !== "any ca" && random() < 0.25)
        .map(([match, value], i) => entry(`f${i}`, match, value, random() < 0.2 ? now - 1 : null));
      for (let i = 0; i < 3; i++)
        entries.push(entry(`d${i}`, pick(KINDS), pick(["spiffe://td/z", "x", "5e5e"]), random() < 0.2 ? now : null));
      const index = indexDenylist(entries);
      const principal = principalKey(identity);
      const got = deniedBy(index, identity, certificate, principal, now)?.id;
      const want = facts
        .map(([match, value]) => (match === "any ca" ? index.firstInForce("ca", now) : index.get(match, value)))
        .find((e) => e && (e.expiresAt === null || e.expiresAt > now))?.id;
      if (got !== want) expect({ seed, round, identity, certificate, entries, got }).toEqual({ want });
    }
  });
});
