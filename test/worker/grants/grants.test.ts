// Exceptions and break-glass in workerd with the real Grants Durable Object: granted through the admin API
// (bad input changes nothing), honoured by the gateway, revoked within the refresh interval, counted exactly
// under concurrency, retired by the alarm, and failing closed when the store is unreachable.
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { consumeGrant, grantsRefreshMs, readableGrants } from "../../../worker/grants/cache.ts";
import { grantsShard, MAX_ACTIVE_GRANTS, type GrantRecord } from "../../../worker/grants/store.ts";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const HOUR = 3600_000;

async function as(email: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-grants-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`${ADMIN}${path}`, { ...init, headers });
}

const grantException = (body: Record<string, unknown>, email = "admin@example.com") =>
  as(email, "/exceptions", { method: "POST", body: JSON.stringify(body) });

const base = {
  principal: { email: "ann@example.com" },
  service: "wiki",
  routes: ["edit"],
  methods: ["POST"],
  reason: "migrating the handbook",
  ticket: "SEC-42",
  requestedBy: "ann@example.com",
  approvedBy: "wiki-team@example.com",
};

async function annEdits(): Promise<{
  status: number;
  seen: number;
  marker: string;
  decision?: Record<string, unknown>;
}> {
  const m = marker();
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
    method: "POST",
    headers: {
      "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-ann" }),
    },
  });
  spy.mockRestore();
  const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision");
  return { status: res.status, seen: (await originSaw(m)).length, marker: m, ...(decision ? { decision } : {}) };
}

async function listed(): Promise<GrantRecord[]> {
  return ((await (await as("admin@example.com", "/grants?all=1")).json()) as { grants: GrantRecord[] }).grants;
}

