// Every rate-limit obligation of one request is its own count (from a review: two obligations of one request that
// drew on one lease, by sharing a counter, might let a request through uncounted or count one twice). Only the
// deciding allow rule contributes a limit, once per credential it matches (policy/rate-limit-keys.ts), so a
// request's obligations differ only in the credential: these tests hold that no combination of credentials gives
// two of them one counter, and that over many requests of a caller who sends some or all of their credentials,
// each count admits exactly what an exact model of its limit admits: never more, and no request counted twice.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../../policy/compile.ts";
import { evaluate } from "../../../policy/evaluate.ts";
import type { Identity } from "../../../policy/identity.ts";
import { validatePolicy } from "../../../policy/validate/index.ts";
import { checkRateLimits, type RateLimiter } from "../../../worker/rate-limit/limiter.ts";

const HOST = "api.example.com";
const LIMIT = 4;

function compiled() {
  const rule = (key: "principal" | "principal+route") => ({
    id: "anyone",
    effect: "allow",
    principals: [{ authenticated: true }],
    rateLimit: { limit: LIMIT, period: "60s", key },
  });
  const result = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: {
      api: {
        hosts: [HOST],
        origin: { tunnel: "API" },
        owner: "api-team@example.com",
        routes: [
          { id: "service", methods: ["GET"], path: "/service", rules: [rule("principal")] },
          { id: "route", methods: ["GET"], path: "/route", rules: [rule("principal+route")] },
        ],
      },
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return compilePolicy(result.policy);
}

/** One caller's credentials, each new per test: a certificate, two kinds of workload token, a person, a token. */
function credentials() {
  const id = crypto.randomUUID().slice(0, 8);
  const spiffe = `spiffe://demo.ward.internal/ns/x/sa/${id}`;
  const token = (spiffeId?: string) => ({
    issuer: "ci",
    kind: spiffeId ? ("spiffe-jwt-svid" as const) : ("oidc" as const),
    subject: spiffeId ?? `repo:${id}:ref:main`,
    ...(spiffeId ? { spiffeId } : {}),
    claims: {},
  });
  return {
    cert: { workload: { id: spiffe } },
    sameToken: { workloadToken: token(spiffe) },
    otherToken: { workloadToken: token(`${spiffe}-other`) },
    subjectToken: { workloadToken: token() },
    user: { user: { email: `P-${id}@Example.com` } },
    serviceToken: { serviceToken: { clientId: `${id}.access` } },
  } satisfies Record<string, Identity>;
}

/** Every identity one request can carry: at most one Access identity, at most one workload token. */
function combinations(c: ReturnType<typeof credentials>): Identity[] {
  const out: Identity[] = [];
  for (const cert of [{}, c.cert])
    for (const token of [{}, c.sameToken, c.otherToken, c.subjectToken])
      for (const access of [{}, c.user, c.serviceToken]) {
        const identity: Identity = { ...cert, ...token, ...access };
        if (Object.keys(identity).length > 0) out.push(identity);
      }
  return out;
}

/** One second into a whole minute: every request of a test falls in one 60 s window. */
const now = (Math.floor(Date.now() / 60_000) + 1) * 60_000 + 1_000;

const policy = await compiled();

const obligationsOf = (identity: Identity, path: string) =>
  evaluate(policy, { method: "GET", host: HOST, path, identity }, now).obligations.rateLimits;

describe("the rate-limit obligations of one request", () => {
  it("never share a counter (so never a lease), whatever credentials the request carries", () => {
    for (const path of ["/service", "/route"])
      for (const identity of combinations(credentials())) {
        const obligations = obligationsOf(identity, path);
        expect(obligations.length).toBeGreaterThan(0);
        // One rule's: the same terms, so distinct counters are distinct lease keys.
        expect(new Set(obligations.map((o) => `${o.limit} ${o.periodSeconds}`)).size).toBe(1);
        expect(new Set(obligations.map((o) => o.counter)).size).toBe(obligations.length);
      }
  });

  it("count a certificate and a workload token that name the same workload once", () => {
    const c = credentials();
    expect(obligationsOf({ ...c.cert, ...c.sameToken, ...c.user }, "/service").map((o) => o.key)).toEqual([
      `workload:${c.cert.workload.id}`,
      `user:${c.user.user.email.toLowerCase()}`,
    ]);
  });

  it("admit per count exactly what its limit allows, over many requests of mixed credentials", async () => {
    for (const path of ["/service", "/route"]) {
      const c = credentials();
      const sent: Identity[][] = [
        [c.cert, c.subjectToken, c.user],
        [c.user],
        [c.cert],
        [c.cert, c.subjectToken, c.user],
        [c.subjectToken],
        [c.cert, c.user],
        [c.subjectToken, c.user],
        [c.cert],
        [c.cert, c.subjectToken, c.user],
        [c.user],
        [c.subjectToken],
        [c.cert],
        [c.cert, c.subjectToken],
        [c.subjectToken],
        [c.cert],
        [c.user],
      ];
      // The exact model: a request is admitted when every count it is counted in has a request left, and then
      // spends one of each.
      const modelled = new Map<string, number>();
      const admittedBy = new Map<string, number>();
      for (const parts of sent) {
        const obligations = obligationsOf(Object.assign({}, ...parts), path);
        const expected = obligations.every((o) => (modelled.get(o.counter) ?? 0) < LIMIT);
        if (expected) for (const o of obligations) modelled.set(o.counter, (modelled.get(o.counter) ?? 0) + 1);
        const result = await checkRateLimits(env, obligations, now);
        expect(result.ok).toBe(expected);
        if (result.ok) for (const o of obligations) admittedBy.set(o.counter, (admittedBy.get(o.counter) ?? 0) + 1);
      }
      expect(admittedBy).toEqual(modelled);
      expect([...modelled.values()]).toEqual([LIMIT, LIMIT, LIMIT]);
      // Each object counted its requests once each: its window is spent at exactly the limit, never past it.
      for (const counter of modelled.keys()) {
        const stub = env.RATE_LIMITER.getByName(counter);
        const count = await runInDurableObject(
          stub,
          (_: RateLimiter, state) => state.storage.sql.exec<{ count: number }>("SELECT count FROM counter").one().count,
        );
        expect(count).toBe(LIMIT);
      }
    }
  });
});
