// The CLI as operators run it: `node scripts/ward.ts ...` in a child process, asserting stdout, stderr and
// the exit status (0 ok, 1 failed, 2 usage, 3 denied).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wardProcess as ward } from "../support/ward-cli.ts";

const DEMO = "policy/examples/demo.yaml";
// Each case spawns the CLI several times (a Node process each): seconds apart on a loaded machine, not a bound.
const TIMEOUT = 90_000;

const dir = mkdtempSync(join(tmpdir(), "ward-cli-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const GOOD = fixture(
  "good.yaml",
  `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://example.cloudflareaccess.com
    audiences: ["${"d".repeat(64)}"]
services:
  wiki:
    hosts: [wiki.example.com]
    origin: { tunnel: WIKI }
    owner: wiki-team@example.com
    routes:
      - id: read
        methods: [GET]
        pathPrefix: /
        rules:
          - id: employees
            effect: allow
            principals: [{ emailDomain: example.com }]
      - id: night-edit
        methods: [POST]
        path: /edit
        rules:
          - id: night-editors
            effect: allow
            principals: [{ group: editors }]
            when: { time: { hours: { from: "22:00", to: "06:00" } } }
`,
);

const WARNINGS_ONLY = fixture(
  "warnings.yaml",
  readFileSync(GOOD, "utf8")
    .replace("environment: dev", "environment: production")
    .replace("owner: wiki-team@example.com", "owner: wiki-team@example.com\n    mode: audit"),
);

const BAD = fixture(
  "bad.yaml",
  `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://example.cloudflareaccess.com
    audiences: ["${"d".repeat(64)}"]
principalSets:
  checkout: [{ email: checkout@example.com }]
services:
  payments:
    hosts: [Payments.example.com]
    origin: { tunel: PAYMENTS_API }
    owner: payments-team@example.com
    routes:
      - id: charge
        methods: [POST]
        path: /v1/charge
        rules:
          - id: checkout
            effect: allow
            principals: [{ set: chekout }]
`,
);

const BAD_REFERENCE = fixture(
  "bad-reference.yaml",
  readFileSync(GOOD, "utf8").replace("[{ group: editors }]", "[{ set: editors }]"),
);
const BAD_SYNTAX = fixture("bad-syntax.yaml", "version: 1\nmetadata: [\n");

describe("ward validate", () => {
  it.each([DEMO, "policy/examples/payments-checkout.yaml", GOOD])(
    "%s: valid, exit 0",
    (file) => {
      const run = ward("validate", file);
      expect(run.stdout).toBe(`${file}: valid (0 warnings)\n`);
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "warnings are printed but exit 0",
    () => {
      const run = ward("validate", WARNINGS_ONLY);
      expect(run.stdout).toContain(`${WARNINGS_ONLY}: warning[audit-in-production] services.wiki.mode: `);
      expect(run.stdout).toContain(`${WARNINGS_ONLY}: valid (1 warning)\n`);
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "schema errors: one `file: severity[code] path: message (hint)` line each, exit 1",
    () => {
      const run = ward("validate", BAD);
      expect(run.stdout.trimEnd().split("\n")).toEqual([
        `${BAD}: error[invalid-format] services.payments.hosts[0]: must be a lower-case host name without port or trailing dot; '*.' may lead`,
        `${BAD}: error[invalid-value] services.payments.origin: origin must be { tunnel: BINDING } (or { url, publicUrl: true }) (unknown field "tunel": did you mean "tunnel"?)`,
        `${BAD}: 2 errors, 0 warnings`,
      ]);
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "reference errors carry the did-you-mean hint, exit 1",
    () => {
      const run = ward("validate", BAD_REFERENCE);
      expect(run.stdout).toContain(
        `${BAD_REFERENCE}: error[unknown-principal-set] services.wiki.routes[1].rules[0].principals[0]: unknown principal set "editors"`,
      );
      expect(run.stdout).toContain(`${BAD_REFERENCE}: 1 error, 0 warnings\n`);
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "a syntax error is an issue at (document), exit 1",
    () => {
      const run = ward("validate", BAD_SYNTAX);
      expect(run.stdout).toMatch(
        new RegExp(
          `^${BAD_SYNTAX.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: error\\[invalid-syntax\\] \\(document\\): .+$`,
          "m",
        ),
      );
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "--json prints ok and the issues",
    () => {
      const run = ward("validate", BAD, "--json");
      const parsed = JSON.parse(run.stdout) as {
        ok: boolean;
        issues: { code: string; path: string; severity: string }[];
      };
      expect(parsed.ok).toBe(false);
      expect(parsed.issues.map((i) => i.code)).toEqual(["invalid-format", "invalid-value"]);
      expect(parsed.issues[1]).toMatchObject({ severity: "error", path: "services.payments.origin" });
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "an unreadable file: exit 1 with the reason",
    () => {
      const run = ward("validate", join(dir, "missing.yaml"));
      expect(run.stderr).toContain(`ward validate: cannot read ${join(dir, "missing.yaml")}: ENOENT`);
      expect(run.stdout).toBe("");
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );
});

describe("ward explain", () => {
  it(
    "allow: explanation on stdout, exit 0",
    () => {
      const run = ward("explain", DEMO, "--as", "anonymous", "GET", "http://payments.localhost/healthz");
      expect(run.stdout).toMatch(/^ALLOW 200 {2}mode enforce /);
      expect(run.stdout).toContain("route     payments/health\n");
      expect(run.stdout).toContain("decided by payments/health/anyone\n");
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "--header: names the request headers the origin would not be sent (JSON too)",
    () => {
      const run = ward(
        "explain",
        DEMO,
        "--as",
        "anonymous",
        "GET",
        "http://payments.localhost/healthz",
        "-H",
        "Accept: text/plain",
        "--header",
        "X-User-Email: ceo@example.com",
      );
      expect(run.stdout).toContain("dropped   x-user-email (not forwarded");
      expect(run.stdout).not.toContain("ceo@example.com");
      expect(run.status).toBe(0);
      const json = ward(
        "explain",
        DEMO,
        "--as",
        "anonymous",
        "GET",
        "http://payments.localhost/healthz",
        "-H",
        "Authorization: Basic eA==",
        "--json",
      );
      expect(JSON.parse(json.stdout).headers).toEqual({ extra: [], dropped: ["authorization"] });
      const bad = ward(
        "explain",
        DEMO,
        "--as",
        "anonymous",
        "GET",
        "http://payments.localhost/healthz",
        "-H",
        "no-colon",
      );
      expect(bad.stderr).toContain("--header no-colon: expected 'NAME: value'");
      expect(bad.status).toBe(2);
    },
    TIMEOUT,
  );

  it(
    "deny: explanation with the next step, exit 3",
    () => {
      const run = ward(
        "explain",
        DEMO,
        "--as",
        "spiffe://demo.ward.internal/ns/shop/sa/checkout",
        "POST",
        "http://payments.localhost/v1/charge",
      );
      expect(run.stdout).toMatch(/^DENY 404 /);
      expect(run.stdout).toContain("      - missing scope payments:charge\n");
      expect(run.stdout).toContain(
        "next step get a token that carries scope payments:charge from your token issuer (rule payments/charge/checkout-charges requires it)",
      );
      expect(run.status).toBe(3);
    },
    TIMEOUT,
  );

  it(
    "flags build the identity: scope turns the same request into an allow",
    () => {
      const run = ward(
        "explain",
        DEMO,
        "--workload",
        "spiffe://demo.ward.internal/ns/shop/sa/checkout",
        "--scope",
        "payments:charge",
        "POST",
        "http://payments.localhost/v1/charge",
      );
      expect(run.stdout).toMatch(/^ALLOW 200 /);
      expect(run.stdout).toContain(
        'rate limit 100 per 60s on "workload:spiffe://demo.ward.internal/ns/shop/sa/checkout", counted across service payments',
      );
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it.each([
    ["2026-03-02T23:30:00Z", 0, "ALLOW"],
    ["2026-03-02T12:00:00Z", 3, "DENY"],
  ])(
    "--time %s decides time windows (exit %i)",
    (time, status, verdict) => {
      const run = ward(
        "explain",
        GOOD,
        "--email",
        "ed@example.com",
        "--group",
        "editors",
        "--time",
        time,
        "POST",
        "https://wiki.example.com/edit",
      );
      expect(run.stdout.startsWith(verdict)).toBe(true);
      expect(run.status).toBe(status);
    },
    TIMEOUT,
  );

  it(
    "--json prints the Decision",
    () => {
      const run = ward("explain", DEMO, "--as", "alice@example.com", "GET", "http://wiki.localhost/handbook", "--json");
      const decision = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(decision).toMatchObject({
        effect: "allow",
        status: 200,
        reasons: ["allowed-by-rule"],
        route: "wiki/read",
        rule: "wiki/read/employees-read",
        principal: "user:alice@example.com",
      });
      expect(decision.policyVersion).toMatch(/^[0-9a-f]{64}$/);
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "--json on a deny still prints the Decision, exit 3",
    () => {
      const run = ward("explain", DEMO, "--as", "bob@other.com", "GET", "http://wiki.localhost/handbook", "--json");
      const decision = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(decision).toMatchObject({
        effect: "deny",
        status: 403,
        reasons: ["no-matching-rule"],
        route: "wiki/read",
      });
      expect(decision.rule).toBeUndefined();
      expect(run.status).toBe(3);
    },
    TIMEOUT,
  );

  it(
    "an ambiguous URL is explained as a bad request, not normalised",
    () => {
      const run = ward("explain", DEMO, "--as", "anonymous", "GET", "http://wiki.localhost/a/../admin");
      expect(run.stdout).toMatch(/^DENY 400 /);
      expect(run.stdout).toContain("problem   path-dot-segment");
      expect(run.status).toBe(3);
    },
    TIMEOUT,
  );

  it(
    "the query is read for a method override, as the gateway reads it",
    () => {
      const allowed = ward(
        "explain",
        DEMO,
        "--workload",
        "spiffe://demo.ward.internal/ns/shop/sa/checkout",
        "--scope",
        "payments:charge",
        "POST",
        "http://payments.localhost/v1/charge?ref=42#top",
      );
      expect(allowed.stdout).toMatch(/^ALLOW 200 /);
      const run = ward(
        "explain",
        DEMO,
        "--workload",
        "spiffe://demo.ward.internal/ns/shop/sa/checkout",
        "--scope",
        "payments:charge",
        "POST",
        "http://payments.localhost/v1/charge?_method=DELETE",
      );
      expect(run.stdout).toMatch(/^DENY 400 /);
      expect(run.stdout).toContain("problem   query-method-override");
      expect(run.stdout).toContain("next step send the real method, without a _method query parameter");
      expect(run.status).toBe(3);
    },
    TIMEOUT,
  );

  it(
    "an invalid policy: issues on stderr, exit 1",
    () => {
      const run = ward("explain", BAD, "--as", "anonymous", "GET", "http://payments.example.com/");
      expect(run.stderr).toContain(`${BAD}: error[invalid-format] services.payments.hosts[0]: `);
      expect(run.stderr).toContain(`ward explain: ${BAD} is not a valid policy`);
      expect(run.stdout).toBe("");
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );
});

describe("ward schema", () => {
  it(
    "prints the JSON Schema",
    () => {
      const run = ward("schema");
      const schema = JSON.parse(run.stdout) as {
        type: string;
        additionalProperties: boolean;
        properties: Record<string, unknown>;
      };
      expect(schema.type).toBe("object");
      expect(schema.additionalProperties).toBe(false);
      expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["services", "metadata"]));
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "--out writes the same schema to a file",
    () => {
      const out = join(dir, "schema.json");
      const run = ward("schema", "--out", out);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`wrote ${out}\n`);
      expect((JSON.parse(readFileSync(out, "utf8")) as { title: string }).title).toBe("Ward policy");
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );
});

describe("usage", () => {
  it(
    "an unknown command: exit 2 with the usage",
    () => {
      const run = ward("frobnicate");
      expect(run.stderr).toContain('ward: unknown command "frobnicate"');
      expect(run.stderr).toContain("usage: ward <command> [args]");
      expect(run.status).toBe(2);
    },
    TIMEOUT,
  );

  it.each<[string, string[], number]>([
    ["no command", [], 2],
    ["help", ["help"], 0],
    ["--help", ["--help"], 0],
  ])(
    "%s: usage on stdout",
    (_name, args, status) => {
      const run = ward(...args);
      expect(run.stdout).toContain("usage: ward <command> [args]");
      expect(run.stdout).toContain("ward validate FILE");
      expect(run.stderr).toBe("");
      expect(run.status).toBe(status);
    },
    TIMEOUT,
  );

  it.each<[string, string[], string]>([
    ["validate without a file", ["validate"], "ward validate: missing policy file"],
    ["explain without a request", ["explain", DEMO], "ward explain: expected FILE METHOD URL"],
    [
      "an unknown option",
      ["explain", DEMO, "--bogus", "GET", "http://wiki.localhost/"],
      "ward explain: Unknown option '--bogus'",
    ],
    [
      "a caller of no known kind",
      ["explain", DEMO, "--as", "nobody", "GET", "http://wiki.localhost/"],
      "ward explain: --as nobody: expected spiffe://..., an e-mail, token:CLIENT_ID or anonymous",
    ],
    [
      "an e-mail and a service token",
      ["explain", DEMO, "--email", "a@example.com", "--service-token", "ci", "GET", "http://wiki.localhost/"],
      "a person (--email) or a service token, not both",
    ],
    [
      "an e-mail the gateway refuses in a token",
      ["explain", DEMO, "--as", "mallory@evil.io@example.com", "GET", "http://wiki.localhost/"],
      'ward explain: e-mail "mallory@evil.io@example.com": not an address the gateway takes from a token',
    ],
    [
      "a service token the gateway does not read from a token",
      ["explain", DEMO, "--as", "token:ci-bot.access", "GET", "http://wiki.localhost/"],
      'ward explain: service token "ci-bot.access": not a client id the gateway takes from a token',
    ],
    [
      "a group without a person",
      ["explain", DEMO, "--group", "sre", "GET", "http://wiki.localhost/"],
      "--group and --posture describe a person",
    ],
    [
      "a claim without a value",
      ["explain", DEMO, "--as", "a@example.com", "--claim", "dept", "GET", "http://wiki.localhost/"],
      "ward explain: --claim dept: expected NAME=VALUE",
    ],
    [
      "a time that is not ISO-8601",
      ["explain", DEMO, "--time", "yesterday", "GET", "http://wiki.localhost/"],
      "ward explain: --time yesterday: expected an ISO 8601 instant",
    ],
    [
      // Read in the machine's time zone, it would decide UTC conditions by a local hour.
      "a time without an offset",
      ["explain", DEMO, "--time", "2026-03-02T19:00:00", "GET", "http://wiki.localhost/"],
      "ward explain: --time 2026-03-02T19:00:00: give the offset (Z for UTC, or +01:00)",
    ],
    [
      "a URL that is not absolute",
      ["explain", DEMO, "GET", "wiki.localhost/"],
      "ward explain: wiki.localhost/: expected an absolute http(s) URL",
    ],
    ["schema with a positional argument", ["schema", "extra"], "ward schema: Unexpected argument 'extra'"],
    [
      "dev with a remote origin",
      ["dev", "--origin", "WIKI=http://10.0.0.8:80"],
      "ward dev: --origin WIKI=http://10.0.0.8:80: expected BINDING=http://127.0.0.1:PORT",
    ],
    [
      "dev with a key set URL that is not http",
      ["dev", "--access-jwks-url", "file:///etc/keys"],
      "ward dev: --access-jwks-url file:///etc/keys: expected an http(s) URL",
    ],
    ["dev with a port out of range", ["dev", "--port", "70000"], "ward dev: --port 70000: expected 0-65535"],
  ])(
    "%s: exit 2 with a message",
    (_name, args, message) => {
      const run = ward(...args);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe("");
      expect(run.status).toBe(2);
    },
    TIMEOUT,
  );

  it.each<[string, string[], string]>([
    [
      "a team domain that is not Access's",
      ["--access-team-domain", "http://issuer.test"],
      "identity.access.teamDomain",
    ],
    [
      "an audience that is not an AUD tag",
      ["--access-aud", "my-app"],
      "identity.access.audiences[0]: must be an Access AUD tag",
    ],
  ])(
    "dev with %s: exit 1, the override checked like the policy itself, nothing started",
    (_name, args, message) => {
      const run = ward("dev", "--port", "0", ...args);
      expect(run.stderr).toContain(`${DEMO.split("/").pop()} (with --access-* overrides): error`);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe("");
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );
});

describe("ward explain --grants", () => {
  const grants = fixture(
    "grants.json",
    JSON.stringify([
      {
        id: "exc-1a2b3c4d",
        kind: "exception",
        principal: { email: "ann@example.com" },
        service: "wiki",
        routes: ["edit"],
        methods: ["POST"],
        notBefore: "2026-11-23T00:00:00Z",
        notAfter: "2026-11-26T00:00:00Z",
      },
    ]),
  );
  const args = (time: string) => [
    "explain",
    DEMO,
    "--as",
    "ann@example.com",
    "--time",
    time,
    "--grants",
    grants,
    "POST",
    "https://wiki.localhost/page",
  ];

  it(
    "shows the exception that decided, inside its window",
    () => {
      const run = ward(...args("2026-11-25T23:59:59.999Z"));
      expect(run.stdout).toContain(
        "decided by exception exc-1a2b3c4d (2026-11-23T00:00:00.000Z .. 2026-11-26T00:00:00.000Z)\nreasons   allowed-by-exception\n",
      );
      expect(run.status).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "denies at its notAfter (exit 3)",
    () => {
      const run = ward(...args("2026-11-26T00:00:00Z"));
      expect(run.stdout).toContain("reasons   no-matching-rule");
      expect(run.stdout).not.toContain("exc-1a2b3c4d");
      expect(run.status).toBe(3);
    },
    TIMEOUT,
  );

  it.each([
    ["revoked", { status: "revoked" }],
    ["used up", { status: "active", maxUses: 2, uses: 2 }],
  ])(
    "ignores a grant that is %s, as the gateway does (exit 3)",
    (_name, state) => {
      const listed = fixture(
        `grants-${_name.replace(" ", "-")}.json`,
        JSON.stringify([
          {
            id: "exc-1a2b3c4d",
            kind: "exception",
            principal: { email: "ann@example.com" },
            service: "wiki",
            routes: ["edit"],
            methods: ["POST"],
            notBefore: "2026-11-23T00:00:00Z",
            notAfter: "2026-11-26T00:00:00Z",
            ...state,
          },
        ]),
      );
      const run = ward(
        "explain",
        DEMO,
        "--as",
        "ann@example.com",
        "--time",
        "2026-11-25T00:00:00Z",
        "--grants",
        listed,
        "POST",
        "https://wiki.localhost/page",
      );
      expect(run.stdout).toContain("reasons   no-matching-rule");
      expect(run.status).toBe(3);
    },
    TIMEOUT,
  );

  it(
    "refuses a grants file that is not a list of grants",
    () => {
      const run = ward(
        "explain",
        DEMO,
        "--as",
        "ann@example.com",
        "--grants",
        fixture("bad-grants.json", "{}"),
        "POST",
        "https://wiki.localhost/page",
      );
      expect(run.stderr).toContain("expected a JSON array of grants");
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );
});

describe("ward keygen", () => {
  it(
    "prints a private P-256 key set whose kid differs from one run to the next",
    () => {
      const kids = [ward("keygen"), ward("keygen")].map((run) => {
        expect(run.status).toBe(0);
        const [key, ...others] = (JSON.parse(run.stdout) as { keys: Record<string, string>[] }).keys;
        expect(others).toEqual([]);
        expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
        expect(key!.d).toBeTruthy();
        return key!.kid!;
      });
      for (const kid of kids) expect(kid).toMatch(/^\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$/);
      expect(kids[0]).not.toBe(kids[1]);
    },
    TIMEOUT,
  );

  it(
    "--add-to prints the kept set with a new key last, the first step of a rotation; refuses what is no such set",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "ward-keygen-"));
      try {
        const current = join(dir, "keys.json");
        writeFileSync(current, ward("keygen", "--kid", "old").stdout);
        const rotated = ward("keygen", "--add-to", current, "--kid", "new");
        expect(rotated.status).toBe(0);
        const keys = (JSON.parse(rotated.stdout) as { keys: Record<string, string>[] }).keys;
        expect(keys.map((k) => k.kid)).toEqual(["old", "new"]);
        expect(keys[0]).toEqual((JSON.parse(readFileSync(current, "utf8")) as { keys: unknown[] }).keys[0]);
        expect(keys[1]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
        expect(keys[1]!.d).toBeTruthy();
        const again = ward("keygen", "--add-to", current, "--kid", "old");
        expect(again.status).toBe(1);
        expect(again.stderr).toContain("has a key with that kid already");
        writeFileSync(
          current,
          JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", kid: "public-only", x: "a", y: "b" }] }),
        );
        const publicOnly = ward("keygen", "--add-to", current);
        expect(publicOnly.status).toBe(1);
        expect(publicOnly.stderr).toContain("not a set ASSERTION_SIGNING_KEYS holds");
        // Read as the Worker reads the secret: a set with a kid twice would be refused on every request.
        const [key] = (JSON.parse(ward("keygen", "--kid", "twice").stdout) as { keys: unknown[] }).keys;
        writeFileSync(current, JSON.stringify({ keys: [key, key] }));
        const twice = ward("keygen", "--add-to", current, "--kid", "other");
        expect(twice.status).toBe(1);
        expect(twice.stderr).toContain("every assertion key needs its own kid");
        expect(ward("keygen", "--add-to", join(dir, "absent.json")).stderr).toContain("cannot read it: ENOENT");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
