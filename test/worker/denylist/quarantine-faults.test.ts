// A refusal that Ward's own failing reads may have caused (Access's or an issuer's key set, Access's directory,
// the grant store) says nothing of the caller, and is not counted toward quarantine (from a review: a minute's
// outage quarantined the callers it refused for the policy's whole `for`, a shared frontend's certificate among
// them, long after the fault cleared). Each case: refused during the fault (the origin never sees it), then one
// refusal of the same caller with nothing failing, which is counted: the counter holds that one alone.
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { AUD, accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { workloadToken } from "../support/workload-tokens.ts";

const signing = inject("accessPrivateJwk");
// An audience of this file's own, so Access's key set is fetched afresh here (its verifier is per audience); the
// key-set case, last, takes another for the same reason.
const aud = "e".repeat(64);
// A threshold no case reaches: what is asserted is the count itself.
const policy = demoPolicy
  .replace(`audiences: ["${AUD}"]`, `audiences: ["${aud}"]`)
  .replace("\nservices:\n", "\nquarantine: { deniedRequests: 100, within: 10m, for: 1h }\n\nservices:\n");
const CHECKOUT = "workload:spiffe://demo.ward.internal/ns/shop/sa/checkout";

beforeAll(async () => {
  await activate(policy);
  resetPolicyCache();
});
afterEach(() => vi.restoreAllMocks());

async function call(
  url: string,
  init: { method?: string; token?: string; bearer?: string; certificate?: boolean } = {},
): Promise<{ status: number; seen: number }> {
  const m = marker();
  const headers: Record<string, string> = {};
  if (init.token) headers["cf-access-jwt-assertion"] = init.token;
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const res = await exports.default.fetch(`${url}?${m}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.certificate ? { cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) } } : {}),
  } as RequestInit);
  await res.arrayBuffer();
  return { status: res.status, seen: (await originSaw(m)).length };
}

/** The denials counted against `key` (its DenialCounter), read in the object itself. */
const counted = (key: string) =>
  runInDurableObject(
    (env as Env).DENIAL_COUNTER.getByName(key),
    async (_object, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM denials").one().n,
  );

/**
 * The counting runs off the request path, in the order the refusals were made: once the count has grown by the
 * refusal made with nothing failing, any refusal before it that was counted has been too.
 */
async function countAfter(key: string, before: number): Promise<number> {
  let now = await counted(key);
  for (let i = 0; i < 80 && now <= before; i++) {
    await new Promise((r) => setTimeout(r, 25));
    now = await counted(key);
  }
  return now - before;
}

/** Waits until the count has grown by at least `atLeast`, then a little longer, and says by how much. */
async function settled(key: string, before: number, atLeast: number): Promise<number> {
  for (let i = 0; i < 80 && (await counted(key)) - before < atLeast; i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 300));
  return (await counted(key)) - before;
}

/** An hour's exception letting `who` read orders (GET), stored as the admin API stores one. */
async function grantReads(who: string, ticket: string): Promise<void> {
  const now = Date.now();
  const created = await (env as Env).GRANTS.getByName(grantsShard("orders")).create(
    {
      kind: "exception",
      principal: { email: who },
      service: "orders",
      routes: "*",
      methods: ["GET"],
      reason: "on call",
      ticket,
      requestedBy: who,
      approvedBy: "orders-team@example.com",
      notBefore: now,
      notAfter: now + 3600_000,
    },
    "test",
    now,
  );
  expect(created.ok).toBe(true);
}

/** `fetch` answering `status` for URLs ending in `suffix`, the rest as before (the outside edge only). */
function failing(suffix: string, status: number): void {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith(suffix)) return new Response("upstream error", { status });
    return realFetch(input, init);
  });
}

it("a workload whose token's issuer key set cannot be had", async () => {
  const before = await counted(CHECKOUT);
  failing("spire.demo.ward.internal/bundle", 502);
  for (let i = 0; i < 3; i++) {
    const bearer = await workloadToken({ issuer: "spire" });
    expect(await call("https://payments.localhost/v1/charge", { method: "POST", bearer, certificate: true })).toEqual({
      status: 404,
      seen: 0,
    });
  }
  vi.restoreAllMocks();
  // Without the token, its certificate lacks the route's scopes: refused and counted.
  expect(await call("https://payments.localhost/v1/charge", { method: "POST", certificate: true })).toEqual({
    status: 404,
    seen: 0,
  });
  expect(await countAfter(CHECKOUT, before)).toBe(1);
});

it("a person whose groups Access's directory cannot give", async () => {
  const who = "faulted-editor@example.com";
  const token = await accessToken(signing, { email: who, aud: [aud], identity_nonce: "n-faulted-editor" });
  const key = `user:${who}`;
  const before = await counted(key);
  failing("/cdn-cgi/access/get-identity", 500);
  for (let i = 0; i < 3; i++)
    expect(await call("https://wiki.localhost/page", { method: "POST", token })).toEqual({ status: 403, seen: 0 });
  vi.restoreAllMocks();
  // A route no group opens to this person (the directory answers again): refused and counted.
  const outsider = await accessToken(signing, { email: who, aud: [aud], identity_nonce: "n-faulted-editor-2" });
  expect(await call("https://payments.localhost/v1/charge", { method: "POST", token: outsider })).toEqual({
    status: 404,
    seen: 0,
  });
  expect(await countAfter(key, before)).toBe(1);
});

it("a person whose exception the grant store cannot give", async () => {
  const who = "faulted-grantee@example.com";
  const key = `user:${who}`;
  await grantReads(who, "OPS-1");
  const token = await accessToken(signing, { email: who, aud: [aud] });
  const before = await counted(key);
  vi.spyOn((env as Env).GRANTS, "getByName").mockImplementation(() => {
    throw new Error("Durable Object overloaded");
  });
  for (let i = 0; i < 3; i++)
    expect(await call("https://orders.localhost/v1/orders/42", { token })).toEqual({ status: 403, seen: 0 });
  vi.restoreAllMocks();
  // A method no route takes, with the store answering: refused (404: no route) and counted.
  expect(await call("https://orders.localhost/v1/orders/42", { method: "DELETE", token })).toEqual({
    status: 404,
    seen: 0,
  });
  expect(await countAfter(key, before)).toBe(1);
  // And the grant is honoured again.
  expect(await call("https://orders.localhost/v1/orders/42", { token })).toEqual({ status: 200, seen: 1 });
});

it("a grant holder's refusals while the grant store fails, whichever request made the read (from a review)", async () => {
  const who = "outage-grantee@example.com";
  const key = `user:${who}`;
  await grantReads(who, "OPS-2");
  const token = await accessToken(signing, { email: who, aud: [aud] });
  await new Promise((r) => setTimeout(r, 120)); // past GRANTS_REFRESH_SECONDS (0.05 in the tests): read again
  expect(await call("https://orders.localhost/v1/orders/7", { token })).toEqual({ status: 200, seen: 1 });
  const before = await counted(key);
  // The copy grows old; then a burst meets a store that fails after a moment: one request reads, the rest wait.
  await new Promise((r) => setTimeout(r, 1_200));
  vi.spyOn((env as Env).GRANTS, "getByName").mockImplementation(
    () =>
      ({
        active: () => new Promise((_, reject) => setTimeout(() => reject(new Error("Durable Object overloaded")), 50)),
      }) as never,
  );
  const burst = await Promise.all(
    Array.from({ length: 6 }, () => call("https://orders.localhost/v1/orders/7", { token })),
  );
  expect(burst).toEqual(Array(6).fill({ status: 403, seen: 0 }));
  vi.restoreAllMocks();
  // With the store answering, one refusal of the person's own: the count holds that one alone.
  expect(await call("https://orders.localhost/v1/orders/7", { method: "DELETE", token })).toEqual({
    status: 404,
    seen: 0,
  });
  expect(await countAfter(key, before)).toBe(1);
});

// From a review of the fix: what a caller can bring about itself must not make its refusals go uncounted.
it("counts the refusals made while another request's grants read hangs (a caller abandoning one)", async () => {
  const url = "https://payments.localhost/v1/charge";
  const before = await counted(CHECKOUT);
  expect(await call(url, { method: "POST", certificate: true })).toEqual({ status: 404, seen: 0 });
  expect(await settled(CHECKOUT, before, 1)).toBe(1);
  // One request's re-read never answers, as one whose client went away might not (its I/O cancelled).
  let release!: (e: Error) => void;
  const hung = new Promise<never>((_, reject) => (release = reject));
  hung.catch(() => undefined);
  const real = (env as Env).GRANTS.getByName.bind((env as Env).GRANTS);
  let hungReads = 0;
  vi.spyOn((env as Env).GRANTS, "getByName").mockImplementation((name: string) =>
    hungReads++ === 0 ? ({ active: () => hung, consume: () => hung } as never) : real(name),
  );
  const abandoned = call(url, { method: "POST", certificate: true });
  for (let i = 0; i < 100 && hungReads === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(hungReads).toBe(1);
  vi.restoreAllMocks();
  await new Promise((r) => setTimeout(r, 1_100));
  // The store is healthy: the caller's refusals meanwhile are its own, and counted.
  for (let i = 0; i < 5; i++)
    expect(await call(url, { method: "POST", certificate: true })).toEqual({ status: 404, seen: 0 });
  release(new Error("cancelled"));
  await abandoned;
  expect(await settled(CHECKOUT, before, 6)).toBe(6);
});

it("counts the refusals of a person whose own directory answer cannot be used (a group name they chose)", async () => {
  const who = "self-named-group@example.com";
  const key = `user:${who}`;
  const before = await counted(key);
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith("/cdn-cgi/access/get-identity"))
      return Response.json({ email: who, groups: ["engineering", "my\u0007group"] });
    return realFetch(input, init);
  });
  for (let i = 0; i < 3; i++) {
    const token = await accessToken(signing, { email: who, aud: [aud], identity_nonce: `n-chosen-${i}` });
    expect(await call("https://payments.localhost/v1/charge", { method: "POST", token })).toEqual({
      status: 404,
      seen: 0,
    });
  }
  vi.restoreAllMocks();
  expect(await settled(key, before, 3)).toBe(3);
});

it("a shared frontend's certificate: its users' tokens unchecked while Access's key set cannot be had", async () => {
  // Another audience, whose verifier has fetched no key set yet.
  const cold = "f".repeat(64);
  await activate(policy.replace(`audiences: ["${aud}"]`, `audiences: ["${cold}"]`));
  resetPolicyCache();
  const before = await counted(CHECKOUT);
  failing("/cdn-cgi/access/certs", 500);
  for (const who of ["ann", "bob", "cy"]) {
    const token = await accessToken(signing, { email: `${who}@example.com`, aud: [cold] });
    expect(await call("https://wiki.localhost/page", { token, certificate: true })).toEqual({ status: 403, seen: 0 });
  }
  vi.restoreAllMocks();
  // The frontend alone, refused with nothing failing: counted.
  expect(await call("https://wiki.localhost/page", { certificate: true })).toEqual({ status: 403, seen: 0 });
  expect(await countAfter(CHECKOUT, before)).toBe(1);
});
