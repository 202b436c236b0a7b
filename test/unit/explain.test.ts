// explain: the decision in words — the route, every rule considered with its outcome and why, and the
// next step with the owner to ask; in audit mode, what enforce mode would have answered.
import { describe, expect, it } from "vitest";
import { compilePolicy, type CompiledPolicy } from "../../policy/compile.ts";
import { evaluate, type RequestFacts } from "../../policy/evaluate.ts";
import { explainDecision } from "../../policy/explain.ts";
import type { Identity } from "../../policy/identity.ts";
import { validatePolicy } from "../../policy/validate/index.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const HOST = "orders.example.com";
const FRONTEND = "spiffe://prod.example.com/ns/frontend/sa/web";

async function policy(mode: "enforce" | "audit" = "enforce"): Promise<CompiledPolicy> {
  const result = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    identity: {
      access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["c".repeat(64)] },
      mtls: { issuers: [{ dn: "CN=Example Workload CA", trustDomains: ["prod.example.com"] }] },
    },
    services: {
      orders: {
        hosts: [HOST],
        origin: { tunnel: "ORDERS_API" },
        owner: "orders-team@example.com",
        mode,
        routes: [
          {
            id: "create",
            methods: ["POST"],
            path: "/v1/orders",
            rules: [
              { id: "no-contractors", effect: "deny", principals: [{ emailDomain: "contractor.example.com" }] },
              {
                id: "frontend",
                effect: "allow",
                principals: [{ spiffe: FRONTEND }],
                when: { scopes: ["orders:write"] },
                rateLimit: { limit: 50, period: "10s", key: "principal" },
              },
              { id: "sre", effect: "allow", principals: [{ group: "sre" }], when: { country: ["DE"] } },
            ],
          },
        ],
      },
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return compilePolicy(result.policy);
}

async function explain(
  identity: Identity,
  over: Partial<RequestFacts> = {},
  mode: "enforce" | "audit" = "enforce",
): Promise<string> {
  const compiled = await policy(mode);
  const decision = evaluate(compiled, { method: "POST", host: HOST, path: "/v1/orders", identity, ...over }, NOW);
  return explainDecision(compiled, decision);
}

const frontend: Identity = { workload: { id: FRONTEND } };
/** The frontend with its JWT-SVID, which holds the scope (its certificate holds none). */
const frontendScoped: Identity = {
  ...frontend,
  workloadToken: { issuer: "spire", kind: "spiffe-jwt-svid", subject: FRONTEND, spiffeId: FRONTEND, claims: {} },
  scopes: ["orders:write"],
};
const sre: Identity = { user: { email: "sam@example.com", groups: ["sre"] } };
const contractor: Identity = { user: { email: "cat@contractor.example.com", groups: ["sre"] } };

describe("explainDecision: denied by default", () => {
  it.each([
    ["the verdict", /^DENY 403 {2}mode enforce {2}policy [0-9a-f]{12}$/m],
    ["the request", /^request {3}POST orders\.example\.com\/v1\/orders$/m],
    ["the caller", /^caller {4}workload:spiffe:\/\/prod\.example\.com\/ns\/frontend\/sa\/web$/m],
    ["the service and owner", /^service {3}orders \(owner orders-team@example\.com\)$/m],
    ["the route", /^route {5}orders\/create$/m],
    [
      "the deny rule, not matched",
      /^ {2}✗ orders\/create\/no-contractors \(deny\): principal not matched\n {6}- caller is none of: emailDomain contractor\.example\.com$/m,
    ],
    [
      "the allow rule, conditions failed",
      /^ {2}✗ orders\/create\/frontend \(allow\): conditions failed\n {6}- missing scope orders:write$/m,
    ],
    [
      "the other allow rule, not matched, with both details",
      /^ {2}✗ orders\/create\/sre \(allow\): principal not matched\n {6}- caller is none of: group sre\n {6}- country unknown not in DE$/m,
    ],
    ["the reasons", /^reasons {3}no-matching-rule$/m],
    [
      "the next step from the failing fact: the scope to get",
      /^next step get a token that carries scope orders:write from your token issuer \(rule orders\/create\/frontend requires it\), then call again$/m,
    ],
  ])("names %s", async (_what, pattern) => {
    expect(await explain(frontend)).toMatch(pattern);
  });

  it("lists every rule, in policy order", async () => {
    const text = await explain(frontend);
    const ruleLines = text.split("\n").filter((l) => /^ {2}[✓✗] /.test(l));
    expect(ruleLines.map((l) => l.split(" ")[3])).toEqual([
      "orders/create/no-contractors",
      "orders/create/frontend",
      "orders/create/sre",
    ]);
    expect(text).not.toMatch(/^decided by/m);
  });
});

