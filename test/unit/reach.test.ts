// policy/reach/: the grants a policy makes, who reaches what, and the semantic diff of two policies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  diffReach,
  loadPolicy,
  principalName,
  principalsMayOverlap,
  reach,
  reachReport,
  unknownGrantTargets,
  type CompiledPolicy,
  type Grant,
  type PrincipalMatcher,
  type TimedGrant,
} from "../../policy/index.ts";

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
      "token:ci-bot.access | wiki/admin | POST | wiki/admin/bot | - | audit | -",
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
        "token:grafana-bot.access | grafana/api | POST | grafana/api/bot | - | enforce | -",
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
      averageRoutesPerIdentity: 1.13,
      widestIdentities: [
        { principal: "group:sre", routes: 2 },
        { principal: 'claims:{"role":"admin"}', routes: 1 },
        { principal: "email-domain:example.com", routes: 1 },
        { principal: "public", routes: 1 },
        { principal: "spiffe://td.example/ns/batch/*", routes: 1 },
      ],
      mostExposedRoutes: [
        { route: "wiki/admin", identities: 3, public: false, anyAuthenticated: false },
        { route: "api/orders", identities: 2, public: false, anyAuthenticated: false },
        { route: "wiki/read", identities: 2, public: false, anyAuthenticated: false },
        { route: "api/deploy", identities: 1, public: false, anyAuthenticated: false },
        { route: "api/health", identities: 1, public: true, anyAuthenticated: false },
      ],
    });
    expect(report.byIdentity.find((i) => i.principal === "group:sre")).toMatchObject({ routes: 2, services: ["wiki"] });
    expect(report.byRoute.find((r) => r.route === "wiki/read")?.denies.map((d) => d.rule)).toEqual([
      "wiki/read/no-contractors",
    ]);
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