const settle = () => new Promise((r) => setTimeout(r, 120)); // > GRANTS_REFRESH_SECONDS (0.05) in the tests

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("exceptions", () => {
  it("starts a grant backdated past now at its creation, so its window is never longer than the cap", async () => {
    // From a review: the cap is measured from now, and a notBefore in 2000 was stored as given: the log, `ward
    // reach --grants` and `ward metrics` (age = now - notBefore) showed a window of 9,843 days.
    const before = Date.now();
    const res = await grantException({
      ...base,
      notBefore: "2000-01-01T00:00:00Z",
      notAfter: new Date(before + 7 * 24 * HOUR - 60_000).toISOString(),
    });
    expect(res.status).toBe(201);
    const { grant } = (await res.json()) as { grant: GrantRecord };
    expect(grant.notBefore).toBeGreaterThanOrEqual(before);
    expect(grant.notBefore).toBeLessThanOrEqual(Date.now());
    expect((await as("admin@example.com", `/grants/wiki/${grant.id}?reason=done`, { method: "DELETE" })).status).toBe(
      200,
    );
  });

  it("reads a notAfter of ten fraction digits as written", async () => {
    // From a generated review: Date.parse reads `.0500000000` as 500 ms, not 50, so the grant lasted 450 ms more.
    const second = Math.floor((Date.now() + HOUR) / 1000) * 1000;
    const notAfter = new Date(second).toISOString().replace(".000Z", ".0500000000Z");
    const res = await grantException({ ...base, notAfter });
    expect(res.status).toBe(201);
    const { grant } = (await res.json()) as { grant: GrantRecord };
    expect(grant.notAfter).toBe(second + 50);
    expect((await as("admin@example.com", `/grants/wiki/${grant.id}?reason=done`, { method: "DELETE" })).status).toBe(
      200,
    );
  });

  it("refuses bad input and stores nothing", async () => {
    const before = (await listed()).length;
    const now = Date.now();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, service: "wikki", notAfter: new Date(now + HOUR).toISOString() }, 'unknown service "wikki"'],
      [{ ...base, routes: ["delete"], notAfter: new Date(now + HOUR).toISOString() }, "unknown route delete in wiki"],
      [{ ...base, notAfter: new Date(now - 1000).toISOString() }, "notAfter is in the past"],
      [{ ...base, notAfter: new Date(now + 8 * 24 * HOUR).toISOString() }, "longer than the policy allows (168 h"],
      [
        {
          ...base,
          notBefore: new Date(now + 31 * 24 * HOUR).toISOString(),
          notAfter: new Date(now + 31 * 24 * HOUR + HOUR).toISOString(),
        },
        "notBefore is more than 30 days ahead",
      ],
      [{ ...base, reason: "", notAfter: new Date(now + HOUR).toISOString() }, "reason: give the reason"],
      [
        { ...base, principal: { public: true }, notAfter: new Date(now + HOUR).toISOString() },
        "a grant names one principal",
      ],
      [
        { ...base, principal: { authenticated: true }, notAfter: new Date(now + HOUR).toISOString() },
        "a grant names one principal",
      ],
      // Patterns and sets would admit whoever they come to cover, a set even after a later push widens it.
      [
        { ...base, principal: { set: "sre" }, notAfter: new Date(now + HOUR).toISOString() },
        "a grant names one principal",
      ],
      [
        { ...base, principal: { emailDomain: "example.com" }, notAfter: new Date(now + HOUR).toISOString() },
        "a grant names one principal",
      ],
      [
        {
          ...base,
          principal: { spiffePrefix: "spiffe://demo.ward.internal/" },
          notAfter: new Date(now + HOUR).toISOString(),
        },
        "a grant names one principal",
      ],
      [
        { ...base, service: "constructor", notAfter: new Date(now + HOUR).toISOString() },
        'unknown service "constructor"',
      ],
      [
        { ...base, service: "__proto__", routes: "*", notAfter: new Date(now + HOUR).toISOString() },
        'unknown service "__proto__"',
      ],
      // Every isolate copies a service's active grants whole: each one is bounded, not only their number.
      [{ ...base, routes: ["edit", "edit"], notAfter: new Date(now + HOUR).toISOString() }, "a route is listed twice"],
      [
        {
          ...base,
          routes: Array.from({ length: 33 }, (_, i) => `r${i}`),
          notAfter: new Date(now + HOUR).toISOString(),
        },
        'at most 32 routes ("*" is all of them)',
      ],
      [
        { ...base, methods: ["POST", "POST"], notAfter: new Date(now + HOUR).toISOString() },
        "a method is listed twice",
      ],
      [
        { ...base, principal: { group: "g".repeat(3000) }, notAfter: new Date(now + HOUR).toISOString() },
        "the principal is longer than 2200 bytes",
      ],
      // A name no token is read as: the grant would be listed and honoured for nobody.
      [
        { ...base, principal: { serviceToken: "ci-bot.access" }, notAfter: new Date(now + HOUR).toISOString() },
        "serviceToken ci-bot.access: expected an Access service token's client id",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await grantException(body);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: string }).error).toContain(message);
    }
    expect(
      (await grantException({ ...base, notAfter: new Date(now + HOUR).toISOString() }, "ann@example.com")).status,
    ).toBe(403);
    expect((await listed()).length).toBe(before);
    // A service in a path or query is a service name (each one is a Durable Object), and a revoke's reason is bounded.
    expect((await as("admin@example.com", "/grants?service=Not_A_Service")).status).toBe(400);
    expect((await as("admin@example.com", "/grants/Not_A_Service/exc-1", { method: "DELETE" })).status).toBe(400);
    expect((await as("admin@example.com", "/grants/Not_A_Service/exc-1/events")).status).toBe(400);
    expect(
      (await as("admin@example.com", `/grants/wiki/exc-1?reason=${"x".repeat(501)}`, { method: "DELETE" })).status,
    ).toBe(400);
    expect((await as("admin@example.com", "/grants/wiki/exc-none?reason=done", { method: "DELETE" })).status).toBe(404);
  });

  it("lets the named person do what no rule lets them, logs the grant, and stops at once when revoked", async () => {
    const denied = await annEdits();
    expect(denied).toMatchObject({ status: 403, seen: 0 });
    const res = await grantException({ ...base, notAfter: new Date(Date.now() + HOUR).toISOString() });
    expect(res.status).toBe(201);
    const { grant } = (await res.json()) as { grant: GrantRecord };
    expect(grant).toMatchObject({
      kind: "exception",
      status: "active",
      createdBy: "user:admin@example.com",
      ticket: "SEC-42",
    });
    await settle();
    const allowed = await annEdits();
    expect(allowed).toMatchObject({ status: 200, seen: 1 });
    expect(allowed.decision).toMatchObject({
      reasons: ["allowed-by-exception"],
      exception: { id: grant.id, kind: "exception" },
    });
    const forwarded = (await originSaw(String(allowed.marker)))[0]!;
    const claims = JSON.parse(
      atob(String(forwarded.headers["ward-assertion"]).split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")),
    ) as Record<string, unknown>;
    expect(claims.ward_exception).toBe(`exception:${grant.id}`);
    expect(claims.ward_rule).toBeUndefined();

    const revoked = await as("admin@example.com", `/grants/wiki/${grant.id}?reason=done`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    await settle();
    expect(await annEdits()).toMatchObject({ status: 403, seen: 0 });
    const events = (
      (await (await as("admin@example.com", `/grants/wiki/${grant.id}/events`)).json()) as {
        events: { action: string; who: string }[];
      }
    ).events;
    expect(events.map((e) => `${e.action} ${e.who}`)).toEqual([
      "created user:admin@example.com",
      "revoked user:admin@example.com",
    ]);
  });

  it("counts a use limit exactly under concurrent requests", async () => {
    const res = await grantException({ ...base, maxUses: 3, notAfter: new Date(Date.now() + HOUR).toISOString() });
    const { grant } = (await res.json()) as { grant: GrantRecord };
    await settle();
    // One denied request re-reads the service's grants (concurrent ones meanwhile use the copy they have).
    await exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
      method: "POST",
      headers: {
        "cf-access-jwt-assertion": await accessToken(signing, { email: "bob@example.com", identity_nonce: "n-bob" }),
      },
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => annEdits()));
    expect(results.filter((r) => r.status === 200).length).toBe(3);
    expect(results.reduce((n, r) => n + r.seen, 0)).toBe(3);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.seen).toBe(0);
    const stored = (await listed()).find((g) => g.id === grant.id)!;
    expect(stored).toMatchObject({ uses: 3, status: "used-up" });
  });

  it("spends no use on a request the denylist refuses", async () => {
    const res = await grantException({ ...base, maxUses: 2, notAfter: new Date(Date.now() + HOUR).toISOString() });
    const { grant } = (await res.json()) as { grant: GrantRecord };
    const revoked = await as("admin@example.com", "/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "ann@example.com", reason: "laptop stolen" }),
    });
    expect(revoked.status).toBe(201);
    const { entry } = (await revoked.json()) as { entry: { id: string } };
    // Someone else's request has the isolate re-read the denylist in the background, so Ann's first sees it.
    const refreshDenylist = async () => {
      await exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
        headers: {
          "cf-access-jwt-assertion": await accessToken(signing, { email: "bob@example.com", identity_nonce: "n-bob" }),
        },
      });
      await settle();
    };
    await settle();
    await refreshDenylist();
    for (let i = 0; i < 3; i++) expect(await annEdits()).toMatchObject({ status: 403, seen: 0 });
    expect((await listed()).find((g) => g.id === grant.id)).toMatchObject({ uses: 0, status: "active" });
    expect((await as("admin@example.com", `/denylist/${entry.id}`, { method: "DELETE" })).status).toBe(200);
    await settle();
    await refreshDenylist();
    expect(await annEdits()).toMatchObject({ status: 200, seen: 1 });
    expect(await annEdits()).toMatchObject({ status: 200, seen: 1 });
    expect(await annEdits()).toMatchObject({ status: 403, seen: 0 });
    expect((await listed()).find((g) => g.id === grant.id)).toMatchObject({ uses: 2, status: "used-up" });
  });

  it("retires a grant at its notAfter by alarm, and records it", async () => {
    const res = await grantException({ ...base, notAfter: new Date(Date.now() + 150).toISOString() });
    const { grant } = (await res.json()) as { grant: GrantRecord };
    await new Promise((r) => setTimeout(r, 200));
    expect(await annEdits()).toMatchObject({ status: 403, seen: 0 }); // expiry is compared on the request path
    const stub = (env as unknown as Env).GRANTS.getByName(grantsShard("wiki"));
    // workerd fires the alarm on its own at notAfter; runDurableObjectAlarm runs it now if it has not yet.
    await runDurableObjectAlarm(stub);
    expect((await listed()).find((g) => g.id === grant.id)).toMatchObject({ status: "expired" });
    const events = await stub.events(grant.id);
    expect(events.map((e) => `${e.action} ${e.who}`)).toEqual(["created user:admin@example.com", "expired alarm"]);
  });

  it("fails closed when the grant store is unreachable: no grant, no use", async () => {
    const broken = {
      GRANTS: {
        getByName: () => ({
          active: () => Promise.reject(new Error("overloaded")),
          consume: () => Promise.reject(new Error("overloaded")),
        }),
      },
    } as unknown as Env;
    expect(await readableGrants(broken, "no-such-service-yet", Date.now())).toBeUndefined();
    expect(await consumeGrant(broken, "wiki", "exc-x", Date.now())).toEqual({ ok: false, status: "unavailable" });
  });
});