describe("explainDecision: other outcomes", () => {
  it.each<[string, Identity, Partial<RequestFacts>, RegExp[], RegExp[]]>([
    [
      "allowed",
      frontendScoped,
      {},
      [
        /^ALLOW 200 /,
        /^ {2}✓ orders\/create\/frontend \(allow\): applies$/m,
        /^decided by orders\/create\/frontend$/m,
        /^reasons {3}allowed-by-rule$/m,
        /^rate limit 50 per 10s on "workload:spiffe:\/\/prod\.example\.com\/ns\/frontend\/sa\/web", counted across service [a-z-]+$/m,
      ],
      [/^next step/m, /^audit/m],
    ],
    [
      "denied by rule",
      contractor,
      { country: "DE" },
      [
        /^DENY 403 /,
        /^ {2}✓ orders\/create\/no-contractors \(deny\): applies$/m,
        /^ {2}✓ orders\/create\/sre \(allow\): applies$/m,
        /^decided by orders\/create\/no-contractors$/m,
        /^reasons {3}denied-by-rule$/m,
        /^next step ask orders-team@example\.com for access to orders\/create$/m,
      ],
      [/^rate limit/m],
    ],
    [
      "anonymous",
      {},
      {},
      [
        /^DENY 401 /,
        /^caller {4}anonymous$/m,
        /^reasons {3}unauthenticated$/m,
        /^next step authenticate \(Access login, service token or client certificate\)$/m,
      ],
      [/^decided by/m],
    ],
    [
      "no route",
      sre,
      { path: "/v2/orders" },
      [
        /^DENY 404 /,
        /^reasons {3}route-not-found$/m,
        /^next step no route matches; ask orders-team@example\.com if one should$/m,
      ],
      [/^route /m, /^rules:/m],
    ],
    [
      "unknown host",
      sre,
      { host: "nothing.example.com" },
      [
        /^DENY 404 /,
        /^reasons {3}host-not-found$/m,
        /^next step no service in this policy serves that host: check the host name$/m,
      ],
      [/^service /m, /^route /m],
    ],
    [
      "ambiguous path",
      sre,
      { path: "/v1/orders/..%2F" },
      [
        /^DENY 400 /,
        /^problem {3}path-encoded-separator: the target is ambiguous, so it is refused$/m,
        /^reasons {3}bad-request$/m,
        /^next step send the request with a canonical path/m,
      ],
      [/^request /m, /^service /m],
    ],
    [
      // Not a path problem: the hint said "a canonical path" (a black-box review's `get`).
      "a method in lower case",
      sre,
      { method: "get" },
      [
        /^DENY 400 /,
        /^problem {3}method-unknown: not a method Ward forwards, so it is refused$/m,
        /^next step send one of the methods Ward forwards, as written: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS \(methods are case-sensitive\)$/m,
      ],
      [/canonical path/, /ambiguous/],
    ],
    [
      "a host that is no host name",
      sre,
      { host: "a b" },
      [
        /^DENY 400 /,
        /^problem {3}host-invalid: the Host is not a host name, so it is refused$/m,
        /^next step send a Host header that is a host name/m,
      ],
      [/canonical path/, /ambiguous/],
    ],
    [
      "a path too long to read",
      sre,
      { path: `/${"a".repeat(5000)}` },
      [
        /^DENY 400 /,
        /^problem {3}path-too-long: the path is longer than Ward reads, so it is refused$/m,
        /^next step send a path of at most 4096 characters$/m,
      ],
      [/canonical path/, /ambiguous/],
    ],
    [
      "method override in the query",
      sre,
      { query: "_method=DELETE" },
      [
        /^DENY 400 /,
        /^problem {3}query-method-override: /m,
        /^reasons {3}bad-request$/m,
        /^next step send the real method, without a _method query parameter$/m,
      ],
      [/^request /m, /canonical path/],
    ],
    [
      "a GET with a body",
      sre,
      { method: "GET", body: true },
      [
        /^DENY 400 /,
        /^request {3}GET orders\.example\.com\/v1\/orders$/m,
        /^reasons {3}body-not-allowed$/m,
        /^next step send GET and HEAD without a body/m,
      ],
      [/^problem /m, /^route /m, /canonical path/],
    ],
  ])("%s", async (_name, identity, over, present, absent) => {
    const text = await explain(identity, over);
    for (const pattern of present) expect(text).toMatch(pattern);
    for (const pattern of absent) expect(text).not.toMatch(pattern);
  });
});

