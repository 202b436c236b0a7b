// An independent oracle for evaluate(), written from docs/policy.md ("Which route", "Path patterns", "How a
// request is decided", "Reasons and status", "Principal matchers", "Hide", "Audit mode"), not from policy/*.
// Random policies (as JSON text, compiled by loadPolicy) and random requests; the oracle decides each request
// by a plain linear scan over the generated routes and rules, and effect, status, reasons and (for allows)
// route are compared with the real evaluate. Seed from ORACLE_SEED, else random; printed only on failure.
//
// The only piece of policy/ the oracle itself uses is canonicalTarget: the docs define canonicalisation as a
// separate step ("Canonical request targets") that yields the decoded segments matching compares against, so
// the oracle takes those segments from it rather than re-implementing percent-decoding.
//
// In scope: hosts (exact, `*.`, case, port, trailing dot), `path`/`pathPrefix` with literals, `{*}`, `{name}`,
// `{**}`, trailing slashes, the most specific route that lists the method, deny rules of every matching route
// (format suffixes, the other trailing-slash spelling, HEAD where a route lists GET), `caseInsensitivePaths`,
// `hide`, service `mode: audit`, deny rules on trial, `requireCertificate`, and callers with an e-mail (groups
// known or not), a service token, a certificate's SPIFFE ID, a workload token (JWT-SVID or OIDC subject) or
// nothing, against email/emailDomain/group/serviceToken/spiffe/spiffePrefix/trustDomain/authenticated/public/set.
// Compared: effect, status, reasons, mode, service, route, the reported rule, wouldDeny, principal.
// Out of scope: conditions (`when`), rate limits, headers, grants, bothFactors, claims, websockets, bodies,
// queries, and the order in which deny rules of other routes are reported (only membership is checked).
//
// Where the docs leave a choice open the oracle says so in a comment: a format-suffix cut that would leave an
// empty segment (`/.env`), and the `mode` reported for `path-case-ambiguous` at a service in audit mode.
import { describe, expect, it } from "vitest";
import { evaluate, loadPolicy, type CompiledPolicy, type Decision, type Identity } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";
import {
  NOW,
  policySeed,
  type Matcher,
  type GenRule,
  type GenService,
  type GenPolicy,
  SETS,
  genPolicy,
  documentText,
} from "./oracle/random-policy.ts";
import { WORKLOADS, type GenRequest, genRequest } from "./oracle/random-request.ts";
import { type Expected, oracle } from "./oracle/decide.ts";

const SEED = seedFrom("ORACLE_SEED");
const POLICIES = Number(process.env.ORACLE_POLICIES ?? 300);
const REQUESTS = Number(process.env.ORACLE_REQUESTS ?? 200);

// ---------------------------------------------------------------------------------------------------------
// Comparison

interface Actual {
  effect: string;
  status: number;
  reasons: string[];
  mode: string;
  service?: string;
  route?: string;
  rule?: string;
  wouldDeny?: { status: number; reasons: string[]; rule?: string };
  principal: string;
}

