// Rate limits in workerd with the real RateLimiter Durable Object: exact counts, per-principal keys, exactness
// under concurrency, fail closed (or open when the rule says so), window reset on an injected clock, and
// cleanup of idle keys. Every refusal also asserts the origin never saw the request.
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { parseDecisionLine, type RateLimitObligation } from "../../../policy/index.ts";
import { checkRateLimits, leaseSize, rateLimitName, type RateLimiter } from "../../../worker/rate-limit/limiter.ts";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

const POLICY = `
version: 1
metadata:
  environment: dev
  owners: [platform-security@example.com]
  trustDomains: [demo.ward.internal]
  description: rate-limit tests
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
  mtls:
    issuers:
      - ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2" # test/fixtures/certs/ca.pem
        trustDomains: [demo.ward.internal]
services:
  limited:
    hosts: [limited.localhost]
    origin: { tunnel: WIKI }
    owner: platform-security@example.com
    routes:
      - id: three
        methods: [GET]
        path: /three
        rules:
          - id: people
            effect: allow
            principals: [{ emailDomain: example.com }]
            rateLimit: { limit: 3, period: 60s, key: principal }
      - id: five
        methods: [GET]
        path: /five
        rules:
          - id: people
            effect: allow
            principals: [{ emailDomain: example.com }]
            rateLimit: { limit: 5, period: 60s }
      - id: open
        methods: [GET]
        path: /open
        rules:
          - id: people
            effect: allow
            principals: [{ emailDomain: example.com }]
            rateLimit: { limit: 5, period: 60s, failOpen: true }
      - id: anyone
        methods: [GET]
        path: /anyone
        rules:
          - id: signed-in
            effect: allow
            principals: [{ authenticated: true }]
            rateLimit: { limit: 3, period: 60s, key: principal }
      - id: public
        methods: [GET]
        path: /public
        rules:
          - id: anyone
            effect: allow
            principals: [{ public: true }]
            rateLimit: { limit: 2, period: 60s }
      - id: free
        methods: [GET]
        path: /free
        rules:
          - id: people
            effect: allow
            principals: [{ emailDomain: example.com }]
`;

/** A new person per test: counters are per principal, so tests never share one. */
async function person(): Promise<string> {
  return accessToken(signing, { email: `p-${crypto.randomUUID().slice(0, 8)}@example.com` });
}

async function get(path: string, token: string, m: string): Promise<Response> {
  return exports.default.fetch(`https://limited.localhost${path}?${m}`, {
    headers: { "Cf-Access-Jwt-Assertion": token },
  });
}

function obligation(overrides: Partial<RateLimitObligation> = {}): RateLimitObligation {
  const terms = {
    rule: `t/${crypto.randomUUID().slice(0, 8)}/r`,
    key: "user:x@example.com",
    limit: 3,
    periodSeconds: 60,
    failOpen: false,
    ...overrides,
  };
  return { counter: `${terms.rule} ${terms.key}`, ...terms };
}

/** A namespace whose objects cannot be reached: our own boundary, where the store's failure shows. */
const broken = {
  getByName: () => {
    throw new Error("Durable Object unavailable");
  },
} as unknown as DurableObjectNamespace<RateLimiter>;
const throwingStub = {
  getByName: () => ({ lease: () => Promise.reject(new Error("Durable Object reset")) }),
} as unknown as DurableObjectNamespace<RateLimiter>;

beforeAll(async () => {
  await activate(POLICY);
});

/**
 * The routes above count in fixed 60 s windows aligned to the epoch: a test that counts a few requests and then
 * expects a refusal fails if a window ends between them (CI saw it once). Each such test starts at least 10 s
 * before a window ends.
 */
