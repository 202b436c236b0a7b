// A generated, differential test of a rule's conditions as evaluate() decides them, against an oracle written
// from docs/policy.md (conditions-oracle.ts), on cases from conditions-cases.ts:
//
// 1. Routes of allow and deny rules (some on trial) with `when.time` (days, hours, notBefore, notAfter) and
//    `when.country`, for anonymous and identified callers at instants on and next to every edge the rules name,
//    from countries Cloudflare writes and does not: effect, status, reason, the deciding rule and `wouldDeny`.
// 2. An anonymous caller's rate-limit key, from CF-Connecting-IP spelt every way RFC 4291 allows and as no edge
//    writes it: node:net (isIP, BlockList) says which client an address is. One client (an IPv4 address, the
//    IPv4-mapped form of it, or any address of one IPv6 /64) is one key, two clients are two, and what is no
//    address is counted with every other anonymous caller (`anonymous`).
//
// The seed is fixed, so a run is repeatable; WARD_CONDITIONS_SEED=<n> tries another and is printed on failure.
import { describe, expect, it } from "vitest";
import { evaluate, loadPolicy, type CompiledPolicy } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";
import {
  ANN,
  HOST,
  ROUTE,
  SERVICE,
  genAddress,
  genAddressPool,
  genCountry,
  genHostileAddress,
  genNow,
  genRules,
  policyDocument,
} from "./conditions-cases.ts";
import { addressClass, classKey, decide, type Facts } from "./conditions-oracle.ts";
import { chance, policySeed } from "./oracle/random-policy.ts";

const SEED = seedFrom("WARD_CONDITIONS_SEED", 20261206);
const POLICIES = 160;
const REQUESTS = 16;
const ADDRESSES = 600;

function report(what: string, found: string[], total: number): void {
  if (found.length > 0)
    expect.fail(
      `${found.length} of ${total} ${what} disagree (replay: WARD_CONDITIONS_SEED=${SEED})\n${found.slice(0, 8).join("\n")}`,
    );
}

async function compiled(text: string): Promise<CompiledPolicy> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(`generated policy invalid (seed ${SEED}): ${JSON.stringify(loaded.issues)}\n${text}`);
  return loaded.policy;
}

