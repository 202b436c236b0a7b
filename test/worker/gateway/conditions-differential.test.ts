// A generated, differential test of the facts the gateway reads for a rule's conditions, through the real
// gateway in workerd with the recording origin, against docs/policy.md and docs/origin-assertion.md (oracle:
// test/unit/conditions-oracle.ts; evaluate() itself is test/unit/conditions-differential.test.ts):
//
// 1. The country is request.cf.country, "as Cloudflare sees it": `XX`, an empty one, none at all or a value that
//    is no string is an unknown country, which fails an allow rule's `country` and holds a deny rule's.
// 2. CF-Connecting-IP: an anonymous caller's rate limit counts the client it names (an IPv6 client by its /64),
//    seen in the RateLimit fields of two requests, and `X-Forwarded-For` holds exactly one address, that one.
//
// The seed is fixed, so a run is repeatable; WARD_CONDITIONS_SEED=<n> tries another and is printed on failure.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { isIP } from "node:net";
import { prng } from "../../support/prng.ts";
import { chance, int, pick } from "../../unit/oracle/random-policy.ts";
import { genAddress, genAddressPool, genHostileAddress } from "../../unit/conditions-cases.ts";
import { addressClass, classKey, conditionsHold } from "../../unit/conditions-oracle.ts";
import { activate, originSaw } from "../support/harness.ts";

const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_CONDITIONS_SEED ?? 20261206);
const CASES = 120;
const ADDRESSES = 120;
const AT_ONCE = 8;

const EMBARGO = ["KP", "IR"];
const OPEN_TO = ["DE", "US", "FR"];
const policy = `
version: 1
metadata: { environment: dev, owners: [sec@example.com] }
services:
  geo:
    hosts: [geo.localhost]
    origin: { tunnel: WIKI }
    owner: geo-team
    routes:
      - id: open
        methods: [GET]
        pathPrefix: /open
        rules:
          - { id: embargo, effect: deny, principals: [{ public: true }], when: { country: [${EMBARGO}] } }
          - { id: anyone, effect: allow, principals: [{ public: true }] }
      - id: listed
        methods: [GET]
        pathPrefix: /listed
        rules:
          - { id: from, effect: allow, principals: [{ public: true }], when: { country: [${OPEN_TO}] } }
      - id: counted
        methods: [GET]
        pathPrefix: /counted
        rules:
          - { id: anyone, effect: allow, principals: [{ public: true }], rateLimit: { limit: 100, period: 3600s, key: principal } }
`;

beforeAll(async () => {
  await activate(policy);
});

/** What request.cf.country may hold: Cloudflare's codes, its "unknown", and what no edge writes. */
function genCf(r: () => number): { cf?: Record<string, unknown> } {
  return pick(r, [
    () => ({ cf: { country: pick(r, [...EMBARGO, ...OPEN_TO, "CN", "T1", "XX"]) } }),
    () => ({ cf: { country: pick(r, ["", "kp", "Kp", " KP", "KP\u0000", "ZZ"]) } }),
    () => ({ cf: { country: pick(r, [null, 0, ["KP"], { code: "KP" }, true]) } }),
    () => ({ cf: {} }),
    () => ({}),
  ])();
}

const quietly = async <T>(f: () => Promise<T>): Promise<T> => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    return await f();
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
};