describe("diffReach", () => {
  it.each<[string, string[], string[], string[]]>([
    ["diff-old.yaml", [], [], []],
    ["diff-rename.yaml", [], [], []],
    ["diff-narrow.yaml", [], ["token:grafana-bot.access grafana/api POST by grafana/api/bot"], []],
    [
      "diff-swap.yaml",
      ["email:bot-owner@example.com grafana/api POST by grafana/api/bot"],
      ["token:grafana-bot.access grafana/api POST by grafana/api/bot"],
      [],
    ],
    [
      "diff-wide.yaml",
      [
        "email-domain:example.com grafana/ui GET,HEAD,POST by grafana/ui/sre",
        "group:sre grafana/ui POST by grafana/ui/sre",
      ],
      [],
      ["group:sre grafana/ui GET,HEAD: grafana/ui/sre when device posture managed -> grafana/ui/sre always"],
    ],
  ])("diff-old.yaml -> %s", async (file, gained, lost, changed) => {
    const diff = diffReach(reach(await fixture("diff-old.yaml")), reach(await fixture(file)));
    const line = (d: { principal: string; route: string; methods: string[]; rules: string[] }) =>
      `${d.principal} ${d.route} ${d.methods.join(",")} by ${d.rules.join(",")}`;
    expect(diff.gained.map(line)).toEqual(gained);
    expect(diff.lost.map(line)).toEqual(lost);
    expect(
      diff.changed.map(
        (c) =>
          `${c.principal} ${c.route} ${c.methods.join(",")}: ${c.before.terms.join(" | ")} -> ${c.after.terms.join(" | ")}`,
      ),
    ).toEqual(changed);
  });

  it("is symmetric: NEW -> OLD swaps gains and losses", async () => {
    const [a, b] = [reach(await fixture("diff-old.yaml")), reach(await fixture("diff-wide.yaml"))];
    const forward = diffReach(a, b);
    const back = diffReach(b, a);
    expect(back.lost).toEqual(forward.gained);
    expect(back.gained).toEqual(forward.lost);
    expect(back.changed.map((c) => c.before)).toEqual(forward.changed.map((c) => c.after));
  });

  it("a deny added in NEW is a change, not a loss", async () => {
    const old = await fixture("diff-old.yaml");
    const doc = structuredClone(old.document);
    doc.services.grafana!.routes[0]!.rules.push({ id: "no-sre", effect: "deny", principals: [{ group: "sre" }] });
    const diff = diffReach(reach(old), reach(doc));
    expect(diff.gained).toEqual([]);
    expect(diff.lost).toEqual([]);
    expect(diff.changed.map((c) => c.after.terms)).toEqual([
      ["grafana/ui/sre when device posture managed unless deny no-sre (group:sre)"],
    ]);
  });

  describe("changes beyond the grants, each of which may widen", () => {
    type Doc = CompiledPolicy["document"];
    const widening = async (change: (d: Doc) => void) => {
      const old = await fixture("diff-old.yaml");
      const doc = structuredClone(old.document);
      change(doc);
      return diffReach(reach(old), reach(doc));
    };
    const settings = async (change: (d: Doc) => void) =>
      (await widening(change)).settings.map((s) => `${s.kind}: ${s.change}`);
    const ui = (d: Doc) => d.services.grafana!.routes[0]!;
    const api = (d: Doc) => d.services.grafana!.routes[1]!;

    it("a route gone: its requests may now match a broader route", async () => {
      // POST /api/ds/query falls through to ui once ui also serves POST and api is gone.
      const diff = await widening((d) => {
        ui(d).methods = ["GET", "HEAD", "POST"];
        d.services.grafana!.routes.splice(1, 1);
      });
      expect(diff.settings.map((s) => s.change)).toEqual([
        "grafana/api removed: its requests may now match grafana/ui",
      ]);
    });

    it("a route gone with nothing to fall through to is no widening", async () => {
      expect(await settings((d) => d.services.grafana!.routes.splice(1, 1))).toEqual([]);
    });

    it("a route narrowed to fewer methods, whose requests a broader route serves", async () => {
      expect(
        await settings((d) => {
          ui(d).methods = ["GET", "HEAD", "POST"];
          api(d).methods = ["PUT"];
        }),
      ).toEqual(["route: grafana/api: no longer POST: such requests may now match grafana/ui"]);
    });

    it("a route whose pattern changed, with or without grants", async () => {
      const diff = await widening((d) => (api(d).path = "/api/{**}"));
      expect(diff.settings.map((s) => s.change)).toEqual(["grafana/api: path /api/ds/query -> /api/{**}"]);
      expect(diff.changed.map((c) => [c.route, c.widens])).toEqual([["grafana/api", true]]);
    });

    it("a deny rule that applies to fewer callers, or at fewer times", async () => {
      const add = (d: Doc, deny: object) =>
        ui(d).rules.push({ id: "no-contractors", effect: "deny", ...deny } as never);
      const before = await fixture("diff-old.yaml");
      const withDeny = structuredClone(before.document);
      add(withDeny, { principals: [{ group: "sre" }] });
      for (const narrowed of [
        { principals: [{ email: "bob@example.com" }] },
        { principals: [{ group: "sre" }], when: { time: { days: ["sat"] } } },
      ]) {
        const doc = structuredClone(before.document);
        add(doc, narrowed);
        const diff = diffReach(reach(withDeny), reach(doc));
        expect(diff.changed.map((c) => [c.route, c.widens])).toEqual([["grafana/ui", true]]);
      }
    });

    it("the same denies in another order are no change", async () => {
      const before = await fixture("diff-old.yaml");
      const [a, b] = [structuredClone(before.document), structuredClone(before.document)];
      const denies = [
        { id: "d1", effect: "deny", principals: [{ group: "sre" }] },
        { id: "d2", effect: "deny", principals: [{ group: "sre" }], when: { country: ["KP"] } },
      ];
      ui(a).rules.push(...(denies as never[]));
      ui(b).rules.push(...([...denies].reverse() as never[]));
      expect(diffReach(reach(a), reach(b))).toEqual({ gained: [], lost: [], changed: [], settings: [] });
    });

    it("an admin, an identity source or an identity-binding pair added", async () => {
      expect(await settings((d) => (d.admin = { principals: [{ emailDomain: "example.com" }] }))).toEqual([
        "admin: + email-domain:example.com may use the admin API",
      ]);
      expect(await settings((d) => d.identity.access!.audiences.push("e".repeat(64)))).toEqual([
        `identity source: + Access audience ${"e".repeat(64)}`,
      ]);
      // Longer-lived or older tokens now count: as much a widening as a new audience.
      expect(await settings((d) => (d.identity.access!.maxTokenLifetime = "7d"))).toEqual([
        "identity source: + Access token lifetime up to 7d (people), 24h (service tokens)",
      ]);
      expect(await settings((d) => (d.identity.access!.maxTokenAge = "1h"))).toEqual([
        "identity source: + Access token age up to 1h",
      ]);
      expect(
        await settings((d) => {
          d.identity.mtls = {
            required: false,
            spiffe: true,
            issuers: [{ ski: "AB:CD:EF:01", trustDomains: ["td"] }],
            registry: [{ fingerprintSha256: "ab".repeat(32), id: "spiffe://td/ns/ops/sa/runner" }],
          };
        }),
      ).toEqual([
        "identity source: + mTLS SPIFFE IDs from certificates",
        "identity source: + mTLS issuer SKI abcdef01",
        "identity source: + mTLS issuer SKI abcdef01 for trust domain td",
        `identity source: + mTLS registry ${"ab".repeat(32)} -> spiffe://td/ns/ops/sa/runner`,
      ]);
      expect(
        await settings(
          (d) =>
            (d.identityBindings = {
              ops: [{ workload: "spiffe://td/ns/ops/sa/runner", access: "Mallory@example.com" }],
            }),
        ),
      ).toEqual(["binding: + binding ops: spiffe://td/ns/ops/sa/runner & mallory@example.com"]);
    });

    it("a trust domain bound to a pinned issuer: that CA may now mint its identities", async () => {
      const withMtls = async (trustDomains: string[][], spiffe = true) => {
        const old = await fixture("diff-old.yaml");
        const doc = structuredClone(old.document);
        doc.identity.mtls = {
          required: false,
          spiffe,
          issuers: trustDomains.map((t, i) => ({ ski: `AB:CD:EF:0${i}`, trustDomains: t })),
        };
        return reach(doc);
      };
      const changes = (before: Awaited<ReturnType<typeof withMtls>>, after: typeof before) =>
        diffReach(before, after).settings.map((s) => `${s.kind}: ${s.change}`);
      const one = await withMtls([["prod.example.com"]]);
      expect(changes(one, await withMtls([["prod.example.com", "partner.example.com"]]))).toEqual([
        "identity source: + mTLS issuer SKI abcdef00 for trust domain partner.example.com",
      ]);
      // Another CA's trust domain is no change for this one: each binding is its own line.
      expect(
        changes(
          await withMtls([["prod.example.com"], ["partner.example.com"]]),
          await withMtls([["prod.example.com", "partner.example.com"], ["partner.example.com"]]),
        ),
      ).toEqual(["identity source: + mTLS issuer SKI abcdef00 for trust domain partner.example.com"]);
      // Removing one narrows; while SPIFFE IDs are not read, the bindings mint nothing.
      expect(changes(await withMtls([["prod.example.com", "partner.example.com"]]), one)).toEqual([]);
      expect(
        changes(
          await withMtls([["prod.example.com"]], false),
          await withMtls([["prod.example.com", "partner.example.com"]], false),
        ),
      ).toEqual([]);
    });

    it("a service switched to audit mode, even one that grants nothing", async () => {
      expect(
        await settings((d) => {
          d.services.grafana!.routes = [
            {
              id: "all",
              methods: ["*"],
              pathPrefix: "/",
              rules: [{ id: "nobody", effect: "deny", principals: [{ public: true }] }],
            },
          ] as never;
        }),
      ).toContain("route: grafana/api removed: its requests may now match grafana/all");
      const old = await fixture("diff-old.yaml");
      const denyAll = structuredClone(old.document);
      denyAll.services.grafana!.routes = [
        {
          id: "all",
          methods: ["*"],
          pathPrefix: "/",
          rules: [{ id: "nobody", effect: "deny", principals: [{ public: true }] }],
        },
      ] as never;
      const audit = structuredClone(denyAll);
      audit.services.grafana!.mode = "audit";
      expect(diffReach(reach(denyAll), reach(audit)).settings.map((s) => s.change)).toEqual([
        "grafana: enforce -> audit (every request it serves is forwarded)",
      ]);
    });
  });

  it("a switch to audit mode is a change", async () => {
    const old = await fixture("diff-old.yaml");
    const doc = structuredClone(old.document);
    doc.services.grafana!.mode = "audit";
    const diff = diffReach(reach(old), reach(doc));
    expect(diff.changed.map((c) => `${c.principal} ${c.after.terms.join("")}`)).toEqual([
      "token:grafana-bot.access grafana/api/bot always [audit]",
      "group:sre grafana/ui/sre when device posture managed [audit]",
    ]);
  });
});
