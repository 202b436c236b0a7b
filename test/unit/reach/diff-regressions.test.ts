// Widenings `ward diff` once missed, each as the smallest pair of policies that shows it (most found by
// diff-differential.test.ts): a request NEW allows and OLD refuses, evaluated by the core, and the diff that
// must say so (diffWidens: what `ward diff` exits 4 on), with the change it lists.
import { describe, expect, it } from "vitest";
import {
  buildIndexes,
  diffReach,
  diffWidens,
  evaluate,
  type Identity,
  type PolicyInput,
  reach,
  type RequestFacts,
  validatePolicy,
} from "../../../policy/index.ts";

type Services = PolicyInput["services"];
type Bindings = PolicyInput["identityBindings"];

const NOW = Date.parse("2026-03-02T10:00:00Z");
const ALICE: Identity = { user: { email: "alice@example.com", groups: [] } };
const WEB = "spiffe://td.example/ns/a/sa/web";

function policy(services: Services, identityBindings: Bindings = {}) {
  const result = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"], trustDomains: ["td.example"] },
    identity: {
      access: { teamDomain: "https://ward.cloudflareaccess.com", audiences: ["a".repeat(64)] },
      mtls: { issuers: [{ dn: "CN=Workload CA", trustDomains: ["td.example"] }] },
    },
    identityBindings,
    services,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return buildIndexes(result.policy, "v");
}

const allow = (principals: object[]) => ({ id: "allow", effect: "allow", principals }) as const;
const service = (hosts: string[], routes: object[]) =>
  ({ hosts, origin: { tunnel: "ORIGIN" }, owner: "team@example.com", routes }) as Services[string];
/** A route to everything for alice. */
const everything = { id: "all", methods: ["*"], pathPrefix: "/", rules: [allow([{ email: "alice@example.com" }])] };

/**
 * NEW allows the request and OLD does not; the diff widens and lists `listed` among its changes (`! kind: change`
 * for a setting, `! grant: principal route methods` for a grant whose terms loosened).
 */