async function awayFromWindowEnd(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

describe("rate limits at the gateway", () => {
  beforeEach(awayFromWindowEnd, 15_000);

  it("forwards the first 3 requests of a window and answers the 4th 429 without calling the origin", async () => {
    const token = await person();
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = marker();
      const res = await get("/three", token, m);
      expect(res.status).toBe(200);
      expect(await originSaw(m)).toHaveLength(1);
      expect(res.headers.get("RateLimit-Policy")).toBe('"limited/three/people";q=3;w=60');
      remaining.push(res.headers.get("RateLimit") ?? "missing");
      expect(res.headers.get("Retry-After")).toBeNull();
    }
    expect(remaining.map((v) => /;r=(\d+);/.exec(v)?.[1])).toEqual(["2", "1", "0"]);

    const m = marker();
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const res = await get("/three", token, m);
    vi.restoreAllMocks();
    expect(res.status).toBe(429);
    // Allowed by the policy, answered by Ward: the log says why.
    expect(
      lines.map((l) => parseDecisionLine(l)).find((l) => l?.requestId === res.headers.get("ward-request-id")),
    ).toMatchObject({ effect: "allow", status: 429, outcome: "rate-limited" });
    const retryAfter = Number(res.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get("RateLimit-Policy")).toBe('"limited/three/people";q=3;w=60');
    expect(res.headers.get("RateLimit")).toBe(`"limited/three/people";r=0;t=${retryAfter}`);
    const body = (await res.json()) as { error: string; requestId: string };
    expect(body).toEqual({ error: "too many requests", requestId: res.headers.get("ward-request-id") });
    expect(await originSaw(m)).toEqual([]);
  });

  it("counts each principal separately", async () => {
    const ann = await person();
    const bob = await person();
    for (let i = 0; i < 3; i++) expect((await get("/three", ann, marker())).status).toBe(200);
    const refused = marker();
    expect((await get("/three", ann, refused)).status).toBe(429);
    expect(await originSaw(refused)).toEqual([]);
    const m = marker();
    const res = await get("/three", bob, m);
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit")).toMatch(/;r=2;t=\d+$/);
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("gives no fresh bucket to a person who adds a client certificate to the same Access token", async () => {
    const ann = await person();
    const cf = { tlsClientAuth: await tlsClientAuth(CERTS.checkout) };
    for (let i = 0; i < 3; i++) expect((await get("/three", ann, marker())).status).toBe(200);
    const m = marker();
    const res = await exports.default.fetch(`https://limited.localhost/three?${m}`, {
      headers: { "Cf-Access-Jwt-Assertion": ann },
      cf,
    });
    expect(res.status).toBe(429);
    expect(await originSaw(m)).toEqual([]);
  });

  it("counts each credential a rule matches, and reports the one with the fewest requests left", async () => {
    const ann = await person();
    const cf = { tlsClientAuth: await tlsClientAuth(CERTS.checkout) };
    const both = (m: string) =>
      exports.default.fetch(`https://limited.localhost/anyone?${m}`, {
        headers: { "Cf-Access-Jwt-Assertion": ann },
        cf,
      });
    // The person alone spends two of their three; with the certificate, the person's bucket runs out first.
    for (let i = 0; i < 2; i++) expect((await get("/anyone", ann, marker())).status).toBe(200);
    const last = await both(marker());
    expect(last.status).toBe(200);
    expect(last.headers.get("RateLimit-Policy")).toBe('"limited/anyone/signed-in";q=3;w=60');
    expect(last.headers.get("RateLimit")).toMatch(/^"limited\/anyone\/signed-in";r=0;t=\d+$/);
    const m = marker();
    expect((await both(m)).status).toBe(429);
    expect(await originSaw(m)).toEqual([]);
  });

  it("counts anonymous callers by their address (an IPv6 one by its /64), not all in one count", async () => {
    const from = (address: string, m: string) =>
      exports.default.fetch(`https://limited.localhost/public?${m}`, { headers: { "cf-connecting-ip": address } });
    // A fresh address per run: the counts live as long as the test's Durable Objects.
    const octet = Math.floor(Math.random() * 250) + 1;
    const one = `198.51.100.${octet}`;
    const net = `2001:db8:${octet.toString(16)}:7`;
    for (let i = 0; i < 2; i++) expect((await from(one, marker())).status).toBe(200);
    const refused = marker();
    expect((await from(one, refused)).status).toBe(429);
    expect(await originSaw(refused)).toEqual([]);
    // Another client is not refused for the first one's requests...
    const m = marker();
    expect((await from(`203.0.113.${octet}`, m)).status).toBe(200);
    expect(await originSaw(m)).toHaveLength(1);
    // ...but the addresses of one IPv6 /64 are one client.
    for (const address of [`${net}:1:0:0:1`, `${net.toUpperCase()}:ffff:0:0:2`])
      expect((await from(address, marker())).status).toBe(200);
    const sameNetwork = marker();
    expect((await from(`${net}::99`, sameNetwork)).status).toBe(429);
    expect(await originSaw(sameNetwork)).toEqual([]);
  });

  it("admits exactly the limit under concurrency: 20 at once with limit 5 give 5 forwarded and 15 refused", async () => {
    const token = await person();
    const m = marker();
    const responses = await Promise.all(Array.from({ length: 20 }, () => get("/five", token, m)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(await originSaw(m)).toHaveLength(5);
  });

  it("does not count requests whose rule has no rateLimit", async () => {
    const token = await person();
    const m = marker();
    for (let i = 0; i < 6; i++) {
      const res = await get("/free", token, m);
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit")).toBeNull();
    }
    expect(await originSaw(m)).toHaveLength(6);
  });

  it("answers 503 and never calls the origin when the rate-limit store fails, and admits with failOpen", async () => {
    const spy = vi.spyOn(env.RATE_LIMITER, "getByName").mockImplementation(() => {
      throw new Error("Durable Object unavailable");
    });
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const token = await person();
      const closed = marker();
      const res = await get("/five", token, closed);
      expect(res.status).toBe(503);
      expect(res.headers.get("Retry-After")).toBeNull();
      expect(await originSaw(closed)).toEqual([]);

      const open = marker();
      const admitted = await get("/open", token, open);
      expect(admitted.status).toBe(200);
      expect(await originSaw(open)).toHaveLength(1);
      expect(spy).toHaveBeenCalledTimes(2);
      const warning = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.event === "rate-limit-unavailable");
      expect(warning).toMatchObject({ level: "warn", rule: "limited/open/people", failOpen: true });
    } finally {
      spy.mockRestore();
      log.mockRestore();
      error.mockRestore();
    }
  });
});

describe("checkRateLimits", () => {
  it("fails closed with 503 when the namespace or the object throws, and open only with failOpen", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      for (const namespace of [broken, throwingStub]) {
        expect(await checkRateLimits({ RATE_LIMITER: namespace }, [obligation()], Date.now())).toEqual({
          ok: false,
          reason: "rate-limit-unavailable",
          headers: {},
        });
        expect(
          await checkRateLimits({ RATE_LIMITER: namespace }, [obligation({ failOpen: true })], Date.now()),
        ).toEqual({ ok: true, headers: {} });
      }
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
  });

  it("opens a new window when the clock passes the reset, and never before", async () => {
    // A window a week ahead: the object's cleanup alarm cannot fire during the test.
    const windowStart = (Math.floor(Date.now() / 60_000) + 10_080) * 60_000;
    const now = windowStart + 5_000;
    const limit = obligation();
    for (let i = 0; i < 3; i++) expect((await checkRateLimits(env, [limit], now + i * 1000)).ok).toBe(true);
    const refused = await checkRateLimits(env, [limit], now + 10_000);
    expect(refused).toEqual({
      ok: false,
      reason: "rate-limited",
      headers: {
        "RateLimit-Policy": `"${limit.rule}";q=3;w=60`,
        RateLimit: `"${limit.rule}";r=0;t=45`,
        "Retry-After": "45",
      },
    });
    // The last millisecond of the window is still the same window.
    expect((await checkRateLimits(env, [limit], windowStart + 59_999)).ok).toBe(false);
    // A caller whose clock lags (an earlier window) is counted in the object's current window, not a fresh one.
    expect((await checkRateLimits(env, [limit], windowStart - 30_000)).ok).toBe(false);
    const next = await checkRateLimits(env, [limit], windowStart + 60_000);
    expect(next).toEqual({
      ok: true,
      headers: { "RateLimit-Policy": `"${limit.rule}";q=3;w=60`, RateLimit: `"${limit.rule}";r=2;t=60` },
    });
  });

  it("spends nothing from a request's other buckets when one of them refuses it, leased or not", async () => {
    const now = Date.now();
    const resetIn = Math.ceil(((Math.floor(now / 60_000) + 1) * 60_000 - now) / 1000);
    const spent = obligation({ limit: 1 });
    expect((await checkRateLimits(env, [spent], now)).ok).toBe(true);
    // Two buckets beside it: one counted request by request at its object, one leased 10 at a time.
    const single = obligation({ key: "workload:spiffe://demo.ward.internal/a", limit: 3 });
    const leasedToo = obligation({ key: "user:y@example.com", limit: 1000 });
    for (let round = 0; round < 5; round++) {
      const refused = await checkRateLimits(env, [spent, single, leasedToo], now);
      expect(refused.ok).toBe(false);
      // What was left after the refusal: all of it (the refusal took nothing).
      expect(refused.headers.RateLimit).toBe(
        `"${spent.rule}";r=0;t=${resetIn}, "${single.rule}";r=3;t=${resetIn}, "${leasedToo.rule}";r=1000;t=${resetIn}`,
      );
    }
    for (let i = 0; i < 3; i++) expect((await checkRateLimits(env, [single], now)).ok).toBe(true);
    expect((await checkRateLimits(env, [single], now)).ok).toBe(false);
    const leasedAlone = await checkRateLimits(env, [leasedToo], now);
    expect(leasedAlone.headers.RateLimit).toBe(`"${leasedToo.rule}";r=999;t=${resetIn}`);
  });

  it("spends no failOpen allowance on a request another bucket refuses (from the generated schedules)", async () => {
    // failOpen admits at most `limit` uncounted requests per isolate a window. A request one of whose buckets is
    // spent is refused: what its failed failOpen bucket would have let through uncounted was not let through, so
    // the allowance is still whole for the next request. It was spent before the refusal was known, and the next
    // request alone on that bucket got 503.
    const now = Date.now();
    const down = obligation({ limit: 1, failOpen: true });
    const spent = obligation({ limit: 1 });
    const namespace = {
      getByName: (name: string) =>
        name === rateLimitName(down) ? throwingStub.getByName(name) : env.RATE_LIMITER.getByName(name),
    } as unknown as DurableObjectNamespace<RateLimiter>;
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect((await checkRateLimits({ RATE_LIMITER: namespace }, [spent], now)).ok).toBe(true);
      for (let i = 0; i < 3; i++)
        expect(await checkRateLimits({ RATE_LIMITER: namespace }, [down, spent], now)).toMatchObject({
          ok: false,
          reason: "rate-limited",
        });
      // The one uncounted request of the window, then 503 as documented.
      expect(await checkRateLimits({ RATE_LIMITER: namespace }, [down], now)).toEqual({ ok: true, headers: {} });
      expect(await checkRateLimits({ RATE_LIMITER: namespace }, [down], now)).toMatchObject({
        ok: false,
        reason: "rate-limit-unavailable",
      });
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
  });

  it("keeps separate objects per rule and key", async () => {
    const now = Date.now();
    const a = obligation({ limit: 1 });
    const b = obligation({ rule: a.rule, key: "user:other@example.com", limit: 1 });
    const c = obligation({ rule: `${a.rule}-2`, key: a.key, limit: 1 });
    expect(rateLimitName(a)).not.toBe(rateLimitName(b));
    expect((await checkRateLimits(env, [a], now)).ok).toBe(true);
    expect((await checkRateLimits(env, [a], now)).ok).toBe(false);
    expect((await checkRateLimits(env, [b], now)).ok).toBe(true);
    expect((await checkRateLimits(env, [c], now)).ok).toBe(true);
  });

  it("forgets an idle key once its window and grace are over", async () => {
    const limit = obligation({ limit: 1 });
    // A window that ended long ago, so the cleanup alarm is due.
    const past = Date.now() - 3_600_000;
    expect((await checkRateLimits(env, [limit], past)).ok).toBe(true);
    const stub = env.RATE_LIMITER.getByName(rateLimitName(limit));
    // Rows left in the object's storage (none at all once deleteAll ran, the table included).
    const rows = () =>
      runInDurableObject(stub, (_instance, state) => {
        const table = state.storage.sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'counter'")
          .one().n;
        return table === 0 ? 0 : state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM counter").one().n;
      });
    // workerd may already have fired the due alarm on its own; this runs it now if it has not.
    await runDurableObjectAlarm(stub);
    expect(await rows()).toBe(0);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
    // The object still works after forgetting: the same key counts from zero again. (Asked directly: this
    // isolate remembers that window as spent, as it was, and would not ask.)
    expect((await stub.lease(1, 1, 60, past)).granted).toBe(1);
    expect(await rows()).toBe(1);
  });
});

describe("leases (large limits)", () => {
  it("leases 1% of a limit, and never less than one request", () => {
    expect([1, 3, 99, 100, 250, 1000, 1_000_000].map(leaseSize)).toEqual([1, 1, 1, 1, 2, 10, 10_000]);
  });

  it("serves a 1,000 limit with one object call per 10 requests, and counts the lease at the object", async () => {
    const limit = obligation({ limit: 1000 });
    const now = Date.now();
    const spy = vi.spyOn(env.RATE_LIMITER, "getByName");
    try {
      const remaining: number[] = [];
      for (let i = 0; i < 25; i++) {
        const result = await checkRateLimits(env, [limit], now);
        expect(result.ok).toBe(true);
        remaining.push(Number(/;r=(\d+);/.exec(result.headers.RateLimit ?? "")?.[1]));
      }
      expect(spy).toHaveBeenCalledTimes(3);
      expect(remaining.slice(0, 3)).toEqual([999, 998, 997]);
      expect(remaining.at(-1)).toBe(975);
    } finally {
      spy.mockRestore();
    }
    // The object has counted all three leases (30), used or not: another isolate gets only what is left.
    const other = await env.RATE_LIMITER.getByName(rateLimitName(limit)).lease(1000, 1000, 60, now);
    expect(other.granted).toBe(970);
    // So this isolate's 5 leased requests are the only ones left in the window, then 429.
    for (let i = 0; i < 5; i++) expect((await checkRateLimits(env, [limit], now)).ok).toBe(true);
    const refused = await checkRateLimits(env, [limit], now);
    expect(refused.ok).toBe(false);
    expect(refused.ok === false && refused.reason).toBe("rate-limited");
  });

  it("refuses a spent window in the isolate: a caller past its limit does not call its object again", async () => {
    const limit = obligation({ limit: 2 });
    // Early in a window, so the 20 refusals below fall in the same one.
    const now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    const spy = vi.spyOn(env.RATE_LIMITER, "getByName");
    try {
      expect((await checkRateLimits(env, [limit], now)).ok).toBe(true);
      expect((await checkRateLimits(env, [limit], now)).ok).toBe(true);
      const calls = spy.mock.calls.length;
      for (let i = 0; i < 20; i++) {
        const refused = await checkRateLimits(env, [limit], now + i);
        expect(refused).toMatchObject({ ok: false, reason: "rate-limited" });
        expect(refused.headers["Retry-After"]).toMatch(/^[1-9]\d*$/);
        expect(refused.headers.RateLimit).toMatch(/;r=0;/);
      }
      // The second lease said nothing was left in the window: no call since.
      expect(spy.mock.calls.length - calls).toBe(0);
    } finally {
      spy.mockRestore();
    }
    // The next window asks the object again, and admits.
    expect((await checkRateLimits(env, [limit], now + 60_000)).ok).toBe(true);
  });

  it("counts a leased and a fresh obligation of one request each once, with both in the headers, escaped", async () => {
    // A rule id with a quote and a non-ASCII letter: the RateLimit fields carry it as an sf-string.
    const leasedOne = obligation({ limit: 1000 });
    const fresh = obligation({ rule: `t/${crypto.randomUUID().slice(0, 8)}/"é"` });
    const now = Date.now();
    const resetIn = Math.ceil(((Math.floor(now / 60_000) + 1) * 60_000 - now) / 1000);
    expect((await checkRateLimits(env, [leasedOne], now)).ok).toBe(true); // 10 leased, 9 left here
    const spy = vi.spyOn(env.RATE_LIMITER, "getByName");
    try {
      for (let i = 0; i < 2; i++) {
        const result = await checkRateLimits(env, [leasedOne, fresh], now);
        const name = `"${fresh.rule.replace("é", "?").replaceAll('"', '\\"')}"`;
        expect(result).toEqual({
          ok: true,
          headers: {
            "RateLimit-Policy": `"${leasedOne.rule}";q=1000;w=60, ${name};q=3;w=60`,
            RateLimit: `"${leasedOne.rule}";r=${998 - i};t=${resetIn}, ${name};r=${2 - i};t=${resetIn}`,
          },
        });
      }
      // Only the fresh obligation went to its object (a limit of 3 leases one request at a time).
      expect(spy.mock.calls.map(([name]) => name)).toEqual([rateLimitName(fresh), rateLimitName(fresh)]);
    } finally {
      spy.mockRestore();
    }
  });

  it("answers a lone obligation off its lease with the same fields the object's answer gives", async () => {
    // Escaped as an sf-string on this path too.
    const limit = obligation({ limit: 1000, rule: `t/${crypto.randomUUID().slice(0, 8)}/"é"` });
    const name = `"${limit.rule.replace("é", "?").replaceAll('"', '\\"')}"`;
    // Early in a window, so the requests below all fall in the same one.
    const now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    const fields = (remaining: number) => ({
      ok: true,
      headers: { "RateLimit-Policy": `${name};q=1000;w=60`, RateLimit: `${name};r=${remaining};t=59` },
    });
    expect(await checkRateLimits(env, [limit], now)).toEqual(fields(999)); // 10 leased, 9 left here
    const spy = vi.spyOn(env.RATE_LIMITER, "getByName");
    try {
      for (let i = 0; i < 9; i++) expect(await checkRateLimits(env, [limit], now + i)).toEqual(fields(998 - i));
      expect(spy).not.toHaveBeenCalled();
      // The lease spent: the object is asked again.
      expect(await checkRateLimits(env, [limit], now + 10)).toEqual(fields(989));
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("admits exactly the limit under concurrency with leases: 300 at once with limit 200 give 200", async () => {
    const limit = obligation({ limit: 200 });
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 300 }, () => checkRateLimits(env, [limit], now)));
    expect(results.filter((r) => r.ok)).toHaveLength(200);
    expect(results.filter((r) => !r.ok && r.reason === "rate-limited")).toHaveLength(100);
  });

  it("never resets the count when isolates on the old and the new period call in turn (a push changing period)", async () => {
    const stub = env.RATE_LIMITER.getByName(rateLimitName(obligation({ limit: 10 })));
    const now = Date.now();
    let granted = 0;
    for (let i = 0; i < 40; i++) granted += (await stub.lease(1, 10, i % 2 === 0 ? 60 : 3600, now + i)).granted;
    expect(granted).toBe(10);
  });

  // Found by mutation testing: no test lowered a limit below what its window had already counted. The object must
  // grant nothing then (a 429), and keep its count: a negative grant took requests off the count, and was refused
  // as a malformed answer (a 503 where the limit is what refuses).
  it("refuses, and keeps the count, when a push lowers a limit below what the window has admitted", async () => {
    const before = obligation({ limit: 10 });
    // Early in a window, so every request below falls in the same one.
    const now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    for (let i = 0; i < 8; i++) expect((await checkRateLimits(env, [before], now)).ok).toBe(true);
    // The same object (its counter does not name the limit), now with a limit of 3.
    const lowered = { ...before, limit: 3 };
    expect(await checkRateLimits(env, [lowered], now)).toMatchObject({ ok: false, reason: "rate-limited" });
    // Raised back: the 8 still count, so 2 more are admitted, then 429.
    for (let i = 0; i < 2; i++) expect((await checkRateLimits(env, [before], now)).ok).toBe(true);
    expect(await checkRateLimits(env, [before], now)).toMatchObject({ ok: false, reason: "rate-limited" });
  });

  it("keeps the longer window's count when an old-period request comes after it (60 s, then 1 h, then 60 s)", async () => {
    const stub = env.RATE_LIMITER.getByName(rateLimitName(obligation({ limit: 3 })));
    // An hour well ahead of the clock, so no alarm of this test's object comes in between.
    const hour = (Math.floor(Date.now() / 3_600_000) + 24 * 30) * 3_600_000;
    let granted = 0;
    for (let i = 0; i < 3; i++) granted += (await stub.lease(1, 3, 3600, hour + 10_000 + i)).granted;
    // An isolate still on the old period: refused (the hour's count carries), and it must not shorten the window.
    expect((await stub.lease(1, 3, 60, hour + 130_000)).granted).toBe(0);
    // Minutes on, past that minute's window, in the same hour: still used up.
    for (let i = 0; i < 3; i++) granted += (await stub.lease(1, 3, 3600, hour + 300_000 + i)).granted;
    expect(granted).toBe(3);
    // The hour over, a new one starts.
    expect((await stub.lease(1, 3, 3600, hour + 3_600_000)).granted).toBe(1);
  });

  // Found by mutation testing: a lease answer for a later window than the lease this isolate holds (the object
  // already counts in the next window: another isolate's clock is ahead) starts a lease of that window. Added to
  // the old one, the requests it leased would be thrown away unused when the old window ends.
  it("keeps requests leased for a window later than the caller's clock for that window", async () => {
    const windowStart = (Math.floor(Date.now() / 60_000) + 40_320) * 60_000;
    const limit = obligation({ limit: 1000 });
    // This isolate leases 10 in the first window and uses them all.
    for (let i = 0; i < 10; i++) expect((await checkRateLimits(env, [limit], windowStart + 50_000)).ok).toBe(true);
    // Another isolate, its clock ahead, moves the object on to the next window.
    const stub = env.RATE_LIMITER.getByName(rateLimitName(limit));
    expect((await stub.lease(1, 1000, 60, windowStart + 60_000)).granted).toBe(1);
    // This isolate, still in the first window by its clock, is leased 10 of the next window, and uses one.
    expect((await checkRateLimits(env, [limit], windowStart + 50_000)).ok).toBe(true);
    // In the next window, the other 9 serve requests without asking the object again.
    const spy = vi.spyOn(env.RATE_LIMITER, "getByName");
    try {
      for (let i = 0; i < 9; i++) expect((await checkRateLimits(env, [limit], windowStart + 60_001)).ok).toBe(true);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  // Found by mutation testing: a request refused after it took one off its lease gives it back, but only to the lease
  // of the window it was taken from; given to the next window's lease, that window would admit one request more than
  // its object granted.
  it("gives a refused request back only to the window it was taken from", async () => {
    const windowStart = (Math.floor(Date.now() / 60_000) + 30_240) * 60_000;
    const leasedOne = obligation({ limit: 1000 });
    const down = obligation();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The other bucket's store answers only once the gate opens, and then fails: the request is refused (503).
    const namespace = {
      getByName: (name: string) =>
        name === rateLimitName(down)
          ? { lease: () => gate.then(() => Promise.reject(new Error("Durable Object reset"))) }
          : env.RATE_LIMITER.getByName(name),
    } as unknown as DurableObjectNamespace<RateLimiter>;
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      // The first window: 10 leased to this isolate, one used.
      expect((await checkRateLimits({ RATE_LIMITER: namespace }, [leasedOne], windowStart + 1_000)).ok).toBe(true);
      // A request at its end takes one more off that lease, then waits on its other bucket's store...
      const late = checkRateLimits({ RATE_LIMITER: namespace }, [leasedOne, down], windowStart + 59_999);
      // ...while the next window's first request leases afresh: 10, one used, 9 left here.
      expect((await checkRateLimits({ RATE_LIMITER: namespace }, [leasedOne], windowStart + 60_000)).ok).toBe(true);
      release();
      expect(await late).toMatchObject({ ok: false, reason: "rate-limit-unavailable" });
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
    // Another isolate takes all that the next window has left at the object.
    const stub = env.RATE_LIMITER.getByName(rateLimitName(leasedOne));
    expect((await stub.lease(1000, 1000, 60, windowStart + 60_001)).granted).toBe(990);
    // So this isolate admits its 9 and no more: the request given back was the first window's.
    let admitted = 0;
    for (let i = 0; i < 12; i++) if ((await checkRateLimits(env, [leasedOne], windowStart + 60_002)).ok) admitted++;
    expect(admitted).toBe(9);
  });

  it("never carries a leased request into the next window", async () => {
    const windowStart = (Math.floor(Date.now() / 60_000) + 20_160) * 60_000;
    const limit = obligation({ limit: 1000 });
    expect((await checkRateLimits(env, [limit], windowStart + 1_000)).ok).toBe(true);
    const stub = env.RATE_LIMITER.getByName(rateLimitName(limit));
    // The first window is used up at the object; this isolate still holds 9 leased requests of it.
    expect((await stub.lease(1000, 1000, 60, windowStart + 2_000)).granted).toBe(990);
    for (let i = 0; i < 9; i++) expect((await checkRateLimits(env, [limit], windowStart + 59_999)).ok).toBe(true);
    expect((await checkRateLimits(env, [limit], windowStart + 59_999)).ok).toBe(false);
    // The next window starts from the object's fresh count, not from what was left of the old lease.
    const next = await checkRateLimits(env, [limit], windowStart + 60_000);
    expect(next).toEqual({
      ok: true,
      headers: { "RateLimit-Policy": `"${limit.rule}";q=1000;w=60`, RateLimit: `"${limit.rule}";r=999;t=60` },
    });
    expect(
      await runInDurableObject(
        stub,
        (_i, state) => state.storage.sql.exec<{ count: number }>("SELECT count FROM counter").one().count,
      ),
    ).toBe(10);
  });
});
