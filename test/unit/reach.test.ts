// policy/reach/: the grants a policy makes and who reaches what (the diff of two policies: reach/diff.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadPolicy,
  principalName,
  principalsMayOverlap,
  principalWidth,
  reach,
  reachReport,
  unknownGrantTargets,
  type CompiledPolicy,
  type Grant,
  type PrincipalMatcher,
  type TimedGrant,
} from "../../policy/index.ts";
import { namesOf } from "../../scripts/reach/text.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/policies");

async function fixture(name: string): Promise<CompiledPolicy> {
  const result = await loadPolicy(readFileSync(join(FIXTURES, name), "utf8"));
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.issues)}`);
  return result.policy;
}

/** principal, route, methods, rule, conditions, mode, overriddenBy: one line per grant, easy to read in a diff. */
function rows(grants: readonly Grant[]): string[] {
  return grants.map((g) =>
    [
      g.principal,
      g.route,
      g.methods.join(","),
      g.rule,
      g.conditions.join("; ") || "-",
      g.mode,
      g.overriddenBy.join(",") || "-",
    ].join(" | "),
  );
}

describe("principalName", () => {
  it.each<[PrincipalMatcher, string]>([
    [{ spiffe: "spiffe://td/ns/x/sa/y" }, "spiffe://td/ns/x/sa/y"],
    [{ spiffePrefix: "spiffe://td/ns/x/" }, "spiffe://td/ns/x/*"],
    [{ trustDomain: "td" }, "trust-domain:td"],
    [{ email: "A@B.example" }, "email:a@b.example"],
    [{ emailDomain: "example.com" }, "email-domain:example.com"],
    [{ group: "sre" }, "group:sre"],
    [{ serviceToken: "CLIENT_ID" }, "token:CLIENT_ID"],
    [{ claims: { z: 1, a: ["x", "y"] } }, 'claims:{"a":["x","y"],"z":1}'],
    [{ authenticated: true }, "any-authenticated"],
    [{ public: true }, "public"],
  ])("%j is %s", (matcher, name) => {
    expect(principalName(matcher)).toBe(name);
  });
});

describe("principalsMayOverlap", () => {
  it.each<[string, string, boolean]>([
    ["spiffe://td/ns/a/sa/x", "spiffe://td/ns/a/sa/x", true],
    ["spiffe://td/ns/a/sa/x", "spiffe://td/ns/a/sa/y", false],
    ["spiffe://td/ns/a/sa/x", "spiffe://td/ns/a/*", true],
    ["spiffe://td/ns/b/sa/x", "spiffe://td/ns/a/*", false],
    ["spiffe://td/ns/a/*", "spiffe://td/ns/*", true],
    ["spiffe://td/ns/a/*", "spiffe://td/ns/b/*", false],
    ["spiffe://td/ns/a/sa/x", "trust-domain:td", true],
    ["spiffe://other/ns/a/sa/x", "trust-domain:td", false],
    ["spiffe://td/ns/*", "trust-domain:td", true],
    ["spiffe://other/*", "trust-domain:td", false],
    ["trust-domain:td", "trust-domain:other", false],
    // a request may carry a workload and an Access identity together
    ["spiffe://td/ns/a/sa/x", "group:sre", true],
    ["spiffe://td/ns/a/sa/x", "email:a@example.com", true],
    ["email:a@example.com", "email:a@example.com", true],
    ["email:a@example.com", "email:b@example.com", false],
    ["email:a@example.com", "email-domain:example.com", true],
    ["email-domain:other.com", "email:a@example.com", false],
    ["email-domain:example.com", "email-domain:other.com", false],
    ["group:sre", "email:a@example.com", true],
    ["group:sre", "group:dev", true],
    ["token:ci", "token:ci", true],
    ["token:ci", "token:cd", false],
    ["token:ci", "group:sre", false],
    ["token:ci", "email-domain:example.com", false],
    ['claims:{"role":"admin"}', "token:ci", true],
    ["public", "token:ci", true],
    ["email:a@example.com", "any-authenticated", true],
    ["trust-domain:td + email:a@example.com", "spiffe://other/*", false],
    ["trust-domain:td + email:a@example.com", "spiffe://td/ns/*", true],
    ["trust-domain:td + email:a@example.com", "email:b@example.com", false],
    // a pair is a caller with exactly that workload and that Access identity
    ["token:ci", "spiffe://td/ns/a/sa/x + email:a@example.com", false],
    ["spiffe://td/ns/a/*", "spiffe://td/ns/a/sa/x + email:a@example.com", true],
    ["group:sre", "spiffe://td/ns/a/sa/x + email:a@example.com", true],
    ["public", "spiffe://td/ns/a/sa/x + token:ci", true],
    ["trust-domain:td + email:a@example.com", "spiffe://td/ns/a/sa/x + email-domain:example.com", true],
    ["trust-domain:td + email:a@example.com", "spiffe://td/ns/a/sa/x + token:ci", false],
    ["trust-domain:other + email:a@example.com", "spiffe://td/ns/a/sa/x + email:a@example.com", false],
  ])("%s and %s: %s", (a, b, expected) => {
    expect(principalsMayOverlap(a, b)).toBe(expected);
    expect(principalsMayOverlap(b, a)).toBe(expected);
  });
});

describe("reach", () => {
  it("enumerates every grant: sets expanded, bothFactors as pairs, denies that may override, mode, conditions", async () => {
    const r = reach(await fixture("reach-small.yaml"));
    expect(rows(r.grants)).toEqual([
      "trust-domain:td.example + email:alice@example.com | api/deploy | POST | api/deploy/ci-for-alice | binding deployers | enforce | -",
      "public | api/health | * | api/health/anyone | client certificate required | enforce | -",
      "spiffe://td.example/ns/batch/* | api/orders | GET,POST | api/orders/shop | scopes orders:write | enforce | api/orders/no-batch",
      "spiffe://td.example/ns/shop/sa/web | api/orders | GET,POST | api/orders/shop | scopes orders:write | enforce | -",
      'claims:{"role":"admin"} | wiki/admin | POST | wiki/admin/bot | - | audit | wiki/admin/blocked',
      "group:sre | wiki/admin | POST | wiki/admin/bot | - | audit | wiki/admin/blocked",
      "token:6553314e6c94380aadb4d5ceabf215e5.access | wiki/admin | POST | wiki/admin/bot | - | audit | -",
      "email-domain:example.com | wiki/read | GET,HEAD | wiki/read/staff | days mon/tue; hours 08:00-18:00 UTC; country DE, FR | audit | wiki/read/no-contractors",
      "group:sre | wiki/read | GET,HEAD | wiki/read/staff | days mon/tue; hours 08:00-18:00 UTC; country DE, FR | audit | wiki/read/no-contractors",
    ]);
    expect(r.denies).toEqual([
      {
        rule: "api/orders/no-batch",
        route: "api/orders",
        principals: ["spiffe://td.example/ns/batch/*"],
        conditions: [],
        audit: false,
      },
      {
        rule: "wiki/admin/blocked",
        route: "wiki/admin",
        principals: ["email:mallory@example.com"],
        conditions: [],
        audit: false,
      },
      {
        rule: "wiki/read/no-contractors",
        route: "wiki/read",
        principals: ["group:contractors"],
        conditions: [],
        audit: false,
      },
    ]);
    expect(r.routes.map((x) => `${x.route} ${x.methods.join(",")} ${x.path} ${x.mode}`)).toEqual([
      "api/deploy POST /deploy enforce",
      "api/health * /healthz enforce",
      "api/orders GET,POST /v1/orders enforce",
      "wiki/admin POST /admin (prefix) audit",
      "wiki/read GET,HEAD / (prefix) audit",
    ]);
  });

  it("accepts the document as well as the compiled policy", async () => {
    const policy = await fixture("reach-small.yaml");
    expect(reach(policy.document)).toEqual(reach(policy));
  });

  it.each<[string, string, string[]]>([
    [
      "diff-old.yaml",
      "default rule ids and a set",
      [
        "token:88aff8945a9bce23551a7d7b05773f7f.access | grafana/api | POST | grafana/api/bot | - | enforce | -",
        "group:sre | grafana/ui | GET,HEAD | grafana/ui/sre | device posture managed | enforce | -",
      ],
    ],
    ["diff-invalid.yaml", "(not loaded)", []],
    [
      "reach-html.yaml",
      "two services, public",
      [
        "email:o'brien@example.com | board/read | GET | board/read/people | - | enforce | -",
        "group:<script> | board/read | GET | board/read/people | - | enforce | -",
        "public | status/page | GET,HEAD | status/page/everyone | - | enforce | -",
      ],
    ],
  ])("%s (%s)", async (file, _what, expected) => {
    if (file === "diff-invalid.yaml") {
      expect((await loadPolicy(readFileSync(join(FIXTURES, file), "utf8"))).ok).toBe(false);
      return;
    }
    expect(rows(reach(await fixture(file)).grants)).toEqual(expected);
  });
});

const at = (iso: string) => Date.parse(iso);
const WINDOW = { notBefore: at("2026-03-01T09:00:00Z"), notAfter: at("2026-03-02T09:00:00Z") };
const BOUNDS = "not before 2026-03-01T09:00:00.000Z; not after 2026-03-02T09:00:00.000Z";

/** Time-bounded grants as the gateway's store holds them (ward exceptions list --json). */
const GRANTS: TimedGrant[] = [
  // a person on a service that requires a certificate; DELETE is not served by the route
  {
    id: "exc-1",
    kind: "exception",
    principal: { email: "OnCall@example.com" },
    service: "api",
    routes: ["orders"],
    methods: ["GET", "DELETE"],
    ...WINDOW,
  },
  // every route, every method: one row per route, each with the methods the route serves
  {
    id: "bg-1",
    kind: "break-glass",
    principal: { spiffe: "spiffe://td.example/ns/batch/sa/fixer" },
    service: "api",
    routes: "*",
    methods: "*",
    ...WINDOW,
  },
  // wiki/admin serves only POST: no row there
  {
    id: "exc-2",
    kind: "exception",
    principal: { group: "contractors" },
    service: "wiki",
    routes: ["read", "admin"],
    methods: ["GET"],
    ...WINDOW,
  },
];

describe("time-bounded grants", () => {
  it("without grants, only the policy's grants", async () => {
    const r = reach(await fixture("reach-small.yaml"), {});
    expect(r.grants.filter((g) => g.source !== "rule")).toEqual([]);
    expect(r.grants).toHaveLength(9);
  });

  it("each grant is a row per route it covers, methods those of grant and route, time-bounded, still under the route's denies", async () => {
    const r = reach(await fixture("reach-small.yaml"), { grants: GRANTS });
    expect(rows(r.grants.filter((g) => g.source !== "rule"))).toEqual([
      `spiffe://td.example/ns/batch/sa/fixer | api/deploy | POST | break-glass:bg-1 | ${BOUNDS} | enforce | -`,
      `spiffe://td.example/ns/batch/sa/fixer | api/health | * | break-glass:bg-1 | ${BOUNDS} | enforce | -`,
      // a person may also present a batch workload certificate: the deny may apply; the service requires a certificate
      `email:oncall@example.com | api/orders | GET | exception:exc-1 | ${BOUNDS}; client certificate required | enforce | api/orders/no-batch`,
      `spiffe://td.example/ns/batch/sa/fixer | api/orders | GET,POST | break-glass:bg-1 | ${BOUNDS} | enforce | api/orders/no-batch`,
      `group:contractors | wiki/read | GET | exception:exc-2 | ${BOUNDS} | audit | wiki/read/no-contractors`,
    ]);
    expect(r.grants.find((g) => g.rule === "exception:exc-1")).toMatchObject({
      source: "exception",
      path: "/v1/orders",
      notBefore: "2026-03-01T09:00:00.000Z",
      notAfter: "2026-03-02T09:00:00.000Z",
    });
    expect(r.grants.find((g) => g.rule === "break-glass:bg-1")).toMatchObject({ source: "break-glass" });
    const report = reachReport(r);
    expect(report.summary.identities).toBe(11);
    expect(report.byRoute.find((x) => x.route === "api/orders")?.identities).toBe(4);
  });

  it("a grant the gateway does not honour (a pattern, not one principal) gives no rows", async () => {
    const pattern: TimedGrant = { ...GRANTS[1]!, id: "wide", principal: { spiffePrefix: "spiffe://td.example/ns/" } };
    expect(
      reach(await fixture("reach-small.yaml"), { grants: [pattern] }).grants.filter((g) => g.source !== "rule"),
    ).toEqual([]);
  });

  it("unknownGrantTargets names each service and route the policy lacks", async () => {
    const doc = (await fixture("reach-small.yaml")).document;
    expect(unknownGrantTargets(doc, GRANTS)).toEqual([]);
    expect(
      unknownGrantTargets(doc, [
        { ...GRANTS[0]!, id: "a", routes: ["orders", "nope", "gone"] },
        { ...GRANTS[0]!, id: "b", service: "nope" },
        // inherited names are not services of the policy
        { ...GRANTS[1]!, id: "c", service: "constructor" },
      ]),
    ).toEqual([
      "exception a: no route api/nope in the policy",
      "exception a: no route api/gone in the policy",
      "exception b: no service nope in the policy",
      "break-glass c: no service constructor in the policy",
    ]);
  });
});

