// Workload tokens end to end in workerd: the demo policy's issuers (SPIRE, a Kubernetes cluster, GitHub
// Actions) with keys served by the test's outbound mock, real signed tokens, the recording origin. Every deny
// also asserts the origin never saw the request; every allow that the origin never saw the token.
import { exports } from "cloudflare:workers";
import { decodeJwt, importJWK, jwtVerify } from "jose";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { AUD, accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { issuerKey, workloadToken, type WorkloadTokenSpec } from "../support/workload-tokens.ts";
import { EGRESS_COUNT } from "../issuer-endpoints.ts";
import { MAX_CLAIMED_PAYLOADS } from "../../../worker/identity/bearer.ts";

const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";
const OTHER_APP = "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";

/**
 * The demo policy, and for this file: an orders route that forwards Authorization (an app with its own login),
 * a vault service that requires a certificate, a payouts route for both factors, and a wiki that takes only
 * its own Access application's tokens.
 */
function policy(): string {
  const doc = parse(demoPolicy);
  doc.identity.access.audiences.push(OTHER_APP);
  doc.identityBindings = { payouts: [{ workload: CHECKOUT, access: "4e21e9b2c4eca176e6665d37384985b6.access" }] };
  doc.services.orders.routes.push({
    id: "export",
    methods: ["GET"],
    path: "/v1/export",
    forwardHeaders: ["Authorization"],
    rules: [
      { id: "shop", effect: "allow", principals: [{ set: "frontend-workloads" }, { set: "checkout-workloads" }] },
    ],
  });
  doc.services.payments.routes.push({
    id: "payouts",
    methods: ["POST"],
    path: "/v1/payouts",
    rules: [
      {
        id: "checkout-with-ops",
        effect: "allow",
        bothFactors: {
          workload: [{ set: "checkout-workloads" }],
          access: [{ serviceToken: "4e21e9b2c4eca176e6665d37384985b6.access" }],
          binding: "payouts",
        },
      },
    ],
  });
  doc.services.vault = {
    hosts: ["vault.localhost"],
    origin: { tunnel: "WIKI" },
    owner: "security@example.com",
    requireCertificate: true,
    routes: [
      {
        id: "read",
        methods: ["GET"],
        path: "/v1/secret",
        rules: [{ id: "checkout", effect: "allow", principals: [{ set: "checkout-workloads" }] }],
      },
    ],
  };
  doc.services.wiki.accessAudiences = [AUD];
  doc.services.handbook = {
    hosts: ["handbook.localhost"],
    origin: { tunnel: "WIKI" },
    owner: "it@example.com",
    accessAudiences: [OTHER_APP],
    routes: [
      {
        id: "read",
        methods: ["GET"],
        pathPrefix: "/",
        rules: [{ id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
      },
    ],
  };
  return stringify(doc);
}

beforeAll(async () => {
  await activate(policy());
});

interface Call {
  method?: string;
  token?: string;
  cert?: boolean;
  headers?: Record<string, string>;
}

async function call(url: string, options: Call = {}) {
  const m = marker();
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  const cf = options.cert ? { tlsClientAuth: await tlsClientAuth(CERTS.checkout) } : undefined;
  const res = await exports.default.fetch(`${url}?${m}`, {
    method: options.method ?? "GET",
    headers,
    ...(cf ? { cf } : {}),
  });
  const body = await res.text();
  return { res, body, seen: await originSaw(m) };
}

/** The gateway's log lines while `run` runs. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; events: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  try {
    const result = await run();
    return { result, events: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    spy.mockRestore();
  }
}

const token = (spec: WorkloadTokenSpec) => workloadToken(spec);

describe("workload tokens at the gateway", () => {
  it("lets checkout charge with a JWT-SVID that carries payments:charge, and consumes the token", async () => {
    const { result, events } = await logged(() =>
      token({ issuer: "spire" }).then((t) =>
        call("https://payments.localhost/v1/charge", { method: "POST", token: t }),
      ),
    );
    const { res, seen } = result;
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    const assertion = decodeJwt(String(seen[0]!.headers["ward-assertion"]));
    expect(assertion).toMatchObject({
      sub: `workload:${CHECKOUT}`,
      workload: CHECKOUT,
      scope: "payments:charge",
      ward_credentials: [{ kind: "workload-token", iss: "https://spire.demo.ward.internal", sub: CHECKOUT }],
    });
    const decision = events.find((e) => e.event === "decision")!;
    expect(decision).toMatchObject({
      principal: `workload:${CHECKOUT}`,
      credential: { kind: "workload-token", issuer: "https://spire.demo.ward.internal", lifetimeSeconds: 300 },
    });
    const remaining = (decision.credential as { remainingSeconds: number }).remainingSeconds;
    expect(remaining).toBeGreaterThan(290);
    expect(remaining).toBeLessThanOrEqual(300);
  });

  it("logs a token used past its exp, within the clock skew, with what it lacked: exp stays readable", async () => {
    const { result, events } = await logged(() =>
      token({ issuer: "spire", claims: { exp: -10, iat: -290 } }).then((t) =>
        call("https://payments.localhost/v1/charge", { method: "POST", token: t }),
      ),
    );
    expect(result.res.status).toBe(200);
    const decision = events.find((e) => e.event === "decision")!;
    const remaining = (decision.credential as { remainingSeconds: number }).remainingSeconds;
    expect(remaining).toBeGreaterThanOrEqual(-11);
    expect(remaining).toBeLessThanOrEqual(-9);
  });

  it("hides payments from the same workload's token without the scope, and from a token for orders", async () => {
    for (const spec of [
      { issuer: "spire", claims: { scope: "payments:read" } },
      { issuer: "spire", claims: { aud: ["https://orders.localhost"] } },
    ] as WorkloadTokenSpec[]) {
      const { res, seen } = await call("https://payments.localhost/v1/charge", {
        method: "POST",
        token: await token(spec),
      });
      expect(res.status).toBe(spec.claims!.aud ? 401 : 404);
      expect(seen).toEqual([]);
    }
  });

  it("lets the frontend's service account create orders, named as Istio names it", async () => {
    const { res, seen } = await call("https://orders.localhost/v1/orders", {
      method: "POST",
      token: await token({ issuer: "cluster" }),
    });
    expect(res.status).toBe(200);
    expect(decodeJwt(String(seen[0]!.headers["ward-assertion"])).sub).toBe(
      "workload:spiffe://demo.ward.internal/ns/shop/sa/frontend",
    );
  });

  it("lets the orders repository's main branch deploy from GitHub Actions, and no other branch or owner", async () => {
    const ok = await call("https://orders.localhost/v1/deploys", {
      method: "POST",
      token: await token({ issuer: "github" }),
    });
    expect(ok.res.status).toBe(200);
    expect(decodeJwt(String(ok.seen[0]!.headers["ward-assertion"])).sub).toBe(
      "subject:github-actions/repo:ward-demo/orders:ref:refs/heads/main",
    );
    const branch = await call("https://orders.localhost/v1/deploys", {
      method: "POST",
      token: await token({
        issuer: "github",
        claims: { ref: "refs/heads/dev", sub: "repo:ward-demo/orders:ref:refs/heads/dev" },
      }),
    });
    expect(branch.res.status).toBe(403);
    expect(branch.seen).toEqual([]);
    const { result, events } = await logged(async () =>
      call("https://orders.localhost/v1/deploys", {
        method: "POST",
        token: await token({
          issuer: "github",
          claims: { repository_owner: "mallory", repository: "ward-demo/orders" },
        }),
      }),
    );
    expect(result.res.status).toBe(401);
    expect(result.seen).toEqual([]);
    expect(result.body).not.toContain("required-claims");
    expect(events.find((e) => e.event === "workload-token-rejected")).toMatchObject({
      level: "warn",
      issuer: "github-actions",
      problem: "required-claims",
    });
  });

  it("never forwards a consumed token, even where the route forwards Authorization; forwards an app's own", async () => {
    const consumed = await call("https://orders.localhost/v1/export", { token: await token({ issuer: "cluster" }) });
    expect(consumed.res.status).toBe(200);
    expect(consumed.seen[0]!.headers.authorization).toBeUndefined();
    // A refused token of a trusted issuer is Ward's too: not forwarded either.
    const refused = await call("https://orders.localhost/v1/export", {
      token: await token({ issuer: "cluster", claims: { aud: ["https://payments.localhost"] } }),
      cert: true,
    });
    expect(refused.res.status).toBe(200);
    expect(refused.seen[0]!.headers.authorization).toBeUndefined();
    // The app's own credential (another issuer, or no JWT at all) still reaches it beside a certificate.
    const app = await call("https://orders.localhost/v1/export", {
      cert: true,
      headers: { authorization: "Bearer app-session-1" },
    });
    expect(app.seen[0]!.headers.authorization).toBe("Bearer app-session-1");
    const appJwt = await token({ issuer: "github", claims: { iss: "https://login.orders.example" } });
    const foreign = await call("https://orders.localhost/v1/export", { cert: true, token: appJwt });
    expect(foreign.seen[0]!.headers.authorization).toBe(`Bearer ${appJwt}`);
  });

  // From a review: the header not being exactly one `Bearer <jws>` let a trusted issuer's token through.
  it.each<[string, (t: string) => string]>([
    ["the header sent twice (joined with ', ')", (t) => `Bearer ${t}, Bearer ${t}`],
    ["a tab after the scheme", (t) => `Bearer\t${t}`],
    ["the token beside an app session", (t) => `Bearer ${t}, Bearer app-session-1`],
    ["another scheme", (t) => `Token ${t}`],
    ["over the size bound", (t) => `Bearer ${t}`],
    // From a review: padding after the signature (not signed, skipped by decoders: jose verifies it), and wrappers.
    [
      "base64 padding after the signature",
      (t) => `Bearer ${t}${"=".repeat((4 - ((t.length - t.lastIndexOf(".") - 1) % 4)) % 4)}`,
    ],
    ["the token quoted", (t) => `Bearer "${t}"`],
    ["a semicolon after the token", (t) => `Bearer ${t};`],
    // From a black-box review: readings a lenient origin undoes, replayable at Ward once undone.
    [
      "in JWS JSON serialization",
      (t) => {
        const [protectedHeader, payload, signature] = t.split(".");
        return `Bearer ${JSON.stringify({ protected: protectedHeader, payload, signature })}`;
      },
    ],
    ["its dots percent-encoded", (t) => `Bearer ${t.replaceAll(".", "%2E")}`],
    [
      "its payload padded",
      (t) =>
        `Bearer ${t.replace(/\.([^.]+)\./, (_, p: string) => `.${p}${"=".repeat((4 - (p.length % 4)) % 4 || 4)}.`)}`,
    ],
    ["its parts joined with commas", (t) => `Bearer ${t.replaceAll(".", ",")}`],
  ])("never forwards a trusted issuer's token in a header that is not one Bearer token: %s", async (name, form) => {
    const padded = name === "over the size bound" ? { pad: "x".repeat(7000) } : {};
    const t = await token({ issuer: "cluster", claims: padded });
    const { result, events } = await logged(() =>
      call("https://orders.localhost/v1/export", { cert: true, headers: { authorization: form(t) } }),
    );
    expect(result.res.status).toBe(200);
    expect(result.seen[0]!.headers.authorization).toBeUndefined();
    expect(events.find((e) => e.event === "workload-token-rejected")).toMatchObject({
      issuer: "demo-cluster",
      problem: "authorization-form",
    });
  });

  it("never forwards a value of more payloads than it reads, a trusted issuer's token among them or not", async () => {
    // Each payload that could name an issuer costs a parse (a thrown one when crafted: 77 ms a request for 128 KiB);
    // past MAX_CLAIMED_PAYLOADS the value is Ward's unread, so no token can hide behind the junk before it.
    // Distinct (a repeated payload is read once).
    const junkOf = (from: number) =>
      Array.from({ length: MAX_CLAIMED_PAYLOADS }, (_, i) => btoa(`{"iss":,${from + i}}`).replace(/=+$/, "")).join(".");
    const junk = junkOf(0);
    const t = await token({ issuer: "cluster" });
    for (const authorization of [`Bearer x.${junk}.y, Bearer ${t}`, `Bearer x.${junk}.${junkOf(100)}.y`]) {
      const { result, events } = await logged(() =>
        call("https://orders.localhost/v1/export", { cert: true, headers: { authorization } }),
      );
      expect(result.res.status).toBe(200);
      expect(result.seen[0]!.headers.authorization).toBeUndefined();
      expect(events.find((e) => e.event === "workload-token-rejected")).toMatchObject({
        issuer: null,
        problem: "authorization-payloads",
      });
    }
  });

  it("a token with padding after its signature still verifies (so it must never be forwarded)", async () => {
    const t = await token({ issuer: "cluster" });
    const signature = t.slice(t.lastIndexOf(".") + 1);
    expect(signature.length % 4).toBe(2);
    const { d: _, ...publicJwk } = issuerKey("cluster");
    const key = await importJWK(publicJwk, "RS256");
    expect((await jwtVerify(`${t}==`, key)).payload.iss).toBe(decodeJwt(t).iss);
  });

  it("forwards an app's own credentials in any form: two sessions, another scheme, another issuer's tokens", async () => {
    const appJwt = await token({ issuer: "github", claims: { iss: "https://login.orders.example" } });
    for (const authorization of ["Bearer app-1, Bearer app-2", "Basic dXNlcjpwYXNz", `Bearer ${appJwt}, Bearer x`]) {
      const { seen } = await call("https://orders.localhost/v1/export", { cert: true, headers: { authorization } });
      expect(seen[0]!.headers.authorization).toBe(authorization);
    }
  });

  it("refuses a token of a trusted issuer that names a member twice, logs why, and still consumes it", async () => {
    const twice =
      '{"aud":["https://orders.localhost"],"exp":"$EXP","iat":"$NOW","iss":"https://spire.demo.ward.internal",' +
      '"sub":"spiffe://demo.ward.internal/ns/shop/sa/frontend","sub":"spiffe://demo.ward.internal/ns/shop/sa/checkout"}';
    const duplicated = await workloadToken({ issuer: "spire", rawPayload: twice });
    const { result, events } = await logged(() =>
      call("https://orders.localhost/v1/export", { token: duplicated, cert: true }),
    );
    expect(result.res.status).toBe(200);
    expect(result.seen[0]!.headers.authorization).toBeUndefined();
    expect(decodeJwt(String(result.seen[0]!.headers["ward-assertion"])).ward_credentials).toEqual([
      { kind: "client-certificate" },
    ]);
    expect(events.find((e) => e.event === "workload-token-rejected")).toMatchObject({
      issuer: "demo-spire",
      problem: "duplicate-members",
    });
  });

  it("takes a certificate and a token of the same workload as one, with both credentials named", async () => {
    const { res, seen } = await call("https://payments.localhost/v1/charge", {
      method: "POST",
      token: await token({ issuer: "spire" }),
      cert: true,
    });
    expect(res.status).toBe(200);
    const assertion = decodeJwt(String(seen[0]!.headers["ward-assertion"]));
    expect(assertion.sub).toBe(`workload:${CHECKOUT}`);
    expect(assertion.ward_credentials).toEqual([
      { kind: "client-certificate" },
      { kind: "workload-token", iss: "https://spire.demo.ward.internal", sub: CHECKOUT },
    ]);
  });

  it("counts neither a certificate nor a token that name two different workloads", async () => {
    const frontend = await token({
      issuer: "spire",
      claims: { sub: "spiffe://demo.ward.internal/ns/shop/sa/frontend", aud: ["https://orders.localhost"] },
    });
    const { result, events } = await logged(() =>
      call("https://orders.localhost/v1/orders/7", { token: frontend, cert: true }),
    );
    // Either alone may read orders; together they name nobody.
    expect(result.res.status).toBe(401);
    expect(result.seen).toEqual([]);
    expect(events.find((e) => e.event === "workload-credentials-disagree")).toMatchObject({
      certificate: CHECKOUT,
      token: "spiffe://demo.ward.internal/ns/shop/sa/frontend",
    });
  });

  it("does not lend one caller's scopes to another's certificate", async () => {
    // payments/charge: the checkout workloads, holding payments:charge. A GitHub job's token (another subject,
    // naming no SPIFFE ID) holds the scope; the checkout certificate holds none. Neither alone, nor together.
    const job = await token({
      issuer: "github",
      claims: { aud: "https://payments.localhost", scope: "payments:charge" },
    });
    for (const options of [{ cert: true }, { token: job }, { token: job, cert: true }]) {
      const { res, seen } = await call("https://payments.localhost/v1/charge", { method: "POST", ...options });
      expect(res.status, JSON.stringify(Object.keys(options))).toBe(404);
      expect(seen).toEqual([]);
    }
    // The checkout workload's own token holds it: its scope counts, with its certificate too.
    const own = await token({
      issuer: "spire",
      claims: { aud: ["https://payments.localhost"], scope: "payments:charge" },
    });
    for (const options of [{ token: own }, { token: own, cert: true }]) {
      const { res, seen } = await call("https://payments.localhost/v1/charge", { method: "POST", ...options });
      expect(res.status, JSON.stringify(Object.keys(options))).toBe(200);
      expect(seen).toHaveLength(1);
    }
  });

  it("does not take a token for a certificate where a service requires one", async () => {
    const { res, seen } = await call("https://vault.localhost/v1/secret", {
      token: await token({ issuer: "spire", claims: { aud: ["https://vault.localhost"] } }),
    });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
    const both = await call("https://vault.localhost/v1/secret", { cert: true });
    expect(both.res.status).toBe(200);
  });

  it("keeps bothFactors a certificate and an Access identity: a token is no stand-in for the certificate", async () => {
    const access = await accessToken(inject("accessPrivateJwk"), {
      common_name: "4e21e9b2c4eca176e6665d37384985b6.access",
      sub: "",
      email: undefined,
    });
    const headers = { "cf-access-jwt-assertion": access };
    const spire = await token({ issuer: "spire" });
    const withCertificate = await call("https://payments.localhost/v1/payouts", {
      method: "POST",
      cert: true,
      token: spire,
      headers,
    });
    expect(withCertificate.res.status).toBe(200);
    const tokenOnly = await call("https://payments.localhost/v1/payouts", { method: "POST", token: spire, headers });
    expect(tokenOnly.res.status).toBe(404);
    expect(tokenOnly.seen).toEqual([]);
  });

  it("reads a common_name as a service token only when it is a client id: a certificate's CN in it is no stand-in", async () => {
    // Access's identity record calls an mTLS certificate's CN `common_name` too. Beside the checkout
    // certificate, a token naming the payouts client id in another spelling, or a CN, must not make the pair.
    const payouts = "4e21e9b2c4eca176e6665d37384985b6.access";
    for (const commonName of [
      payouts.toUpperCase().replace(".ACCESS", ".access"),
      `${payouts}.`,
      "checkout.shop.svc",
    ]) {
      const access = await accessToken(inject("accessPrivateJwk"), {
        common_name: commonName,
        sub: "",
        email: undefined,
      });
      const { result, events } = await logged(() =>
        call("https://payments.localhost/v1/payouts", {
          method: "POST",
          cert: true,
          headers: { "cf-access-jwt-assertion": access },
        }),
      );
      expect(result.res.status, commonName).toBe(404);
      expect(result.seen, commonName).toEqual([]);
      expect(
        events.find((e) => e.event === "access-token-rejected"),
        commonName,
      ).toMatchObject({
        problem: "common-name-not-a-client-id",
      });
      expect(events.find((e) => e.event === "decision")?.principal, commonName).toBe(`workload:${CHECKOUT}`);
    }
  });

  it("counts an Access token only at services that take its application", async () => {
    const other = await accessToken(inject("accessPrivateJwk"), { email: "ann@example.com", aud: [OTHER_APP] });
    const { result, events } = await logged(() =>
      call("https://wiki.localhost/page", { headers: { "cf-access-jwt-assertion": other } }),
    );
    expect(result.res.status).toBe(401);
    expect(result.seen).toEqual([]);
    expect(events.find((e) => e.event === "access-token-rejected")).toMatchObject({
      problem: "audience-not-for-service",
    });
    const own = await accessToken(inject("accessPrivateJwk"), { email: "ann@example.com" });
    const ok = await call("https://wiki.localhost/page", { headers: { "cf-access-jwt-assertion": own } });
    expect(ok.res.status).toBe(200);
    expect(decodeJwt(String(ok.seen[0]!.headers["ward-assertion"])).ward_credentials).toEqual([
      { kind: "access-jwt", iss: "https://ward-demo.cloudflareaccess.com" },
    ]);
  });

  it("fetches SPIRE's bundle at most once for a storm of made-up kids", async () => {
    const count = async (url: string) =>
      ((await (await fetch(`${EGRESS_COUNT}?url=${encodeURIComponent(url)}`)).json()) as { count: number }).count;
    const bundle = "https://spire.demo.ward.internal/bundle";
    await call("https://payments.localhost/v1/charge", { method: "POST", token: await token({ issuer: "spire" }) });
    const before = await count(bundle);
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 30; i++) {
      const made = await token({ issuer: "spire", header: { kid: `storm-${crypto.randomUUID()}` } });
      const { res, seen } = await call("https://payments.localhost/v1/charge", { method: "POST", token: made });
      expect(res.status).toBe(401);
      expect(seen).toEqual([]);
    }
    expect((await count(bundle)) - before).toBeLessThanOrEqual(1);
  });

  it("sends a browser to the login of the service's own Access application", async () => {
    const m = marker();
    const res = await exports.default.fetch(`https://handbook.localhost/guide?${m}`, {
      headers: { accept: "text/html", "sec-fetch-mode": "navigate" },
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!).searchParams.get("kid")).toBe(OTHER_APP);
    expect(await originSaw(m)).toEqual([]);
  });

  it("sends a browser on the portal of such a service to the login of that service's application", async () => {
    // The host as the gateway reads it: a trailing dot or capitals name the same service (and its application).
    for (const [host, aud, asked] of [
      ["handbook.localhost", OTHER_APP, "handbook.localhost"],
      ["wiki.localhost", AUD, "wiki.localhost"],
      ["handbook.localhost", OTHER_APP, "Handbook.localhost."],
    ] as const) {
      const m = marker();
      const res = await exports.default.fetch(`https://${asked}/.ward/apps?${m}`, {
        headers: { accept: "text/html", "sec-fetch-mode": "navigate" },
        redirect: "manual",
      });
      expect(res.status).toBe(302);
      const login = new URL(res.headers.get("location")!);
      expect(login.pathname).toBe(`/cdn-cgi/access/login/${host}`);
      expect(login.searchParams.get("kid")).toBe(aud);
      expect(await originSaw(m)).toEqual([]);
    }
  });

  it("grants no scope from an Access token", async () => {
    const scoped = await accessToken(inject("accessPrivateJwk"), {
      common_name: "177627f91af678a9b03e993f1a91917f.access",
      sub: "",
      email: undefined,
      scope: "payments:charge",
    });
    const { res, seen } = await call("https://payments.localhost/v1/charge", {
      method: "POST",
      cert: true,
      headers: { "cf-access-jwt-assertion": scoped },
    });
    expect(res.status).toBe(404);
    expect(seen).toEqual([]);
  });
});