describe("how many grants a service may have active", () => {
  it("refuses the exception past the cap (and stores nothing), keeps break-glass apart, and takes one again once one ends", async () => {
    // Every isolate copies a service's active grants whole: their number is bounded per kind.
    const store = (env as Env).GRANTS.getByName(grantsShard("payments"));
    const now = Date.now();
    const one = (i: number) => ({
      kind: "exception" as const,
      principal: { email: `p${i}@example.com` },
      service: "payments",
      routes: "*" as const,
      methods: "*" as const,
      reason: "cap test",
      ticket: `CAP-${i}`,
      requestedBy: "admin@example.com",
      approvedBy: "payments-team@example.com",
      notBefore: now,
      notAfter: now + HOUR,
    });
    const limit = MAX_ACTIVE_GRANTS.exception;
    // An expired grant the alarm has not retired yet does not count against the cap.
    const expired = await store.create({ ...one(-1), notBefore: now - 2 * HOUR, notAfter: now - HOUR }, "test", now);
    expect(expired.ok).toBe(true);
    let first: GrantRecord | undefined;
    for (let i = 0; i < limit - 1; i++) {
      const created = await store.create(one(i), "test", now);
      if (!created.ok) throw new Error(`refused at ${i}`);
      first ??= created.record;
    }
    const body = {
      ...base,
      // Nobody another test calls as: the grants of this test open all of payments.
      principal: { email: "cap@example.com" },
      service: "payments",
      routes: "*",
      methods: "*",
      notAfter: new Date(now + HOUR).toISOString(),
    };
    expect((await grantException(body)).status).toBe(201);
    const before = (await store.list()).length;
    const refused = await grantException(body);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toBe(
      `payments already has ${limit} exceptions in force (active, or used up and not yet expired), the most it may have: revoke those no longer needed (ward exceptions list, ward breakglass list), or change the policy`,
    );
    expect((await store.list()).length).toBe(before);

    const emergency = await as("admin@example.com", "/breakglass", {
      method: "POST",
      body: JSON.stringify({ service: "payments", justification: "payments are down, need access", minutes: 10 }),
    });
    expect(emergency.status).toBe(201);

    expect((await store.revoke(first!.id, "test", "cap test", Date.now()))?.record.status).toBe("revoked");
    expect((await grantException(body)).status).toBe(201);
    // Other tests list every break-glass grant, and these open all of payments: they all end here.
    for (const grant of await store.list()) await store.revoke(grant.id, "test", "cap test over", Date.now());
    // A thousand grants created and revoked one call each: seconds on a loaded machine, not a speed target.
  }, 30_000);
  it("counts a grant whose uses are spent until its notAfter: every isolate's copy keeps it", async () => {
    // A shard of its own: nothing else here reads it.
    const store = (env as Env).GRANTS.getByName(grantsShard("spent-cap"));
    const now = Date.now();
    const limit = MAX_ACTIVE_GRANTS["break-glass"];
    const one = (i: number) => ({
      kind: "break-glass" as const,
      principal: { email: `spent${i}@example.com` },
      service: "spent-cap",
      routes: "*" as const,
      methods: "*" as const,
      reason: "spent cap",
      ticket: "break-glass",
      requestedBy: "admin@example.com",
      approvedBy: "admin@example.com",
      notBefore: now,
      notAfter: now + HOUR,
      maxUses: 1,
    });
    let spent: GrantRecord | undefined;
    for (let i = 0; i < limit; i++) {
      const created = await store.create(one(i), "test", now);
      if (!created.ok) throw new Error(`refused at ${i}`);
      expect((await store.consume(created.record.id, now)).ok).toBe(true);
      spent ??= created.record;
    }
    expect(await store.create(one(limit), "test", now)).toEqual({ ok: false, problem: "grants-full", limit });
    expect((await store.active(now)).length).toBe(limit);
    // Listed as in force, so an operator told the service is full sees what fills it.
    expect((await store.list()).filter((g) => g.status === "used-up")).toHaveLength(limit);
    // Revoked, a spent one frees its place; past its notAfter, none counts.
    expect((await store.revoke(spent!.id, "test", "spent cap", now))?.record.status).toBe("revoked");
    expect((await store.create(one(limit), "test", now)).ok).toBe(true);
    expect((await store.create(one(limit + 1), "test", now + HOUR)).ok).toBe(true);
  }, 60_000);
});