describe("reachReport", () => {
  it("counts identities, routes per identity, the widest identities and the most exposed routes", async () => {
    const report = reachReport(reach(await fixture("reach-small.yaml")));
    expect(report.summary).toEqual({
      identities: 8,
      grants: 9,
      routes: 5,
      reachableRoutes: 5,
      // Every identity but the public inherits the public route; the pair, its person's e-mail domain's too.
      averageRoutesPerIdentity: 2.13,
      widestIdentities: [
        { principal: "group:sre", routes: 3 },
        { principal: "trust-domain:td.example + email:alice@example.com", routes: 3 },
        { principal: 'claims:{"role":"admin"}', routes: 2 },
        { principal: "email-domain:example.com", routes: 2 },
        { principal: "spiffe://td.example/ns/batch/*", routes: 2 },
      ],
      // The widest matcher first, then the most identities: a public route with one grant before a route three
      // groups of people reach, a whole e-mail domain before them too.
      mostExposedRoutes: [
        { route: "api/health", identities: 1, public: true, anyAuthenticated: false, widest: "public" },
        {
          route: "wiki/read",
          identities: 2,
          public: false,
          anyAuthenticated: false,
          widest: "email-domain:example.com",
        },
        {
          route: "wiki/admin",
          identities: 3,
          public: false,
          anyAuthenticated: false,
          widest: 'claims:{"role":"admin"}',
        },
        {
          route: "api/orders",
          identities: 2,
          public: false,
          anyAuthenticated: false,
          widest: "spiffe://td.example/ns/batch/*",
        },
        {
          route: "api/deploy",
          identities: 1,
          public: false,
          anyAuthenticated: false,
          widest: "trust-domain:td.example + email:alice@example.com",
        },
      ],
    });
    expect(report.byIdentity.find((i) => i.principal === "group:sre")).toMatchObject({
      routes: 3,
      services: ["api", "wiki"],
    });
    expect(report.byRoute.find((r) => r.route === "wiki/read")?.denies.map((d) => d.rule)).toEqual([
      "wiki/read/no-contractors",
    ]);
  });

  it("names on each route the identities that reach it only through a wider principal's grant", async () => {
    const report = reachReport(reach(await fixture("reach-small.yaml")));
    const inheritedBy = (route: string) => report.byRoute.find((r) => r.route === route)?.inheritedBy;
    // The pair falls under its person's e-mail domain; nobody under a group or claims (Access's to say).
    expect(inheritedBy("wiki/read")).toEqual(["trust-domain:td.example + email:alice@example.com"]);
    expect(inheritedBy("wiki/admin")).toEqual([]);
    // Everyone reaches the public route: said by its `public`, not by naming the whole policy.
    expect(inheritedBy("api/health")).toEqual([]);
    expect(report.byRoute.find((r) => r.route === "api/health")).toMatchObject({ identities: 1, public: true });
    // Turned around, the same facts as the identities' side: each identity's routes, own and inherited.
    for (const identity of report.byIdentity) {
      // The public is no authenticated caller.
      const everyone = report.byRoute
        .filter((r) => r.public || (r.anyAuthenticated && identity.principal !== "public"))
        .map((r) => r.route);
      const own = identity.grants.map((g) => g.route);
      const through = report.byRoute.filter((r) => r.inheritedBy.includes(identity.principal)).map((r) => r.route);
      expect(new Set([...own, ...through, ...everyone]).size, identity.principal).toBe(identity.routes);
    }
  });

  it("names at most ten inherited identities on a route's text line, the rest counted", () => {
    const names = Array.from({ length: 12 }, (_, i) => `email:p${String(i).padStart(2, "0")}@example.com`);
    expect(namesOf(names)).toBe(`${names.slice(0, 10).join(", ")} and 2 more`);
    expect(namesOf(names.slice(0, 2))).toBe(names.slice(0, 2).join(", "));
  });

  it("ranks a principal by how many callers it may stand for", () => {
    expect(
      [
        "public",
        "any-authenticated",
        "trust-domain:td",
        "email-domain:example.com",
        "spiffe://td/ns/a/*",
        "group:sre",
        'claims:{"a":1}',
        "spiffe://td/ns/a/sa/x",
        "email:a@example.com",
        "token:ci",
        "trust-domain:td + email-domain:example.com",
        "trust-domain:td + email:a@example.com",
        // One principal each, though they hold " + "; a prefix at the root is the whole trust domain.
        'group:"eng + ops"',
        'claims:{"team":"a + b"}',
        "spiffe://td/*",
      ].map(principalWidth),
    ).toEqual([5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 3, 1, 2, 2, 3]);
  });

  it("an empty policy has no identities and an average of 0", async () => {
    const policy = await fixture("diff-old.yaml");
    const report = reachReport(reach({ ...policy.document, services: {} }));
    expect(report.summary).toMatchObject({
      identities: 0,
      grants: 0,
      routes: 0,
      averageRoutesPerIdentity: 0,
      widestIdentities: [],
      mostExposedRoutes: [],
    });
  });
});
