// `ward reach` and `ward diff`, called as command functions with a collecting Io (the lead registers them in
// scripts/ward.ts). `run` handles errors the way scripts/ward.ts's main does, so exit statuses are the CLI's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../../scripts/cli-error.ts";
import { diffCommand } from "../../scripts/commands/diff.ts";
import { reachCommand } from "../../scripts/commands/reach.ts";
import type { Io } from "../../scripts/io.ts";

const F = "test/fixtures/policies";
const SMALL = `${F}/reach-small.yaml`;
const HTML = `${F}/reach-html.yaml`;
const OLD = `${F}/diff-old.yaml`;

const dir = mkdtempSync(join(tmpdir(), "ward-reach-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

async function run(command: (args: string[], io: Io) => Promise<number>, ...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  let status: number;
  try {
    status = await command(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      err.push(error.message);
      status = error.exitCode;
    } else if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      err.push(error.message);
      status = 2;
    } else {
      throw error;
    }
  }
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
  return { status, stdout: text(out), stderr: text(err) };
}

const SMALL_TEXT = `identities (8):
  claims:{"role":"admin"}  (2 routes)
    wiki/admin  POST  via wiki/admin/bot  [audit]  unless deny wiki/admin/blocked
    as public: 1 route (listed under public)
  email-domain:example.com  (2 routes)
    wiki/read  GET,HEAD  via wiki/read/staff  when days mon/tue; hours 08:00-18:00 UTC; country DE, FR  [audit]  unless deny wiki/read/no-contractors
    as public: 1 route (listed under public)
  group:sre  (3 routes)
    wiki/admin  POST  via wiki/admin/bot  [audit]  unless deny wiki/admin/blocked
    wiki/read  GET,HEAD  via wiki/read/staff  when days mon/tue; hours 08:00-18:00 UTC; country DE, FR  [audit]  unless deny wiki/read/no-contractors
    as public: 1 route (listed under public)
  public  (1 route)
    api/health  *  via api/health/anyone  when client certificate required
  spiffe://td.example/ns/batch/*  (2 routes)
    api/orders  GET,POST  via api/orders/shop  when scopes orders:write  unless deny api/orders/no-batch
    as public: 1 route (listed under public)
  spiffe://td.example/ns/shop/sa/web  (2 routes)
    api/orders  GET,POST  via api/orders/shop  when scopes orders:write
    as public: 1 route (listed under public)
  token:6553314e6c94380aadb4d5ceabf215e5.access  (2 routes)
    wiki/admin  POST  via wiki/admin/bot  [audit]
    as public: 1 route (listed under public)
  trust-domain:td.example + email:alice@example.com  (3 routes)
    api/deploy  POST  via api/deploy/ci-for-alice  when binding deployers
    wiki/read  GET,HEAD  as email-domain:example.com  via wiki/read/staff  when days mon/tue; hours 08:00-18:00 UTC; country DE, FR  [audit]  unless deny wiki/read/no-contractors
    as public: 1 route (listed under public)
routes (5):
  api/deploy  POST  /deploy  (1 identity)
    trust-domain:td.example + email:alice@example.com  via api/deploy/ci-for-alice  when binding deployers
  api/health  *  /healthz  (1 identity)  [public]
    public  via api/health/anyone  when client certificate required
  api/orders  GET,POST  /v1/orders  (2 identities)
    spiffe://td.example/ns/batch/*  via api/orders/shop  when scopes orders:write  unless deny api/orders/no-batch
    spiffe://td.example/ns/shop/sa/web  via api/orders/shop  when scopes orders:write
    deny api/orders/no-batch: spiffe://td.example/ns/batch/*
  wiki/admin  POST  /admin (prefix)  (3 identities)  [audit]
    claims:{"role":"admin"}  via wiki/admin/bot  [audit]  unless deny wiki/admin/blocked
    group:sre  via wiki/admin/bot  [audit]  unless deny wiki/admin/blocked
    token:6553314e6c94380aadb4d5ceabf215e5.access  via wiki/admin/bot  [audit]
    deny wiki/admin/blocked: email:mallory@example.com
  wiki/read  GET,HEAD  / (prefix)  (2 identities)  [audit]
    email-domain:example.com  via wiki/read/staff  when days mon/tue; hours 08:00-18:00 UTC; country DE, FR  [audit]  unless deny wiki/read/no-contractors
    group:sre  via wiki/read/staff  when days mon/tue; hours 08:00-18:00 UTC; country DE, FR  [audit]  unless deny wiki/read/no-contractors
    through wider grants: trust-domain:td.example + email:alice@example.com
    deny wiki/read/no-contractors: group:contractors
summary:
  identities                   8
  grants                       9
  routes reachable             5 of 5
  average routes per identity  2.13
  widest identities:
    3 routes    group:sre
    3 routes    trust-domain:td.example + email:alice@example.com
    2 routes    claims:{"role":"admin"}
    2 routes    email-domain:example.com
    2 routes    spiffe://td.example/ns/batch/*
  most exposed routes:
    1 identity      api/health  [public]
    2 identities    wiki/read  [email-domain:example.com]
    3 identities    wiki/admin
    2 identities    api/orders
    1 identity      api/deploy
`;

describe("ward reach", () => {
  it("text: by identity, by route, summary; exit 0", async () => {
    const r = await run(reachCommand, SMALL);
    expect(r.stdout).toBe(SMALL_TEXT);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("each identity inherits what every wider principal reaches, with only the deny rules that may apply to it", async () => {
    const r = await run(reachCommand, `${F}/reach-inherit.yaml`);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    // A trust domain's grants reach its SPIFFE IDs, an e-mail domain's its addresses (mallory's own deny goes
    // with mallory, not with alice), any authenticated caller's everyone's; a pair inherits its sides' and the
    // pair holding both sides'.
    expect(lines.slice(0, lines.indexOf("routes (6):"))).toEqual([
      "identities (7):",
      "  any-authenticated  (1 route)",
      "    api/status  GET  via api/status/signed-in",
      "  email-domain:example.com  (2 routes)",
      "    api/staff  GET  via api/staff/domain  unless deny api/staff/not-mallory",
      "    as any-authenticated: 1 route (listed under any-authenticated)",
      "  email:mallory@example.com  (2 routes)",
      "    api/staff  GET  via api/staff/mallory-too  unless deny api/staff/not-mallory",
      "    api/staff  GET  as email-domain:example.com  via api/staff/domain  unless deny api/staff/not-mallory",
      "    as any-authenticated: 1 route (listed under any-authenticated)",
      "  spiffe://td.example/ci/runner  (3 routes)",
      "    api/runner  POST  via api/runner/runner",
      "    api/metrics  GET  as trust-domain:td.example  via api/metrics/domain",
      "    as any-authenticated: 1 route (listed under any-authenticated)",
      "  spiffe://td.example/ci/runner + email:alice@example.com  (6 routes)",
      "    api/release  POST  via api/release/ci-for-alice  when binding deployers",
      "    api/staff  GET  as email-domain:example.com  via api/staff/domain",
      "    api/runner  POST  as spiffe://td.example/ci/runner  via api/runner/runner",
      "    api/metrics  GET  as trust-domain:td.example  via api/metrics/domain",
      "    api/deploy  POST  as trust-domain:td.example + email-domain:example.com  via api/deploy/ci-for-people  when binding deployers",
      "    as any-authenticated: 1 route (listed under any-authenticated)",
      "  trust-domain:td.example  (2 routes)",
      "    api/metrics  GET  via api/metrics/domain",
      "    as any-authenticated: 1 route (listed under any-authenticated)",
      "  trust-domain:td.example + email-domain:example.com  (4 routes)",
      "    api/deploy  POST  via api/deploy/ci-for-people  when binding deployers",
      "    api/staff  GET  as email-domain:example.com  via api/staff/domain  unless deny api/staff/not-mallory",
      "    api/metrics  GET  as trust-domain:td.example  via api/metrics/domain",
      "    as any-authenticated: 1 route (listed under any-authenticated)",
    ]);
  });

  it("--format text is the default", async () => {
    expect((await run(reachCommand, SMALL, "--format", "text")).stdout).toBe(SMALL_TEXT);
  });

  /** A grant as `ward exceptions list --json` prints it: the store's record, instants in epoch ms. */
  const record = (overrides: Record<string, unknown>) => ({
    id: "exc-1a2b3c4d",
    kind: "exception",
    principal: { email: "OnCall@example.com" },
    service: "wiki",
    routes: ["admin"],
    methods: ["POST"],
    notBefore: Date.parse("2026-03-01T09:00:00Z"),
    notAfter: Date.parse("2026-03-02T09:00:00Z"),
    reason: "incident 42",
    ticket: "INC-42",
    requestedBy: "ann",
    approvedBy: "bob",
    uses: 0,
    status: "active",
    createdAt: 0,
    createdBy: "group:sre",
    ...overrides,
  });
  const grantsFile = (name: string, grants: unknown): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(grants));
    return file;
  };

  it("--grants adds the grants in force as rows: per route covered, time-bounded, under the route's denies", async () => {
    const file = grantsFile("grants.json", [
      record({}),
      // every route of api, as break-glass, for a workload the route's deny names
      record({
        id: "bg-5e6f",
        kind: "break-glass",
        principal: { spiffe: "spiffe://td.example/ns/batch/sa/fixer" },
        service: "api",
        routes: "*",
        methods: "*",
        notBefore: "2026-03-01T09:00:00Z",
      }),
      // not in force: the gateway ignores them, so does reach
      record({ id: "exc-revoked", principal: { group: "everyone" }, status: "revoked" }),
      record({ id: "exc-used-up", principal: { group: "everyone" }, maxUses: 3, uses: 3 }),
    ]);
    const r = await run(reachCommand, SMALL, "--grants", file);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    const bounds = "when not before 2026-03-01T09:00:00.000Z; not after 2026-03-02T09:00:00.000Z";
    const from = (line: string, n: number) => lines.slice(lines.indexOf(line), lines.indexOf(line) + n);
    // The grant's own row, then what the address reaches as part of its e-mail domain, and as the public.
    expect(from("  email:oncall@example.com  (3 routes)", 4)).toEqual([
      "  email:oncall@example.com  (3 routes)",
      `    wiki/admin  POST  via exception:exc-1a2b3c4d  ${bounds}  [audit]`,
      "    wiki/read  GET,HEAD  as email-domain:example.com  via wiki/read/staff  when days mon/tue; hours 08:00-18:00 UTC; country DE, FR  [audit]  unless deny wiki/read/no-contractors",
      "    as public: 1 route (listed under public)",
    ]);
    expect(from("  spiffe://td.example/ns/batch/sa/fixer  (3 routes)", 4)).toEqual([
      "  spiffe://td.example/ns/batch/sa/fixer  (3 routes)",
      `    api/deploy  POST  via break-glass:bg-5e6f  ${bounds}`,
      `    api/health  *  via break-glass:bg-5e6f  ${bounds}`,
      `    api/orders  GET,POST  via break-glass:bg-5e6f  ${bounds}  unless deny api/orders/no-batch`,
    ]);
    expect(r.stdout).not.toContain("group:everyone");
    expect(lines).toContain("  identities                   10");
    const json = JSON.parse((await run(reachCommand, SMALL, "--grants", file, "--format", "json")).stdout) as {
      grants: number;
      summary: { grants: number };
    };
    expect(json.grants).toBe(2);
    expect(json.summary.grants).toBe(13);
  });

  it("--grants naming a service or route the policy lacks, or unreadable: exit 1", async () => {
    const missing = join(dir, "none.json");
    const none = await run(reachCommand, SMALL, "--grants", missing);
    expect(none.stderr).toBe(`--grants ${missing}: ENOENT\n`);
    expect(none.status).toBe(1);
    const file = grantsFile("unknown.json", [record({}), record({ id: "exc-2", routes: ["admin", "nope"] })]);
    const unknownService = await run(reachCommand, HTML, "--grants", file);
    expect(unknownService.stderr).toBe(
      `--grants ${file}: exception exc-1a2b3c4d: no service wiki in the policy; exception exc-2: no service wiki in the policy\n`,
    );
    expect(unknownService.stdout).toBe("");
    expect(unknownService.status).toBe(1);
    const unknownRoute = await run(reachCommand, SMALL, "--grants", file);
    expect(unknownRoute.stderr).toBe(`--grants ${file}: exception exc-2: no route wiki/nope in the policy\n`);
    expect(unknownRoute.stdout).toBe("");
    expect(unknownRoute.status).toBe(1);
  });

  it.each<[string, unknown, string]>([
    ["not a list", {}, "expected a JSON array of grants (ward exceptions list --json)"],
    // the format of the former --exceptions file: a principal string, one route, no notBefore
    [
      "the old exceptions format",
      [
        {
          id: "x",
          principal: "group:sre",
          service: "wiki",
          route: "admin",
          methods: ["POST"],
          notAfter: "2026-03-02T09:00:00Z",
        },
      ],
      "grant 0 needs id, principal, service, notBefore and notAfter",
    ],
    [
      "an instant out of range",
      [record({ notAfter: 1e20 })],
      "grant 0 needs id, principal, service, notBefore and notAfter",
    ],
    [
      "routes not a list",
      [record({ routes: "admin" })],
      'grant 0: kind is exception or break-glass, routes and methods each a list of names or "*"',
    ],
    [
      "an unknown kind",
      [record({ kind: "forever" })],
      'grant 0: kind is exception or break-glass, routes and methods each a list of names or "*"',
    ],
  ])("--grants with %s: exit 1", async (name, content, message) => {
    const file = grantsFile(`bad-${name.replaceAll(" ", "-")}.json`, content);
    const r = await run(reachCommand, SMALL, "--grants", file);
    expect(r.stderr).toBe(`--grants ${file}: ${message}\n`);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
  });

  it("--exceptions is gone: a usage error (exit 2)", async () => {
    expect((await run(reachCommand, SMALL, "--exceptions", join(dir, "none.json"))).status).toBe(2);
  });

  it("--format json: the same data as objects, in the same order", async () => {
    const r = await run(reachCommand, SMALL, "--format", "json");
    const data = JSON.parse(r.stdout) as {
      policy: string;
      policyVersion: string;
      grants: number;
      summary: {
        identities: number;
        averageRoutesPerIdentity: number;
        mostExposedRoutes: { route: string; public: boolean }[];
      };
      identities: {
        principal: string;
        routes: number;
        grants: { route: string; rule: string; overriddenBy: string[] }[];
        inheritedFrom: string[];
      }[];
      routes: { route: string; identities: number; denies: { rule: string }[] }[];
    };
    expect(data.policy).toBe(SMALL);
    expect(data.policyVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(data.grants).toBe(0);
    expect(data.summary.identities).toBe(8);
    // Each identity's own routes and those it inherits: the public route for all but the public itself.
    expect(data.summary.averageRoutesPerIdentity).toBe(2.13);
    expect(data.summary.mostExposedRoutes[0]).toEqual({
      route: "api/health",
      identities: 1,
      public: true,
      anyAuthenticated: false,
      widest: "public",
    });
    expect(data.identities.map((i) => i.principal)).toEqual([
      'claims:{"role":"admin"}',
      "email-domain:example.com",
      "group:sre",
      "public",
      "spiffe://td.example/ns/batch/*",
      "spiffe://td.example/ns/shop/sa/web",
      "token:6553314e6c94380aadb4d5ceabf215e5.access",
      "trust-domain:td.example + email:alice@example.com",
    ]);
    expect(data.identities[4]!.grants.map((g) => [g.route, g.rule, g.overriddenBy])).toEqual([
      ["api/orders", "api/orders/shop", ["api/orders/no-batch"]],
    ]);
    // A bothFactors pair inherits what either side reaches alone: Alice's e-mail domain, and the public. The
    // wider principals are named, their grants listed under them once (not copied into every identity).
    expect(data.identities[7]!.inheritedFrom).toEqual(["email-domain:example.com", "public"]);
    expect(data.identities[7]!.routes).toBe(3);
    expect(data.identities[3]).toMatchObject({ principal: "public", routes: 1, inheritedFrom: [] });
    expect(data.routes.map((x) => `${x.route} ${x.identities} ${x.denies.map((d) => d.rule).join(",")}`)).toEqual([
      "api/deploy 1 ",
      "api/health 1 ",
      "api/orders 2 api/orders/no-batch",
      "wiki/admin 3 wiki/admin/blocked",
      "wiki/read 2 wiki/read/no-contractors",
    ]);
    // stable: the same input gives the same bytes
    expect((await run(reachCommand, SMALL, "--format", "json")).stdout).toBe(r.stdout);
  });

  it("--format html: a self-contained page with an SVG graph, every label present and escaped", async () => {
    const r = await run(reachCommand, HTML, "--format", "html");
    const html = r.stdout;
    expect(r.status).toBe(0);
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
    const svg = /<svg [^>]*>[\s\S]*<\/svg>/.exec(html)?.[0] ?? "";
    expect(svg).not.toBe("");
    for (const label of ["email:o&#39;brien@example.com", "group:&lt;script&gt;", "public"]) {
      expect(svg).toContain(`text-anchor="end">${label}</text>`);
    }
    for (const service of ["board", "status"]) expect(svg).toContain(`>${service}</text>`);
    expect(svg.match(/<line /g)).toHaveLength(3);
    expect(html).not.toContain("<script>");
    expect(html).not.toMatch(/\b(src|href)=/); // no external assets
    expect(wellFormed(html)).toEqual([]);
  });

  it("--out writes the page to a file", async () => {
    const out = join(dir, "reach.html");
    const r = await run(reachCommand, HTML, "--format", "html", "--out", out);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`wrote ${out}\n`);
    expect(readFileSync(out, "utf8").startsWith("<!doctype html>")).toBe(true);
  });

  it.each<[string, string[], number, string]>([
    ["no file", [], 2, "expected one policy FILE\n"],
    ["two files", [SMALL, HTML], 2, "expected one policy FILE\n"],
    ["an unknown format", [SMALL, "--format", "svg"], 2, "--format svg: expected text, json or html\n"],
    ["an unknown option", [SMALL, "--bogus"], 2, "Unknown option '--bogus'"],
    ["an invalid policy", [`${F}/diff-invalid.yaml`], 1, `${F}/diff-invalid.yaml is not a valid policy\n`],
    ["a missing file", [`${F}/missing.yaml`], 1, `cannot read ${F}/missing.yaml: ENOENT\n`],
  ])("%s: its exit status and message", async (_name, args, status, message) => {
    const r = await run(reachCommand, ...args);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(status);
  });
});

/** Open and close tags balance (void elements aside): a cheap well-formedness check without a parser. */
function wellFormed(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const voids = new Set(["meta", "circle", "br", "link"]);
  for (const m of html.replace(/^<!doctype html>/, "").matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose || voids.has(name!)) continue;
    if (!close) stack.push(name!);
    else if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(", ")}`);
  if (/<(?![a-zA-Z/!])/.test(html)) problems.push("a bare <");
  return problems;
}

describe("ward diff", () => {
  it("identical policies: exit 0", async () => {
    const r = await run(diffCommand, OLD, OLD);
    expect(r.stdout).toBe("no access gained: 0 grants lost\n");
    expect(r.status).toBe(0);
  });

  it("a renamed rule is no change: exit 0", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-rename.yaml`);
    expect(r.stdout).toBe("no access gained: 0 grants lost\n");
    expect(r.status).toBe(0);
  });

  it("only losses: exit 0", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-narrow.yaml`);
    expect(r.stdout).toBe(`lost (1):
  - token:88aff8945a9bce23551a7d7b05773f7f.access  grafana/api  POST  by grafana/api/bot
no access gained: 1 grant lost
`);
    expect(r.status).toBe(0);
  });

  it("gains, with changed conditions: exit 4", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-wide.yaml`);
    expect(r.stdout).toBe(`gained (2):
  + email-domain:example.com  grafana/ui  GET,HEAD,POST  by grafana/ui/sre
  + group:sre  grafana/ui  POST  by grafana/ui/sre
changed (1):
  ~ group:sre  grafana/ui  GET,HEAD  (may widen)
      before: grafana/ui/sre when device posture managed
      after:  grafana/ui/sre always
access widened: 2 grants gained, 0 lost
`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(4);
  });

  it("a service switched to audit mode gains no grant but may let anything through: exit 4", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-audit.yaml`);
    expect(r.stdout).toBe(`changed (2):
  ~ token:88aff8945a9bce23551a7d7b05773f7f.access  grafana/api  POST  (may widen)
      before: grafana/api/bot always
      after:  grafana/api/bot always [audit]
  ~ group:sre  grafana/ui  GET,HEAD  (may widen)
      before: grafana/ui/sre when device posture managed
      after:  grafana/ui/sre when device posture managed [audit]
beyond the grants (1, 1 may widen):
  ! mode: grafana: enforce -> audit (every request it serves is forwarded)
access may widen: 2 grants with looser terms, 0 lost
`);
    expect(r.status).toBe(4);
  });

  it("a trust domain bound to a pinned issuer gains no grant, but that CA may now mint its identities: exit 4", async () => {
    const small = readFileSync(SMALL, "utf8");
    const wider = small
      .replace(
        "metadata: { environment: dev, trustDomains: [td.example]",
        "metadata: { environment: dev, trustDomains: [td.example, partner.example]",
      )
      .replace("trustDomains: [td.example] }]", "trustDomains: [td.example, partner.example] }]");
    expect(wider).toContain('{ dn: "CN=Test CA", trustDomains: [td.example, partner.example] }');
    const file = join(dir, "issuer-trust-domain.yaml");
    writeFileSync(file, wider);
    const r = await run(diffCommand, SMALL, file);
    expect(r.stdout).toBe(`beyond the grants (1, 1 may widen):
  ! identity source: + mTLS issuer DN CN=Test CA for trust domain partner.example
access may widen: 1 change beyond the grants, 0 lost
`);
    expect(r.status).toBe(4);
    expect((await run(diffCommand, file, SMALL)).status).toBe(0);
  });

  it("a wildcard host added or the origin pointed elsewhere gains no grant, but widens: exit 4", async () => {
    const old = readFileSync(OLD, "utf8");
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const wildcard = write(
      "wildcard.yaml",
      old.replace("hosts: [grafana.example.com]", 'hosts: [grafana.example.com, "*.example.com"]'),
    );
    const r = await run(diffCommand, OLD, wildcard);
    expect(r.stdout).toBe(`beyond the grants (1, 1 may widen):
  ! host: *.example.com: now served by grafana (was served by no service)
access may widen: 1 change beyond the grants, 0 lost
`);
    expect(r.status).toBe(4);
    // The other way round, hosts no longer served: listed, and no widening.
    const back = await run(diffCommand, wildcard, OLD);
    expect(back.stdout).toBe(`beyond the grants (1, 0 may widen):
  - host: *.example.com: no longer served (was grafana)
no access gained: 0 grants lost
`);
    expect(back.status).toBe(0);
    const origin = write("origin.yaml", old.replace("origin: { tunnel: GRAFANA }", "origin: { tunnel: BILLING }"));
    const json = await run(diffCommand, OLD, origin, "--format", "json");
    expect(JSON.parse(json.stdout)).toMatchObject({
      widened: true,
      summary: { settings: 1, verdict: "access may widen: 1 change beyond the grants, 0 lost" },
      settings: [
        {
          kind: "origin",
          change: "grafana: tunnel GRAFANA -> tunnel BILLING (allowed requests now reach another backend)",
          widens: true,
        },
      ],
    });
    expect(json.status).toBe(4);
  });

  it("a condition added to a grant narrows it: listed as changed, exit 0", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-terms.yaml`);
    expect(r.stdout).toBe(`changed (1):
  ~ group:sre  grafana/ui  GET,HEAD
      before: grafana/ui/sre when device posture managed
      after:  grafana/ui/sre when country CH; device posture managed
no access gained: 0 grants lost
`);
    expect(r.status).toBe(0);
  });

  it("the same condition dropped is looser terms: exit 4", async () => {
    const r = await run(diffCommand, `${F}/diff-terms.yaml`, OLD);
    expect(r.stdout).toContain("access may widen: 1 grant with looser terms, 0 lost");
    expect(r.status).toBe(4);
  });

  it("a grant moved to another principal is one gained and one lost: exit 4", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-swap.yaml`);
    expect(r.stdout).toBe(`gained (1):
  + email:bot-owner@example.com  grafana/api  POST  by grafana/api/bot
lost (1):
  - token:88aff8945a9bce23551a7d7b05773f7f.access  grafana/api  POST  by grafana/api/bot
access widened: 1 grant gained, 1 lost
`);
    expect(r.status).toBe(4);
  });

  it("the other way round, the same change narrows: exit 0", async () => {
    const r = await run(diffCommand, `${F}/diff-wide.yaml`, OLD);
    expect(r.stdout).toBe(`lost (2):
  - email-domain:example.com  grafana/ui  GET,HEAD,POST  by grafana/ui/sre
  - group:sre  grafana/ui  POST  by grafana/ui/sre
changed (1):
  ~ group:sre  grafana/ui  GET,HEAD
      before: grafana/ui/sre always
      after:  grafana/ui/sre when device posture managed
no access gained: 2 grants lost
`);
    expect(r.status).toBe(0);
  });

  it("--format json: gained, lost, changed and the verdict as objects; same exit status", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-swap.yaml`, "--format", "json");
    const data = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(data).toMatchObject({
      old: { file: OLD },
      new: { file: `${F}/diff-swap.yaml` },
      widened: true,
      summary: { gained: 1, lost: 1, changed: 0, verdict: "access widened: 1 grant gained, 1 lost" },
      gained: [
        {
          principal: "email:bot-owner@example.com",
          service: "grafana",
          route: "grafana/api",
          methods: ["POST"],
          rules: ["grafana/api/bot"],
        },
      ],
      lost: [
        {
          principal: "token:88aff8945a9bce23551a7d7b05773f7f.access",
          service: "grafana",
          route: "grafana/api",
          methods: ["POST"],
          rules: ["grafana/api/bot"],
        },
      ],
      changed: [],
    });
    expect(r.status).toBe(4);
  });

  it.each<[string, string[], number, string]>([
    ["an invalid NEW", [OLD, `${F}/diff-invalid.yaml`], 1, `${F}/diff-invalid.yaml is not a valid policy\n`],
    ["an invalid OLD", [`${F}/diff-invalid.yaml`, OLD], 1, `${F}/diff-invalid.yaml is not a valid policy\n`],
    ["a missing file", [OLD, `${F}/missing.yaml`], 1, `cannot read ${F}/missing.yaml: ENOENT\n`],
    ["one file", [OLD], 2, "expected OLD and NEW policy files\n"],
    ["three files", [OLD, OLD, OLD], 2, "expected OLD and NEW policy files\n"],
    ["an html format", [OLD, OLD, "--format", "html"], 2, "--format html: expected text or json\n"],
    ["an unknown option", [OLD, OLD, "--bogus"], 2, "Unknown option '--bogus'"],
  ])("%s: its exit status, nothing on stdout", async (_name, args, status, message) => {
    const r = await run(diffCommand, ...args);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(status);
  });

  it("an invalid policy's issues are printed first", async () => {
    const r = await run(diffCommand, OLD, `${F}/diff-invalid.yaml`);
    expect(
      r.stderr,
    ).toBe(`${F}/diff-invalid.yaml: error[unknown-principal-set] services.grafana.routes[0].rules[0].principals[0]: unknown principal set "sre"
${F}/diff-invalid.yaml is not a valid policy
`);
  });
});