describe("rule conditions, against the docs", () => {
  it("decides time and country conditions as docs/policy.md says", async () => {
    const found: string[] = [];
    const tally = { allow: 0, deny: 0 };
    for (let p = 0; p < POLICIES; p++) {
      const r = prng(policySeed(SEED, p));
      const rules = genRules(r);
      const text = policyDocument(rules);
      const policy = await compiled(text);
      for (let q = 0; q < REQUESTS; q++) {
        const facts: Facts = {
          now: genNow(r, rules),
          country: genCountry(r),
          ...(chance(r, 0.3) ? { email: ANN } : {}),
        };
        const identity = facts.email ? { user: { email: facts.email, groups: [] } } : {};
        const d = evaluate(
          policy,
          {
            method: "GET",
            host: HOST,
            path: "/x",
            identity,
            ...(facts.country !== undefined ? { country: facts.country } : {}),
          },
          facts.now,
        );
        const want = decide(SERVICE, ROUTE, rules, facts);
        tally[want.effect]++;
        const got = {
          effect: d.effect,
          status: d.status,
          reason: d.reasons.includes("allowed-by-rule") ? "allowed-by-rule" : d.reasons[0],
          rule: d.rule,
          wouldDeny: d.reasons.includes("audit-would-deny") ? d.wouldDeny?.rule : undefined,
        };
        const expected = { ...want, rule: want.rule, wouldDeny: want.wouldDeny };
        const same = (Object.keys(got) as (keyof typeof got)[]).every((k) => got[k] === expected[k]);
        if (!same)
          found.push(
            `at ${new Date(facts.now).toISOString()} country ${JSON.stringify(facts.country)} ${facts.email ?? "anonymous"}: ` +
              `Ward ${JSON.stringify(got)}, docs ${JSON.stringify(want)}\n  rules ${JSON.stringify(rules.map((x) => ({ ...x, rateLimit: undefined })))}`,
          );
      }
    }
    report("decisions", found, POLICIES * REQUESTS);
    // Both answers are reached, whatever the seed.
    expect(tally.allow, `seed ${SEED}`).toBeGreaterThan((POLICIES * REQUESTS) / 10);
    expect(tally.deny, `seed ${SEED}`).toBeGreaterThan((POLICIES * REQUESTS) / 10);
  });

  it("takes Tor's T1 as a code like any other, to list in a deny rule", async () => {
    // docs/policy.md, `country`: "its `T1` (Tor) is a code like any other, to list in a deny rule if Tor
    // should be refused".
    const text = policyDocument([
      { id: "no-tor", effect: "deny", principals: [{ public: true }], when: { country: ["T1"] } },
      { id: "anyone", effect: "allow", principals: [{ public: true }] },
    ]);
    const loaded = await loadPolicy(text);
    expect(loaded.issues.filter((x) => x.severity === "error")).toEqual([]);
    if (!loaded.ok) return;
    for (const [country, effect] of [
      ["T1", "deny"],
      ["DE", "allow"],
      [undefined, "deny"],
    ] as const) {
      const d = evaluate(
        loaded.policy,
        { method: "GET", host: HOST, path: "/", identity: {}, country },
        Date.UTC(2026, 2, 2),
      );
      expect(d.effect, `from ${country}`).toBe(effect);
    }
  });

  it("counts an anonymous caller by the client CF-Connecting-IP names, an IPv6 client by its /64", async () => {
    const policy = await compiled(
      policyDocument([
        {
          id: "anyone",
          effect: "allow",
          principals: [{ public: true }],
          rateLimit: { limit: 10, period: "60s", key: "principal" },
        },
      ]),
    );
    const keyOf = (clientAddress: string | undefined) => {
      const d = evaluate(
        policy,
        {
          method: "GET",
          host: HOST,
          path: "/",
          identity: {},
          ...(clientAddress !== undefined ? { clientAddress } : {}),
        },
        Date.UTC(2026, 2, 2),
      );
      return d.obligations.rateLimits[0]?.key;
    };
    const found: string[] = [];
    // The docs' own examples.
    for (const [address, key] of [
      ["192.0.2.7", "address:192.0.2.7"],
      ["2001:db8:1:2::1", "address:2001:db8:1:2::/64"],
      ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "address:2001:db8:1:2::/64"],
      [undefined, "anonymous"],
    ] as const)
      if (keyOf(address) !== key) found.push(`${JSON.stringify(address)}: Ward ${keyOf(address)}, docs ${key}`);

    const r = prng(SEED);
    const pool = genAddressPool(r);
    const byClass = new Map<string, { key: string; address: string }>();
    const byKey = new Map<string, { cls: string; address: string }>();
    for (let i = 0; i < ADDRESSES; i++) {
      const address = chance(r, 0.7) ? genAddress(r, pool) : genHostileAddress(r, pool);
      const cls = addressClass(address);
      const key = keyOf(address) ?? "(no obligation)";
      if (cls.kind === "none") {
        if (key !== "anonymous")
          found.push(`${JSON.stringify(address)} is no address (node:net): Ward counts it as ${key}`);
        continue;
      }
      // A zone id (RFC 4007) names the edge's own interface: counting such a value with everyone is no harm.
      if (cls.kind === "ipv6" && cls.zoned && key === "anonymous") continue;
      if (key === "anonymous" || !key.startsWith("address:")) {
        found.push(`${JSON.stringify(address)} is ${classKey(cls)}: Ward counts it as ${key}`);
        continue;
      }
      const name = classKey(cls);
      const seen = byClass.get(name);
      if (seen && seen.key !== key)
        found.push(
          `one client (${name}) counted apart: ${JSON.stringify(seen.address)} as ${seen.key}, ${JSON.stringify(address)} as ${key}`,
        );
      else byClass.set(name, { key, address });
      const other = byKey.get(key);
      if (other && other.cls !== name)
        found.push(
          `two clients under ${key}: ${JSON.stringify(other.address)} (${other.cls}), ${JSON.stringify(address)} (${name})`,
        );
      else byKey.set(key, { cls: name, address });
    }
    report("client addresses", found, ADDRESSES);
    // Spellings of one client meet, whatever the seed.
    expect(byClass.size, `seed ${SEED}`).toBeLessThan(ADDRESSES / 3);
  });
});
