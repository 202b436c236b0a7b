// What `key` counts (docs/policy.md#ratelimit): `principal` is the caller across the service, every rule of it
// that counts the caller so with the same terms sharing one count; `principal+route` is the caller on each route. From a
// review: `principal` was counted per rule, so a caller got the limit again on every route that said it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../../policy/compile.ts";
import { evaluate } from "../../../policy/evaluate.ts";
import { validatePolicy } from "../../../policy/validate/index.ts";
import { checkRateLimits, rateLimitName } from "../../../worker/rate-limit/limiter.ts";

const HOST = "api.example.com";

async function policy(key: "principal" | "principal+route", limits: [number, number]) {
  const rule = (limit: number) => ({
    id: "people",
    effect: "allow",
    principals: [{ emailDomain: "example.com" }],
    rateLimit: { limit, period: "60s", key },
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
          { id: "a", methods: ["GET"], path: "/a", rules: [rule(limits[0])] },
          { id: "b", methods: ["GET"], path: "/b", rules: [rule(limits[1])] },
        ],
      },
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return compilePolicy(result.policy);
}

/** Whether each request (by path) is admitted, for one new caller, within one window. */
async function admitted(compiled: Awaited<ReturnType<typeof policy>>, paths: string[]) {
  const identity = { user: { email: `p-${crypto.randomUUID().slice(0, 8)}@example.com` } };
  // One second into a whole minute: the four requests fall in one 60 s window.
  const now = (Math.floor(Date.now() / 60_000) + 1) * 60_000 + 1_000;
  const out: boolean[] = [];
  const names = new Set<string>();
  for (const path of paths) {
    const obligations = evaluate(compiled, { method: "GET", host: HOST, path, identity }, now).obligations.rateLimits;
    for (const o of obligations) names.add(rateLimitName(o));
    out.push((await checkRateLimits(env, obligations, now)).ok);
  }
  return { admitted: out, counters: names.size };
}

describe("rateLimit.key", () => {
  it("principal: one count for the caller across the service's routes", async () => {
    expect(await admitted(await policy("principal", [2, 2]), ["/a", "/a", "/b", "/b"])).toEqual({
      admitted: [true, true, false, false],
      counters: 1,
    });
  });

  it("principal: rules of other limits count apart, so a large limit's lease never spends a small one's", async () => {
    // From a review: one count leased 1% of /a's 10,000 (100 requests) on the first request, over /b's 50.
    expect(await admitted(await policy("principal", [10_000, 50]), ["/a", "/b", "/b"])).toEqual({
      admitted: [true, true, true],
      counters: 2,
    });
  });

  it("principal+route: a count per route", async () => {
    expect(await admitted(await policy("principal+route", [2, 2]), ["/a", "/a", "/b", "/b", "/a"])).toEqual({
      admitted: [true, true, true, true, false],
      counters: 2,
    });
  });
});