interface Mismatch {
  policy: number;
  text: string;
  request: GenRequest;
  expected: Expected;
  actual: Actual;
  what: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields that differ. */
function differences(e: Expected, d: Actual): string[] {
  const out: string[] = [];
  if (d.effect !== e.effect) out.push("effect");
  if (d.status !== e.status) out.push("status");
  if (!same(d.reasons, e.reasons)) out.push("reasons");
  if (d.mode !== e.mode && !e.modeEither) out.push("mode");
  if (d.service !== e.service) out.push("service");
  if (d.route !== e.route) out.push("route");
  if (e.rule !== undefined && d.rule !== e.rule) out.push("rule");
  if (e.ruleAmong !== undefined && !e.ruleAmong.includes(d.rule ?? "")) out.push("rule");
  if (!same(d.principal.split("+").sort(), e.principal)) out.push("principal");
  const w = e.wouldDeny;
  if ((w === undefined) !== (d.wouldDeny === undefined)) out.push("wouldDeny");
  else if (w && d.wouldDeny) {
    if (w.status !== d.wouldDeny.status || !same(w.reasons, d.wouldDeny.reasons)) out.push("wouldDeny");
    if (w.rule !== undefined && d.wouldDeny.rule !== w.rule) out.push("wouldDeny.rule");
    if (w.ruleAmong !== undefined && !w.ruleAmong.includes(d.wouldDeny.rule ?? "")) out.push("wouldDeny.rule");
  }
  return out;
}

function actualOf(d: Decision): Actual {
  const { effect, status, reasons, mode, service, route, rule, wouldDeny, principal } = d;
  return { effect, status, reasons, mode, service, route, rule, wouldDeny, principal };
}

function describeMismatch(m: Mismatch): string {
  return [
    `policy ${m.policy}: ${m.what.join(", ")} differ`,
    `request ${m.request.method} ${m.request.host}${m.request.path} as ${JSON.stringify(m.request.identity)}`,
    `oracle   ${JSON.stringify(m.expected)}`,
    `evaluate ${JSON.stringify(m.actual)}`,
    `policy text ${m.text}`,
  ].join("\n");
}

describe("evaluate against an oracle written from docs/policy.md", () => {
  it("decides random requests on random policies as the docs say", async () => {
    const mismatches: Mismatch[] = [];
    const hist: Record<string, number> = {};
    let loaded = 0;
    let checked = 0;
    const seen = { allow: 0, denyRule: 0, denyAcross: 0, headDeny: 0, suffixDeny: 0, audit: 0 };
    for (let p = 0; p < POLICIES; p++) {
      const r = prng(policySeed(SEED, p));
      const g = genPolicy(r);
      const text = documentText(g);
      const result = await loadPolicy(text);
      if (!result.ok) continue; // e.g. duplicate-route: not a policy
      loaded++;
      const policy: CompiledPolicy = result.policy;
      for (let q = 0; q < REQUESTS; q++) {
        const request = genRequest(r, g);
        const expected = oracle(g, request);
        const actual = actualOf(evaluate(policy, { ...request }, NOW));
        checked++;
        if (expected.effect === "allow" && expected.reasons[0] === "allowed-by-rule") seen.allow++;
        if (expected.reasons[0] === "denied-by-rule") {
          seen.denyRule++;
          if (expected.ruleAmong) seen.denyAcross++;
          if (request.method === "HEAD") seen.headDeny++;
          if (/\.[^/]*\/?$/.test(request.path)) seen.suffixDeny++;
        }
        if (expected.reasons[0] === "audit-would-deny") seen.audit++;
        const hk = `${expected.effect} ${expected.status} ${expected.reasons.join(",")}`;
        hist[hk] = (hist[hk] ?? 0) + 1;
        const what = differences(expected, actual);
        if (what.length > 0) mismatches.push({ policy: p, text, request, expected, actual, what });
      }
    }
    if (process.env.ORACLE_STATS) console.log(JSON.stringify({ loaded, checked, seen, hist }));
    if (mismatches.length > 0) {
      const shown = mismatches.slice(0, 3).map(describeMismatch).join("\n\n");
      expect.fail(
        `${mismatches.length} of ${checked} decisions differ from the oracle (replay: ORACLE_SEED=${SEED})\n\n${shown}`,
      );
    }
    // The generator reaches the cases that matter, whatever the seed.
    expect(loaded, `seed ${SEED}`).toBeGreaterThan(POLICIES / 3);
    if (POLICIES >= 300 && REQUESTS >= 200) {
      for (const [what, count] of Object.entries(seen)) expect(count, `${what}, seed ${SEED}`).toBeGreaterThan(20);
    }
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------------
// Fixed cases: the docs' own examples, each checked against both the oracle and evaluate (so the oracle is
// pinned to the docs, and a disagreement found by the generator can be kept here as a minimal case).

const ANN: Identity = { user: { email: "ann@example.com", groups: [] } };
const BOB: Identity = { user: { email: "bob@example.com", groups: [] } };
const ANYONE: Matcher[] = [{ authenticated: true }];
const route = (id: string, methods: string[], pattern: { path?: string; pathPrefix?: string }, rules: GenRule[]) => ({
  id,
  methods,
  ...pattern,
  rules,
});
const allow = (principals: Matcher[], id = "allow"): GenRule => ({ id, effect: "allow", principals });
const deny = (principals: Matcher[], id = "deny", mode?: "audit"): GenRule => ({
  id,
  effect: "deny",
  principals,
  ...(mode ? { mode } : {}),
});

type Case = [method: string, path: string, identity: Identity, expected: { [K in keyof Expected]?: unknown }];

/** Whether the oracle's answer has this field (a rule among those it allows; a principal in any order). */
function oracleSays(o: Expected, key: string, value: unknown): boolean {
  if (key === "rule") return o.rule === value || (o.ruleAmong?.includes(value as string) ?? false);
  if (key === "principal") return same(o.principal, (value as string).split("+").sort());
  return same((o as unknown as Record<string, unknown>)[key], value);
}

function fixed(title: string, service: Omit<GenService, "name" | "hosts">, cases: Case[]) {
  it(title, async () => {
    const g: GenPolicy = { sets: SETS, services: [{ name: "app", hosts: ["app.example.com"], ...service }] };
    const loaded = await loadPolicy(documentText(g));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues.filter((i) => i.severity === "error")));
    for (const [method, path, identity, want] of cases) {
      const request = { method, host: "app.example.com", path, identity };
      const d = actualOf(evaluate(loaded.policy, request, NOW));
      const o = oracle(g, request);
      const label = `${method} ${path} as ${JSON.stringify(identity)}`;
      for (const [key, value] of Object.entries(want)) {
        expect((d as unknown as Record<string, unknown>)[key], `evaluate ${key}: ${label}`).toEqual(value);
        expect(oracleSays(o, key, value), `oracle ${key}: ${label}: ${JSON.stringify(o)}`).toBe(true);
      }
    }
  });
}

describe("the docs' examples, against the oracle and evaluate", () => {
  fixed(
    "most specific route: the first segment decides; deeper {**} first; exact before {**}",
    {
      routes: [
        route("a-any", ["GET"], { path: "/a/{**}" }, [allow(ANYONE)]),
        route("any-b", ["GET"], { path: "/{*}/b" }, [allow(ANYONE)]),
        route("api-v1", ["GET"], { path: "/api/v1/{**}" }, [allow(ANYONE)]),
        route("api", ["GET"], { pathPrefix: "/api" }, [allow(ANYONE)]),
        route("api-exact", ["GET"], { path: "/api" }, [allow(ANYONE)]),
        route("root", ["GET"], { path: "/{**}" }, [allow(ANYONE)]),
      ],
    },
    [
      ["GET", "/a/b", ANN, { effect: "allow", route: "app/a-any" }],
      ["GET", "/c/b", ANN, { effect: "allow", route: "app/any-b" }],
      ["GET", "/api/v1/x", ANN, { effect: "allow", route: "app/api-v1" }],
      ["GET", "/api/x", ANN, { effect: "allow", route: "app/api" }],
      ["GET", "/api", ANN, { effect: "allow", route: "app/api-exact" }],
      ["GET", "/api/", ANN, { effect: "allow", route: "app/api" }],
      ["GET", "/", ANN, { effect: "allow", route: "app/root" }],
    ],
  );
  fixed(
    "a candidate that does not list the method is skipped",
    {
      routes: [
        route("item", ["POST"], { path: "/v1/items/{id}" }, [allow(ANYONE)]),
        route("all", ["GET"], { pathPrefix: "/" }, [allow(ANYONE)]),
      ],
    },
    [
      ["GET", "/v1/items/7", ANN, { effect: "allow", route: "app/all" }],
      ["POST", "/v1/items/7", ANN, { effect: "allow", route: "app/item" }],
      ["PUT", "/v1/items/7", ANN, { effect: "deny", status: 404, reasons: ["route-not-found"] }],
      ["PUT", "/v1/items/7", {}, { effect: "deny", status: 401, reasons: ["unauthenticated"] }],
    ],
  );
  fixed(
    "deny rules of every matching route apply; allow rules only from the chosen one",
    {
      routes: [
        route("admin", ["*"], { pathPrefix: "/admin" }, [deny([{ email: "ann@example.com" }], "no-ann")]),
        route("users", ["GET"], { path: "/admin/users" }, [allow(ANYONE)]),
      ],
    },
    [
      ["GET", "/admin/users", ANN, { effect: "deny", status: 403, route: "app/users", rule: "app/admin/no-ann" }],
      ["GET", "/admin/users", BOB, { effect: "allow", route: "app/users" }],
      ["GET", "/admin/other", BOB, { effect: "deny", status: 403, reasons: ["no-matching-rule"] }],
    ],
  );
  fixed(
    "deny rules reach format suffixes, the other trailing-slash spelling and HEAD; allow rules do not",
    {
      routes: [
        route("all", ["*"], { pathPrefix: "/" }, [allow(ANYONE)]),
        route("admin", ["GET"], { path: "/admin" }, [deny([{ email: "ann@example.com" }], "no-ann"), allow(ANYONE)]),
        route("v1", ["GET"], { path: "/v1" }, [deny([{ email: "ann@example.com" }], "no-ann")]),
        route("orders", ["POST"], { path: "/v1/orders" }, [deny([{ email: "ann@example.com" }], "no-ann")]),
      ],
    },
    [
      ["GET", "/admin", ANN, { effect: "deny", rule: "app/admin/no-ann" }],
      ["GET", "/admin.json", ANN, { effect: "deny", route: "app/all", rule: "app/admin/no-ann" }],
      ["GET", "/admin.json/", ANN, { effect: "deny", rule: "app/admin/no-ann" }],
      ["GET", "/admin.v2.html", ANN, { effect: "deny", rule: "app/admin/no-ann" }],
      ["GET", "/admin/", ANN, { effect: "deny", route: "app/all", rule: "app/admin/no-ann" }],
      ["HEAD", "/admin", ANN, { effect: "deny", route: "app/all", rule: "app/admin/no-ann" }],
      ["GET", "/administrator", ANN, { effect: "allow", route: "app/all" }],
      ["GET", "/v1.2", ANN, { effect: "deny", rule: "app/v1/no-ann" }],
      ["POST", "/v1/orders/", ANN, { effect: "deny", rule: "app/orders/no-ann" }],
      ["GET", "/v1/orders/", ANN, { effect: "allow", route: "app/all" }],
      ["GET", "/admin.json", BOB, { effect: "allow", route: "app/all" }],
    ],
  );
  fixed(
    "HEAD is not GET for allow rules; a format suffix reaches another route's allow rules",
    {
      routes: [
        route("reports", ["GET"], { path: "/finance/reports" }, [allow([{ group: "finance" }])]),
        route("head-all", ["HEAD"], { pathPrefix: "/" }, [allow([{ emailDomain: "example.com" }])]),
        route("order", ["GET"], { path: "/orders/{id}" }, [allow(ANYONE)]),
        route("export", ["GET"], { path: "/orders/export" }, [allow([{ group: "finance" }])]),
      ],
    },
    [
      ["GET", "/finance/reports", BOB, { effect: "deny", status: 403, route: "app/reports" }],
      ["HEAD", "/finance/reports", BOB, { effect: "allow", route: "app/head-all" }],
      ["GET", "/orders/export", BOB, { effect: "deny", route: "app/export" }],
      ["GET", "/orders/export.json", BOB, { effect: "allow", route: "app/order" }],
    ],
  );
  fixed(
    "principals: e-mail case, domains, unknown groups, open SPIFFE prefixes, workload tokens",
    {
      routes: [
        route("mail", ["GET"], { path: "/mail" }, [allow([{ email: "ann@example.com" }])]),
        route("domain", ["GET"], { path: "/domain" }, [allow([{ emailDomain: "example.com" }])]),
        route("ops", ["GET"], { path: "/ops" }, [deny([{ group: "dev" }]), allow([{ group: "ops" }])]),
        route("shop", ["GET"], { path: "/shop" }, [allow([{ spiffePrefix: "spiffe://prod.example.com/ns/a" }])]),
        route("td", ["GET"], { path: "/td" }, [allow([{ trustDomain: "dev.example.com" }])]),
      ],
    },
    [
      ["GET", "/mail", { user: { email: "ANN@Example.COM" } }, { effect: "allow", principal: "user:ann@example.com" }],
      ["GET", "/domain", { user: { email: "x@EXAMPLE.com" } }, { effect: "allow" }],
      ["GET", "/domain", { user: { email: "mallory@evil.io@example.com" } }, { effect: "deny", status: 403 }],
      ["GET", "/domain", { user: { email: "x@eu.example.com" } }, { effect: "deny", status: 403 }],
      // Groups not fetched: held for a deny rule, not for an allow rule.
      ["GET", "/ops", { user: { email: "x@example.com" } }, { effect: "deny", reasons: ["denied-by-rule"] }],
      ["GET", "/ops", { user: { email: "x@example.com", groups: ["ops"] } }, { effect: "allow" }],
      ["GET", "/shop", { workload: { id: "spiffe://prod.example.com/ns/ab/sa/y" } }, { effect: "allow" }],
      ["GET", "/td", { workload: { id: "spiffe://dev.example.com.evil/ns/a" } }, { effect: "deny", status: 403 }],
      [
        "GET",
        "/shop",
        {
          workloadToken: {
            issuer: "spire",
            kind: "spiffe-jwt-svid",
            subject: "x",
            spiffeId: WORKLOADS[0]!,
            claims: {},
          },
        },
        { effect: "allow", principal: `workload:${WORKLOADS[0]}` },
      ],
    ],
  );
  fixed(
    "statuses: hide, anonymous callers, a deny that applies to anonymous callers",
    {
      hide: true,
      routes: [
        route("open", ["GET"], { path: "/open" }, [deny([{ public: true }]), allow([{ public: true }])]),
        route("mail", ["GET"], { path: "/mail" }, [allow([{ email: "ann@example.com" }])]),
      ],
    },
    [
      ["GET", "/open", {}, { effect: "deny", status: 404, reasons: ["denied-by-rule"] }],
      ["GET", "/mail", {}, { effect: "deny", status: 401, reasons: ["unauthenticated"] }],
      ["GET", "/mail", BOB, { effect: "deny", status: 404, reasons: ["no-matching-rule"] }],
      ["GET", "/none", BOB, { effect: "deny", status: 404, reasons: ["route-not-found"] }],
      ["GET", "/none", {}, { effect: "deny", status: 401, reasons: ["unauthenticated"] }],
    ],
  );
  fixed(
    "audit: a service in audit mode, a deny rule on trial",
    {
      mode: "audit",
      requireCertificate: true,
      routes: [
        route("r", ["GET"], { path: "/r" }, [
          deny([{ email: "bob@example.com" }], "trial", "audit"),
          allow([{ authenticated: true }]),
        ]),
      ],
    },
    [
      ["GET", "/r", ANN, { effect: "allow", status: 200, reasons: ["audit-would-deny", "certificate-required"] }],
      [
        "GET",
        "/r",
        { ...BOB, workload: { id: WORKLOADS[0]! } },
        { effect: "allow", reasons: ["allowed-by-rule", "audit-would-deny"], route: "app/r" },
      ],
      [
        "GET",
        "/x",
        { workload: { id: WORKLOADS[0]! } },
        { effect: "allow", reasons: ["audit-would-deny", "route-not-found"] },
      ],
    ],
  );
  fixed(
    "caseInsensitivePaths: /ADMIN is /admin, ß stays ß, ambiguous letters are refused",
    {
      caseInsensitivePaths: true,
      routes: [
        route("all", ["*"], { pathPrefix: "/" }, [allow(ANYONE)]),
        route("admin", ["GET"], { path: "/admin" }, [deny([{ email: "ann@example.com" }], "no-ann")]),
        route("street", ["GET"], { path: "/straße" }, [deny([{ email: "ann@example.com" }], "no-ann")]),
      ],
    },
    [
      ["GET", "/ADMIN", ANN, { effect: "deny", rule: "app/admin/no-ann" }],
      ["GET", "/Admin.JSON/", ANN, { effect: "deny", rule: "app/admin/no-ann" }],
      ["GET", "/STRA%C3%9FE", ANN, { effect: "deny", rule: "app/street/no-ann" }],
      ["GET", "/STRASSE", ANN, { effect: "allow", route: "app/all" }],
      ["GET", "/adm%C4%B1n", ANN, { effect: "deny", status: 400, reasons: ["bad-request"] }],
    ],
  );
});