describe("the facts the gateway reads for conditions", () => {
  it("reads the country from request.cf, an unknown one failing closed", async () => {
    const r = prng(SEED);
    const run = `c${SEED}x${Date.now().toString(36)}`;
    const cases = Array.from({ length: CASES }, (_, i) => ({ i, path: pick(r, ["/open", "/listed"]), ...genCf(r) }));
    const answers = await quietly(async () => {
      const out: number[] = [];
      for (let k = 0; k < cases.length; k += AT_ONCE)
        out.push(
          ...(await Promise.all(
            cases.slice(k, k + AT_ONCE).map(async (c) => {
              const init = c.cf ? { cf: c.cf as RequestInit["cf"] } : {};
              const res = await exports.default.fetch(`https://geo.localhost${c.path}?${run}-${c.i}-`, init);
              await res.arrayBuffer();
              return res.status;
            }),
          )),
        );
      return out;
    });
    const reached = new Set((await originSaw(run)).map((s) => Number(new RegExp(`${run}-(\\d+)-`).exec(s.url)?.[1])));
    const found: string[] = [];
    for (const c of cases) {
      const given = c.cf?.country;
      // "the client's country, as Cloudflare sees it": a code is a string; XX and none are no country known.
      const country = typeof given === "string" && given !== "" && given !== "XX" ? given : undefined;
      const facts = { now: Date.now(), ...(country !== undefined ? { country } : {}) };
      const allowed =
        c.path === "/open"
          ? !conditionsHold({ country: EMBARGO }, facts, true)
          : conditionsHold({ country: OPEN_TO }, facts, false);
      const status = answers[c.i]!;
      const seen = reached.has(c.i);
      if (allowed !== seen || status !== (allowed ? 200 : c.path === "/open" ? 403 : 401))
        found.push(
          `${c.path} cf ${JSON.stringify(c.cf)}: Ward ${status}, origin saw ${seen}; docs ${allowed ? "allow" : "refuse"}`,
        );
    }
    if (found.length > 0)
      expect.fail(`${found.length} of ${CASES} disagree (replay: WARD_CONDITIONS_SEED=${SEED})\n${found.join("\n")}`);
  }, 30_000);

  it("counts an anonymous caller by CF-Connecting-IP and forwards it as the one X-Forwarded-For", async () => {
    const r = prng(SEED ^ 0x5eed);
    // A /64 and IPv4 pool of this run's own, so no count is shared with an earlier run's.
    const pool = genAddressPool(r);
    const tag = Date.now() % 65536;
    pool.prefixes = pool.prefixes.map((p, k) => (k < 3 ? [0x2001, 0xdb8, tag, int(r, 65536)] : p));
    pool.ipv4 = pool.ipv4.map(() => [198, 18 + int(r, 2), tag % 256, int(r, 256)]);
    const run = `a${SEED}x${Date.now().toString(36)}`;
    // Header values are ASCII here: workerd warns about (and encodes as UTF-8) any other.
    const addresses = Array.from({ length: ADDRESSES }, () =>
      chance(r, 0.75) ? genAddress(r, pool) : genHostileAddress(r, pool),
    ).map((x) => (/^[\x20-\x7e\t]*$/.test(x) ? x : "unknown"));
    const responses = await quietly(async () => {
      const out: { remaining: number; status: number }[] = [];
      for (const [i, address] of addresses.entries()) {
        const res = await exports.default.fetch(`https://geo.localhost/counted?${run}-${i}-`, {
          headers: { "cf-connecting-ip": address },
        });
        await res.arrayBuffer();
        out.push({ status: res.status, remaining: Number(/r=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1]) });
      }
      return out;
    });
    const saw = new Map<number, string | string[] | undefined>();
    for (const s of await originSaw(run))
      saw.set(Number(new RegExp(`${run}-(\\d+)-`).exec(s.url)?.[1]), s.headers["x-forwarded-for"]);
    const found: string[] = [];
    // What each client has left, by the oracle's reading; the anonymous count (no address) may hold others'.
    const left = new Map<string, number>();
    for (const [i, address] of addresses.entries()) {
      const { status, remaining } = responses[i]!;
      // The runtime trims a header value's spaces and tabs (Fetch: normalize); the edge never sends them.
      const value = address.replace(/^[ \t]+|[ \t]+$/g, "");
      const cls = addressClass(value);
      const client = classKey(cls);
      // A zone id (RFC 4007) may be counted as its /64 or with everyone: the anonymous count is then unknown.
      if (cls.kind === "ipv6" && cls.zoned) left.delete("none");
      if (status !== 200) found.push(`${JSON.stringify(address)}: ${status}`);
      else if (!(cls.kind === "ipv6" && cls.zoned)) {
        const want = (left.get(client) ?? (client === "none" ? remaining + 1 : 100)) - 1;
        if (remaining !== want)
          found.push(`${JSON.stringify(address)} (${client}): ${remaining} left, docs ${want} (its client's count)`);
        left.set(client, remaining);
      }
      const xff = saw.get(i);
      // "X-Forwarded-For holds exactly one address, CF-Connecting-IP" (docs/origin-assertion.md).
      if (xff !== undefined && (typeof xff !== "string" || isIP(xff) === 0))
        found.push(
          `X-Forwarded-For ${JSON.stringify(xff)} is not one address (CF-Connecting-IP ${JSON.stringify(address)})`,
        );
      // No address: none is passed on. A zone id may be read either way (the edge never sends one).
      else if (cls.kind === "none" ? xff !== undefined : xff !== value && !(cls.kind === "ipv6" && cls.zoned))
        found.push(`X-Forwarded-For ${JSON.stringify(xff)}, CF-Connecting-IP ${JSON.stringify(address)}`);
    }
    if (found.length > 0)
      expect.fail(
        `${found.length} of ${ADDRESSES} disagree (replay: WARD_CONDITIONS_SEED=${SEED})\n${found.slice(0, 12).join("\n")}`,
      );
    // Spellings of one client meet, whatever the seed.
    expect(left.size, `seed ${SEED}`).toBeLessThan(ADDRESSES / 4);
  }, 60_000);
});