describe("GRANTS_REFRESH_SECONDS", () => {
  it("is read as at most 15 s: a copy older than 30 s is not honoured, so a longer interval left grants unusable", () => {
    const ms = (value?: string) => grantsRefreshMs({ GRANTS_REFRESH_SECONDS: value });
    expect([ms(), ms("0"), ms("5"), ms("abc"), ms("-1"), ms("15"), ms("60"), ms("1e12")]).toEqual([
      2000, 0, 5000, 2000, 2000, 15_000, 15_000, 15_000,
    ]);
  });
});

describe("break-glass", () => {
  it("reads again when an earlier read never finished (its request was cancelled), instead of aging its copy", async () => {
    const grant = {
      id: "exc-late",
      service: "abandoned-read",
      routes: "*",
      methods: "*",
      principal: { email: "ann@example.com" },
      notBefore: 0,
      notAfter: Number.MAX_SAFE_INTEGER,
      kind: "exception",
    };
    const answers: (() => Promise<unknown[]>)[] = [async () => [], () => new Promise(() => {}), async () => [grant]];
    let reads = 0;
    const store = { GRANTS: { getByName: () => ({ active: () => answers[reads++]!() }) } } as unknown as Env;
    const t0 = Date.now();
    expect(await readableGrants(store, "abandoned-read", t0)).toEqual([]);
    void readableGrants(store, "abandoned-read", t0 + 3000); // due: starts a read that never settles
    // That read has run a second, and the copy is older than the interval and a read's wait: set aside.
    expect(await readableGrants(store, "abandoned-read", t0 + 4000)).toBeUndefined();
    expect(reads).toBe(2);
    expect(await readableGrants(store, "abandoned-read", t0 + 14_000)).toEqual([grant]); // 11 s on: abandoned, read again
    expect(reads).toBe(3);
  });

  it("grants the caller minutes of access with a justification, announces it, and is listed as break-glass", async () => {
    const tooLong = await as("admin@example.com", "/breakglass", {
      method: "POST",
      body: JSON.stringify({ service: "orders", justification: "orders are down, need admin", minutes: 45 }),
    });
    expect(tooLong.status).toBe(422);
    const noReason = await as("admin@example.com", "/breakglass", {
      method: "POST",
      body: JSON.stringify({ service: "orders", justification: "help", minutes: 10 }),
    });
    expect(noReason.status).toBe(422);
    const res = await as("admin@example.com", "/breakglass", {
      method: "POST",
      body: JSON.stringify({
        service: "orders",
        routes: ["admin"],
        justification: "orders are down, need admin",
        minutes: 10,
      }),
    });
    expect(res.status).toBe(201);
    const { grant } = (await res.json()) as { grant: GrantRecord };
    expect(grant).toMatchObject({
      kind: "break-glass",
      principal: { email: "admin@example.com" },
      reason: "orders are down, need admin",
    });
    expect(grant.notAfter - grant.notBefore).toBe(10 * 60_000);
    // Other test files announce to the same stand-in webhook: find this grant's announcement by its id.
    let announced: { body: string }[] = [];
    for (let i = 0; i < 20 && announced.length === 0; i++) {
      announced = (await originSaw("__notify-webhook")).filter((r) => r.body.includes(grant.id));
      if (announced.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(announced).toHaveLength(1);
    expect(JSON.parse(announced[0]!.body)).toMatchObject({
      text: expect.stringContaining('Break-glass on `orders` for `{"email":"admin@example.com"}`'),
      grant: { id: grant.id },
    });
    const open = (
      (await (await as("admin@example.com", "/grants?kind=break-glass")).json()) as { grants: GrantRecord[] }
    ).grants;
    expect(open.map((g) => g.id)).toEqual([grant.id]);
  });
});

describe("the Grants object's own checks (an isolate's copy trails it by seconds)", () => {
  // A shard of its own: nothing else here reads it.
  const store = () => (env as Env).GRANTS.getByName(grantsShard("store-checks"));
  const grant = (notBefore: number, notAfter: number, maxUses?: number) => ({
    kind: "exception" as const,
    principal: { email: "store-checks@example.com" },
    service: "store-checks",
    routes: "*" as const,
    methods: "*" as const,
    reason: "store checks",
    ticket: "SEC-7",
    requestedBy: "admin@example.com",
    approvedBy: "admin@example.com",
    notBefore,
    notAfter,
    ...(maxUses !== undefined ? { maxUses } : {}),
  });
  const created = async (g: ReturnType<typeof grant>, now: number): Promise<GrantRecord> => {
    const result = await store().create(g, "test", now);
    if (!result.ok) throw new Error("refused");
    return result.record;
  };

  it("counts no use outside the grant's window, whatever the caller's clock said of it", async () => {
    const now = Date.now();
    const { id } = await created(grant(now + HOUR, now + 2 * HOUR, 2), now);
    expect(await store().consume(id, now)).toEqual({ ok: false, status: "outside-window" });
    expect(await store().consume(id, now + 2 * HOUR)).toEqual({ ok: false, status: "outside-window" });
    expect((await store().list()).find((g) => g.id === id)).toMatchObject({ uses: 0, status: "active" });
    expect(await store().consume(id, now + HOUR)).toEqual({ ok: true, uses: 1 });
    await store().revoke(id, "test", "store checks over", now);
  });

  it("hands the gateway a grant whose last use is spent marked used up, so it lets no request through", async () => {
    const now = Date.now();
    const { id } = await created(grant(now, now + HOUR, 1), now);
    expect((await store().active(now)).find((g) => g.id === id)?.usedUp).toBeUndefined();
    expect(await store().consume(id, now)).toEqual({ ok: true, uses: 1 });
    expect((await store().active(now)).find((g) => g.id === id)).toMatchObject({ id, maxUses: 1, usedUp: true });
    await store().revoke(id, "test", "store checks over", now);
  });

  it("retires only active grants at their notAfter: a revoked one stays revoked in the audit trail", async () => {
    const now = Date.now();
    const revoked = await created(grant(now - HOUR, now + 150), now);
    const lapsing = await created(grant(now - HOUR, now + 150), now);
    expect((await store().revoke(revoked.id, "test", "no longer needed", now))?.record.status).toBe("revoked");
    await new Promise((r) => setTimeout(r, 200));
    // workerd fires the alarm on its own at notAfter; runDurableObjectAlarm runs it now if it has not yet.
    await runDurableObjectAlarm(store());
    const all = await store().list(true);
    expect(all.find((g) => g.id === lapsing.id)?.status).toBe("expired");
    expect(all.find((g) => g.id === revoked.id)?.status).toBe("revoked");
    expect((await store().events(revoked.id)).map((e) => e.action)).toEqual(["created", "revoked"]);
  });
});