describe("explainDecision: audit mode", () => {
  it.each<[string, Identity, Partial<RequestFacts>, string, string]>([
    [
      "no matching rule",
      frontend,
      {},
      "enforce mode would answer 403 (no-matching-rule)",
      "get a token that carries scope orders:write from your token issuer (rule orders/create/frontend requires it), then call again",
    ],
    [
      "denied by rule",
      contractor,
      {},
      "enforce mode would answer 403 (denied-by-rule)",
      "ask orders-team@example.com for access to orders/create",
    ],
    [
      "unauthenticated",
      {},
      {},
      "enforce mode would answer 401 (unauthenticated)",
      "authenticate (Access login, service token or client certificate)",
    ],
    [
      "no route",
      sre,
      { path: "/v2" },
      "enforce mode would answer 404 (route-not-found)",
      "no route matches; ask orders-team@example.com if one should",
    ],
  ])("%s: allowed, and says what enforce would answer", async (_name, identity, over, audit, next) => {
    const text = await explain(identity, over, "audit");
    expect(text).toMatch(/^ALLOW 200 {2}mode audit /);
    expect(text).toContain(`\naudit     ${audit}\n`);
    expect(text).toMatch(/^reasons {3}audit-would-deny, /m);
    expect(text.endsWith(`\nnext step ${next}`)).toBe(true);
  });

  it("an allowed request in audit mode has no audit line and no next step", async () => {
    const text = await explain(frontendScoped, {}, "audit");
    expect(text).toMatch(/^ALLOW 200 {2}mode audit /);
    expect(text).not.toMatch(/^audit /m);
    expect(text).not.toMatch(/^next step/m);
  });
});

describe("explainDecision: an anonymous caller's rate limit", () => {
  it("says the gateway counts each client address apart, unless the address was given (from a review)", async () => {
    const result = validatePolicy({
      version: 1,
      metadata: { environment: "dev", owners: ["security@example.com"] },
      identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["c".repeat(64)] } },
      services: {
        status: {
          hosts: ["status.example.com"],
          origin: { tunnel: "STATUS" },
          owner: "sre@example.com",
          routes: [
            {
              id: "health",
              methods: ["GET"],
              path: "/health",
              rules: [
                {
                  id: "anyone",
                  effect: "allow",
                  principals: [{ public: true }],
                  rateLimit: { limit: 2, period: "60s" },
                },
              ],
            },
          ],
        },
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const compiled = await compilePolicy(result.policy);
    const facts = { method: "GET", host: "status.example.com", path: "/health", identity: {} };
    const unknown = explainDecision(compiled, evaluate(compiled, facts, NOW));
    expect(unknown).toMatch(
      /^rate limit 2 per 60s on "anonymous status\/health", counted per client address at the gateway \(CF-Connecting-IP; IPv6 per \/64\)$/m,
    );
    const given = explainDecision(compiled, evaluate(compiled, { ...facts, clientAddress: "192.0.2.7" }, NOW));
    expect(given).toMatch(/^rate limit 2 per 60s on "address:192\.0\.2\.7 status\/health"$/m);
  });
});