function expectWidening(
  before: ReturnType<typeof policy>,
  after: ReturnType<typeof policy>,
  request: RequestFacts,
  listed: string,
) {
  expect(evaluate(before, request, NOW).effect).toBe("deny");
  expect(evaluate(after, request, NOW).effect).toBe("allow");
  const diff = diffReach(reach(before), reach(after));
  const lines = [
    ...diff.settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`),
    ...diff.changed.map((c) => `${c.widens ? "!" : "-"} grant: ${c.principal} ${c.route} ${c.methods.join(",")}`),
  ];
  expect(lines, JSON.stringify(lines)).toContain(listed);
  expect(diffWidens(diff)).toBe(true);
}

describe("widenings ward diff once missed", () => {
  // From a black-box review: both exited 0. An origin that changes letters reads `/x/café` as `/x/cafe`; the
  // gateway reaches deny rules by that spelling too, and refuses the request where another route decides it.
  const staff = { id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] } as const;
  const MALLORY: Identity = { user: { email: "mallory@example.com", groups: [] } };

  it("a deny removed that reached a route only through the path's folded spelling", () => {
    // f decides `/x/cafe`, and matches `/x/café` too: the request is decided by e, not refused for its letters.
    const routes = (denies: object[]) => [
      { id: "e", methods: ["GET"], path: "/x/café", rules: [staff] },
      { id: "f", methods: ["GET"], path: "/x/{*}", rules: [allow([{ email: "bob@example.com" }])] },
      {
        id: "d",
        methods: ["GET"],
        path: "/{*}/cafe",
        rules: [...denies, { id: "bob", effect: "allow", principals: [{ email: "bob@example.com" }] }],
      },
    ];
    const noMallory = { id: "no-mallory", effect: "deny", principals: [{ email: "mallory@example.com" }] };
    const [before, after] = [
      policy({ app: service(["app.example.com"], routes([noMallory])) }),
      policy({ app: service(["app.example.com"], routes([])) }),
    ];
    // ward reach lists the deny on the grant it may override, as the gateway applies it.
    const grant = reach(before).grants.find((g) => g.route === "app/e" && g.principal === "email-domain:example.com");
    expect(grant?.overriddenBy).toEqual(["app/d/no-mallory"]);
    expectWidening(
      before,
      after,
      { method: "GET", host: "app.example.com", path: "/x/caf%C3%A9", identity: MALLORY },
      "! grant: email-domain:example.com app/e GET",
    );
  });

  it("no alarm where the requests refused for their letters were the callers' already (from a closing review)", () => {
    // `/api/ｈealth` was refused beside a route `/api/health`; once that route is gone the catch-all takes it, whose
    // grants staff had for `/api/health` itself, which is what an origin that changes letters reads it as.
    const health = { id: "health", methods: ["GET"], path: "/api/health", rules: [staff] };
    const api = { id: "api", methods: ["GET", "POST"], pathPrefix: "/api", rules: [staff] };
    const diff = diffReach(
      reach(policy({ app: service(["app.example.com"], [api, health]) })),
      reach(policy({ app: service(["app.example.com"], [api]) })),
    );
    expect(diff.settings.filter((s) => s.widens)).toEqual([]);
    expect(diffWidens(diff)).toBe(false);
  });

  it("a reading beyond ASCII that only others had (from a second closing review)", () => {
    // `/x/cafe` + U+0301 is `/x/café` to an origin that composes (NFC), which OLD gave admin only; NEW's one route
    // is written decomposed and lets staff in. Its ASCII reading `/x/cafe` was staff's: that alone said no gain.
    const admin = { id: "a", methods: ["GET"], path: "/x/café", rules: [allow([{ email: "admin@example.com" }])] };
    const any = { id: "f", methods: ["GET"], path: "/x/{*}", rules: [staff] };
    expectWidening(
      policy({
        app: service(["app.example.com"], [admin, any, { id: "d", methods: ["GET"], path: "/y", rules: [staff] }]),
      }),
      policy({
        app: service(["app.example.com"], [{ id: "d", methods: ["GET"], path: "/x/cafe\u0301", rules: [staff] }]),
      }),
      { method: "GET", host: "app.example.com", path: "/x/cafe%CC%81", identity: MALLORY },
      "! route: GET /x/cafe%CC%81 (and the like) was refused for its letters (path-letters-ambiguous: an origin that changes letters reads it as another route's path) and now reaches app/d: may let in email-domain:example.com",
    );
  });

  it("a request refused for its letters now taken uncounted where a reading of it was counted", () => {
    // From a second closing review: `/x/café` is `/x/cafe` to an origin that folds, which OLD counted.
    const limited = { ...staff, rateLimit: { limit: 10, period: "1m" } };
    const cafe = { id: "c", methods: ["GET"], path: "/x/cafe", rules: [limited] };
    const routes = [{ id: "e", methods: ["GET"], path: "/x/café", rules: [staff] }];
    const [before, after] = [
      policy({ app: service(["app.example.com"], [...routes, cafe]) }),
      policy({ app: service(["app.example.com"], routes) }),
    ];
    const diff = diffReach(reach(before), reach(after));
    expect(diff.settings.map((c) => `${c.widens ? "!" : "-"} ${c.kind}: ${c.change}`)).toContain(
      "! rate limit: GET /x/caf%C3%A9 (and the like), refused for its letters before, now reaches app/e (read as an origin that changes letters reads it, it reached app/c), where no rate limit may count them",
    );
    expect(diffWidens(diff)).toBe(true);
  });

  it("a route removed whose path was another's as an origin that changes letters reads it", () => {
    const cafe = { id: "f", methods: ["GET"], path: "/x/cafe", rules: [allow([{ group: "sre" }])] };
    const routes = [{ id: "e", methods: ["GET"], path: "/x/café", rules: [staff] }];
    expectWidening(
      policy({ app: service(["app.example.com"], [...routes, cafe]) }),
      policy({ app: service(["app.example.com"], routes) }),
      { method: "GET", host: "app.example.com", path: "/x/caf%C3%A9", identity: MALLORY },
      "! route: GET /x/caf%C3%A9 (and the like) was refused for its letters (path-letters-ambiguous: an origin that changes letters reads it as another route's path) and now reaches app/e: may let in email-domain:example.com",
    );
  });

  describe("a route that no longer serves a method, whose path was another's spelling (diff-differential)", () => {
    // `/a/á/c` matches r1 as written; an origin that changes letters reads it as `/a/a/c`, which r0 decides, so OLD
    // refuses it. NEW's r0 no longer takes POST (nor GET): r1 does. The paths tried stopped following r0 past `á`,
    // so none was `/x/á/c`.
    const r1 = { id: "r1", methods: ["*"], path: "/{*}/á/{id}/{**}", rules: [staff] };
    const r0 = (methods: string[], principals: object[]) => ({
      id: "r0",
      methods,
      pathPrefix: "/{id}/a/c",
      rules: [allow(principals)],
    });
    const request = { method: "POST", host: "app.example.com", path: "/a/%C3%A1/c", identity: MALLORY } as const;

    it("lists who r1 lets in", () => {
      expectWidening(
        policy({ app: service(["app.example.com"], [r0(["*"], [{ emailDomain: "other.org" }]), r1]) }),
        policy({ app: service(["app.example.com"], [r0(["PATCH", "DELETE"], [{ emailDomain: "other.org" }]), r1]) }),
        request,
        "! route: GET /x/%C3%A1/c (and the like) was refused for its letters (path-letters-ambiguous: an origin that changes letters reads it as another route's path) and now reaches app/r1: may let in email-domain:example.com",
      );
    });

    it("no alarm where r0 let the same callers make `/a/a/c` before", () => {
      const diff = diffReach(
        reach(policy({ app: service(["app.example.com"], [r0(["*"], [{ emailDomain: "example.com" }]), r1]) })),
        reach(policy({ app: service(["app.example.com"], [r0(["PATCH"], [{ emailDomain: "example.com" }]), r1]) })),
      );
      expect(diff.settings.filter((s) => s.widens)).toEqual([]);
      expect(diffWidens(diff)).toBe(false);
    });
  });

  it("a wildcard host added: every host under it reaches the service", () => {
    expectWidening(
      policy({ app: service(["app.example.com"], [everything]) }),
      policy({ app: service(["app.example.com", "*.example.com"], [everything]) }),
      { method: "GET", host: "admin.example.com", path: "/", identity: ALICE },
      "! host: *.example.com: now served by app (was served by no service)",
    );
  });

  it("an exact host added", () => {
    expectWidening(
      policy({ app: service(["app.example.com"], [everything]) }),
      policy({ app: service(["app.example.com", "old.example.com"], [everything]) }),
      { method: "GET", host: "old.example.com", path: "/", identity: ALICE },
      "! host: old.example.com: now served by app (was served by no service)",
    );
  });

  it("a host moved to another service, whose routes let in whom the first refused", () => {
    const closed = { id: "all", methods: ["*"], pathPrefix: "/", rules: [allow([{ email: "bob@example.com" }])] };
    expectWidening(
      policy({ a: service(["a.example.com", "b.example.com"], [closed]), b: service(["c.example.com"], [everything]) }),
      policy({ a: service(["a.example.com"], [closed]), b: service(["b.example.com", "c.example.com"], [everything]) }),
      { method: "GET", host: "b.example.com", path: "/", identity: ALICE },
      "! host: b.example.com: now served by b (was a)",
    );
  });

  it("a wildcard host moved to another service", () => {
    const closed = { id: "all", methods: ["*"], pathPrefix: "/", rules: [allow([{ email: "bob@example.com" }])] };
    expectWidening(
      policy({ a: service(["*.example.com"], [closed]), b: service(["app.example.org"], [everything]) }),
      policy({
        a: service(["a.example.net"], [closed]),
        b: service(["app.example.org", "*.example.com"], [everything]),
      }),
      { method: "GET", host: "x.example.com", path: "/", identity: ALICE },
      "! host: *.example.com: now served by b (was a)",
    );
  });

  it("a route that no longer serves a method: its requests fall to a route the sample path did not match", () => {
    // PUT /c/a went to the deny of the /c prefix route (a literal first segment beats {*}); once that route
    // no longer serves PUT, /{*}/{id} takes it. The old check tried only the path `/c`, which /{*}/{id} misses.
    const routes = (methods: string[]) => [
      { id: "r0", methods: ["PUT"], path: "/{*}/{id}", rules: [allow([{ group: "dev" }])] },
      {
        id: "r1",
        methods,
        pathPrefix: "/c",
        rules: [
          { id: "nobody", effect: "deny", principals: [{ authenticated: true }] },
          allow([{ email: "bob@example.com" }]),
        ],
      },
    ];
    expectWidening(
      policy({ app: service(["app.example.com"], routes(["POST", "PUT"])) }),
      policy({ app: service(["app.example.com"], routes(["POST"])) }),
      {
        method: "PUT",
        host: "app.example.com",
        path: "/c/a",
        identity: { user: { email: "d@example.com", groups: ["dev"] } },
      },
      // The /c prefix's deny covered r0's PUT requests under /c (deny rules of every matching route apply);
      // once r1 no longer takes PUT, that deny no longer overrides r0's grant.
      "! grant: group:dev app/r0 PUT",
    );
  });

  it("a route removed: its requests fall to a broader route that grants them", () => {
    // The old check tried one path of the removed route (`/c`), which /{*}/{id} does not match; /c/a it does.
    const broad = {
      id: "broad",
      methods: ["GET"],
      path: "/{*}/{id}",
      rules: [allow([{ email: "alice@example.com" }])],
    };
    const narrow = { id: "narrow", methods: ["GET"], path: "/c/{**}", rules: [allow([{ email: "bob@example.com" }])] };
    expectWidening(
      policy({ app: service(["app.example.com"], [broad, narrow]) }),
      policy({ app: service(["app.example.com"], [broad]) }),
      { method: "GET", host: "app.example.com", path: "/c/a", identity: ALICE },
      "! route: GET /c/x (and the like) now reaches app/broad (was app/narrow): may let in email:alice@example.com",
    );
  });

  it("a pair taken out of a binding that a deny rule names: that pair is past the deny", () => {
    const routes = [
      {
        id: "all",
        methods: ["*"],
        pathPrefix: "/",
        rules: [
          {
            id: "not-web-as-alice",
            effect: "deny",
            bothFactors: { workload: [{ spiffe: WEB }], access: [{ email: "alice@example.com" }], binding: "ops" },
          },
          allow([{ trustDomain: "td.example" }]),
        ],
      },
    ];
    const pairs = [{ workload: WEB, access: "alice@example.com" }];
    const other = [{ workload: "spiffe://td.example/ns/b/sa/job", access: "bob@example.com" }];
    expectWidening(
      policy({ app: service(["app.example.com"], routes) }, { ops: [...pairs, ...other] }),
      policy({ app: service(["app.example.com"], routes) }, { ops: other }),
      { method: "GET", host: "app.example.com", path: "/", identity: { workload: { id: WEB }, ...ALICE } },
      "! binding: - binding ops: spiffe://td.example/ns/a/sa/web & alice@example.com",
    );
  });

  // Deny rules reach HEAD where their route takes GET, and an exact path's other trailing-slash spelling
  // (policy/evaluate.ts): a request refused only that way in OLD, and moved to another route in NEW. Alice's own
  // route for the request in OLD, beside a route for bob whose deny refuses her; in NEW the deny is gone and
  // another route of hers takes the request.
  it.each([
    ["HEAD refused by a GET route's deny", "HEAD", "/admin", { methods: ["GET"], path: "/admin" }],
    [
      "the other slash spelling refused by an exact route's deny",
      "GET",
      "/admin/",
      { methods: ["GET"], path: "/admin" },
    ],
  ] as const)("%s, then routed elsewhere with the deny gone", (_name, method, path, denying) => {
    const denyAlice = { id: "no-alice", effect: "deny", principals: [{ email: "alice@example.com" }] };
    const bob = allow([{ email: "bob@example.com" }]);
    const alice = allow([{ email: "alice@example.com" }]);
    const routes = (old: boolean) => [
      ...(old ? [{ id: "hers", methods: [method], path, rules: [alice] }] : []),
      { id: "bobs", ...denying, rules: old ? [bob, denyAlice] : [bob] },
      { id: "other", methods: [method], path: old ? "/other" : path, rules: [alice] },
    ];
    expectWidening(
      policy({ app: service(["app.example.com"], routes(true)) }),
      policy({ app: service(["app.example.com"], routes(false)) }),
      { method, host: "app.example.com", path, identity: ALICE },
      `! route: ${method} ${path} (and the like) now reaches app/other (was app/hers): may let in email:alice@example.com`,
    );
  });

  // A bothFactors side written `{ authenticated: true }` (or `public`) names the pair `any-authenticated + ...`.
  describe("a bothFactors pair with an `authenticated` side", () => {
    const pairs = { ops: [{ workload: WEB, access: "alice@example.com" }] };
    const paired: Identity = { workload: { id: WEB }, ...ALICE };
    const all = (rules: object[]) => ({ app: service(["app.example.com"], [{ ...everything, rules }]) });
    const request = { method: "GET", host: "app.example.com", path: "/", identity: paired };
    const anyWorkloadAsAlice = {
      id: "no-alice-via-workloads",
      effect: "deny",
      bothFactors: { workload: [{ authenticated: true }], access: [{ email: "alice@example.com" }], binding: "ops" },
    };

    it("a deny on it is listed against the person's grant, and removing it widens", () => {
      const alice = allow([{ email: "alice@example.com" }]);
      const before = policy(all([alice, anyWorkloadAsAlice]), pairs);
      const grant = reach(before).grants.find((g) => g.principal === "email:alice@example.com");
      expect(grant?.overriddenBy).toContain("app/all/no-alice-via-workloads");
      expectWidening(before, policy(all([alice]), pairs), request, "! grant: email:alice@example.com app/all *");
    });

    it("a grant to any paired caller: removing a deny on the person widens", () => {
      const anyPair = {
        id: "pairs",
        effect: "allow",
        bothFactors: { workload: [{ authenticated: true }], access: [{ authenticated: true }], binding: "ops" },
      };
      const denyAlice = { id: "no-alice", effect: "deny", principals: [{ email: "alice@example.com" }] };
      expectWidening(
        policy(all([anyPair, denyAlice]), pairs),
        policy(all([anyPair]), pairs),
        request,
        "! grant: any-authenticated + any-authenticated app/all *",
      );
    });
  });

  // Names reach built from the policy's own text, unescaped, once read alike for different policies.
  describe("policy text that spells reach's own words", () => {
    const site = { id: "site", methods: ["GET"], pathPrefix: "/", rules: [allow([{ emailDomain: "example.com" }])] };
    const admin = (pattern: object) => ({
      id: "admin",
      methods: ["GET"],
      ...pattern,
      rules: [allow([{ group: "sre" }])],
    });
    const intern: Identity = { user: { email: "intern@example.com", groups: [] } };

    it("a pathPrefix made an exact path ending in ' (prefix)': its requests fall to the catch-all", () => {
      expectWidening(
        policy({ app: service(["app.example.com"], [site, admin({ pathPrefix: "/admin" })]) }),
        policy({ app: service(["app.example.com"], [site, admin({ path: "/admin (prefix)" })]) }),
        { method: "GET", host: "app.example.com", path: "/admin/users", identity: intern },
        "! route: GET /admin (and the like) now reaches app/site (was app/admin): may let in email-domain:example.com",
      );
      const diff = diffReach(
        reach(policy({ app: service(["app.example.com"], [site, admin({ pathPrefix: "/admin" })]) })),
        reach(policy({ app: service(["app.example.com"], [site, admin({ path: "/admin (prefix)" })]) })),
      );
      expect(diff.settings.map((c) => c.change)).toContain("app/admin: path /admin/{**} -> /admin (prefix)");
    });

    it("an exact path ending in ' (prefix)' made a pathPrefix: everything under it opens", () => {
      const dev = { user: { email: "d@example.com", groups: ["sre"] } };
      expectWidening(
        policy({ app: service(["app.example.com"], [admin({ path: "/admin (prefix)" })]) }),
        policy({ app: service(["app.example.com"], [admin({ pathPrefix: "/admin" })]) }),
        { method: "GET", host: "app.example.com", path: "/admin/users", identity: dev },
        "! route: GET /admin (and the like) now reaches app/admin (reached no route): may let in group:sre",
      );
    });

    it("a group whose name holds ' + ': the e-mail deny it was under is taken away", () => {
      const route = (deny: boolean) => ({
        id: "all",
        methods: ["GET"],
        pathPrefix: "/",
        rules: [
          ...(deny ? [{ id: "no-mallory", effect: "deny", principals: [{ email: "mallory@example.com" }] }] : []),
          allow([{ group: "Sales + Marketing" }]),
        ],
      });
      const mallory = { user: { email: "mallory@example.com", groups: ["Sales + Marketing"] } };
      expectWidening(
        policy({ app: service(["app.example.com"], [route(true)]) }),
        policy({ app: service(["app.example.com"], [route(false)]) }),
        { method: "GET", host: "app.example.com", path: "/x", identity: mallory },
        '! grant: group:"Sales + Marketing" app/all GET',
      );
    });

    it("a CA named like another CA's trust-domain line: a trust domain added to the first is listed", () => {
      const pinned = (domains: string[]) => {
        const result = validatePolicy({
          version: 1,
          metadata: {
            environment: "dev",
            owners: ["security@example.com"],
            trustDomains: ["td.example", "prod.example"],
          },
          identity: {
            mtls: {
              issuers: [
                { dn: "CN=Dev CA", trustDomains: domains },
                { dn: "CN=Dev CA for trust domain prod.example", trustDomains: ["td.example"] },
              ],
            },
          },
          services: {
            app: service(["app.example.com"], [{ ...everything, rules: [allow([{ trustDomain: "prod.example" }])] }]),
          },
        });
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        return buildIndexes(result.policy, "v");
      };
      const diff = diffReach(reach(pinned(["td.example"])), reach(pinned(["td.example", "prod.example"])));
      expect(diff.settings).toContainEqual(
        expect.objectContaining({ change: "+ mTLS issuer DN CN=Dev CA for trust domain prod.example", widens: true }),
      );
      expect(diffWidens(diff)).toBe(true);
    });

    it("a deny's two groups made one group named like both", () => {
      const route = (deny: object[]) => ({
        id: "all",
        methods: ["GET"],
        pathPrefix: "/",
        rules: [{ id: "no-contractors", effect: "deny", principals: deny }, allow([{ emailDomain: "example.com" }])],
      });
      const contractor = { user: { email: "c@example.com", groups: ["contractors"] } };
      expectWidening(
        policy({ app: service(["app.example.com"], [route([{ group: "contractors" }, { group: "vendors" }])]) }),
        policy({ app: service(["app.example.com"], [route([{ group: "contractors, group:vendors" }])]) }),
        { method: "GET", host: "app.example.com", path: "/x", identity: contractor },
        "! grant: email-domain:example.com app/all GET",
      );
    });
  });
});

// A rate limit a principal's requests were counted under, and a rule with no limit that now decides them instead
// (from a third review, with evaluate() as the judge: each request allowed in both, counted only in OLD).
describe("a limit bypassed, which ward diff once missed", () => {
  const limits = (p: ReturnType<typeof policy>, request: RequestFacts) =>
    evaluate(p, request, NOW).obligations.rateLimits.length;
  const expectUncounted = (
    before: ReturnType<typeof policy>,
    after: ReturnType<typeof policy>,
    request: RequestFacts,
  ) => {
    expect([evaluate(before, request, NOW).effect, limits(before, request)]).toEqual(["allow", 1]);
    expect([evaluate(after, request, NOW).effect, limits(after, request)]).toEqual(["allow", 0]);
    const diff = diffReach(reach(before), reach(after));
    expect(diffWidens(diff), JSON.stringify(diff.settings)).toBe(true);
  };
  const limited = { limit: 10, period: "60s" };

  it("a copy of a rule with no limit put before the limited rule it followed", () => {
    const employees = {
      id: "employees",
      effect: "allow",
      principals: [{ emailDomain: "example.com" }],
      when: { country: ["DE"] },
      rateLimit: limited,
    };
    const admins = { id: "admins", effect: "allow", principals: [{ group: "admins" }], when: { country: ["DE"] } };
    const route = (rules: object[]) => ({ id: "r", methods: ["GET"], path: "/x", rules });
    expectUncounted(
      policy({ app: service(["app.example.com"], [route([employees, admins])]) }),
      policy({ app: service(["app.example.com"], [route([{ ...admins, id: "admins-first" }, employees, admins])]) }),
      {
        method: "GET",
        host: "app.example.com",
        path: "/x",
        country: "DE",
        identity: { user: { email: "ann@example.com", groups: ["admins"] } },
      },
    );
  });

  it("a pair taken out of the binding of the limited rule: it falls to one with no limit", () => {
    const pair = { workload: WEB, access: "alice@example.com" };
    const other = { workload: "spiffe://td.example/ns/b/sa/job", access: "bob@example.com" };
    const route = {
      id: "r",
      methods: ["GET"],
      path: "/x",
      rules: [
        {
          id: "ci",
          effect: "allow",
          bothFactors: {
            workload: [{ trustDomain: "td.example" }],
            access: [{ email: "alice@example.com" }],
            binding: "deployers",
          },
          rateLimit: limited,
        },
        allow([{ email: "alice@example.com" }]),
      ],
    };
    expectUncounted(
      policy({ app: service(["app.example.com"], [route]) }, { deployers: [pair, other] }),
      policy({ app: service(["app.example.com"], [route]) }, { deployers: [other] }),
      { method: "GET", host: "app.example.com", path: "/x", identity: { workload: { id: WEB }, ...ALICE } },
    );
  });
});
