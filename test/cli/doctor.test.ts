// ward doctor: the command function with a collecting Io, against the project's own wrangler.toml, fixtures in
// test/fixtures/wrangler that each break one thing, and variants of the good fixture written per test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError, EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand, usage } from "../../scripts/commands/doctor.ts";
import { readWranglerConfig, tables } from "../../scripts/doctor/config.ts";
import { type DemoIssuers, startDemoIssuers } from "../support/demo-issuers.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const FIXTURES = join(ROOT, "test/fixtures/wrangler");
const REAL_CONFIG = join(ROOT, "wrangler.toml");
const DEMO = join(ROOT, "policy/examples/demo.yaml");
// The first call imports wrangler's bundle (over a second); later calls are fast.
const TIMEOUT = 30_000;
const BOTH_SECRETS = "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK";

const dir = mkdtempSync(join(tmpdir(), "ward-doctor-test-"));
// The demo policy's token issuers, served locally with good keys: doctor fetches them.
let issuers: DemoIssuers;
beforeAll(async () => {
  issuers = await startDemoIssuers();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await issuers?.close();
});

const demoText = readFileSync(DEMO, "utf8");
const DOMAINS: Record<string, string> = { staging: "staging.internal.example.com", production: "internal.example.com" };

/**
 * The demo policy as written for another environment, on that environment's hosts, optionally with the payments
 * service in audit mode, or with other edits.
 */
function demoFor(environment: string, audit = false, edits: [string, string][] = []): string {
  let text = demoText
    .replace(/^ {2}environment: dev$/m, `  environment: ${environment}`)
    .replaceAll(".localhost]", `.${DOMAINS[environment] ?? "example.com"}]`);
  if (audit)
    text = text.replace(
      "    owner: payments-team@example.com\n",
      "    owner: payments-team@example.com\n    mode: audit\n",
    );
  for (const [from, to] of edits) {
    expect(text, from).toContain(from);
    text = text.replace(from, to);
  }
  const file = join(dir, `demo-${environment}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** good.toml with edits (each must apply), written to the scratch directory. */
const goodWith = (name: string, edits: [string, string][]): string => goodTomlWith(dir, edits, name);

interface Run {
  status: number;
  out: string[];
  err: string[];
}

async function doctor(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await doctorCommand(
    args,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { fetch: issuers.fetch },
  );
  return { status, out, err };
}

async function doctorFails(...args: string[]): Promise<CliError> {
  const error = await doctor(...args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** The finding codes, in output order, as `severity[code]`. */
function codes(run: Run): string[] {
  return run.out.flatMap((line) => /^((?:error|warning)\[[a-z-]+\]) /.exec(line)?.[1] ?? []);
}

function finding(run: Run, code: string): string {
  const line = run.out.find((l) => l.includes(`[${code}] `));
  expect(line, `${code} in\n${run.out.join("\n")}`).toBeDefined();
  return line!;
}

describe("ward doctor: the project's own wrangler.toml and policies", () => {
  for (const env of ["staging", "production"]) {
    it(`fails for ${env} (exit 1) and names every placeholder, in the config and in policy/${env}.yaml`, {
      timeout: TIMEOUT,
    }, async () => {
      const run = await doctor("--env", env, "--config", REAL_CONFIG, "--secrets", BOTH_SECRETS);
      expect(run.status).toBe(EXIT.failed);
      // Nothing but placeholders is wrong with the committed files.
      expect(new Set(codes(run))).toEqual(new Set(["error[id-placeholder]", "error[policy-placeholder]"]));
      const errors = run.out.filter((l) => l.startsWith("error["));
      // Every id of the environment's KV namespaces and VPC services, as wrangler reads them.
      const raw = (await readWranglerConfig(REAL_CONFIG)).environments[env]!;
      const ids = [
        ...tables(raw.kv_namespaces).map((t) => t.id),
        ...tables(raw.vpc_services).map((t) => t.service_id),
      ] as string[];
      expect(ids.length).toBe(4);
      // And every value the policy marks as a placeholder.
      const policy = readFileSync(join(ROOT, "policy", `${env}.yaml`), "utf8");
      const marked = [...policy.matchAll(/^\s*(?:-\s*)?(?:[a-zA-Z]+:\s*)?"?([^"\s#]+)"?\s*# placeholder/gm)].map(
        (m) => m[1]!,
      );
      expect(marked.length).toBe(7);
      for (const id of [...ids, ...marked])
        expect(
          errors.some((l) => l.includes(id)),
          id,
        ).toBe(true);
      expect(errors.length).toBe(ids.length + marked.length);
      expect(run.out.at(-1)).toBe(
        `${REAL_CONFIG} [env.${env}] with ${join(ROOT, "policy", `${env}.yaml`)}: 11 errors, 0 warnings`,
      );
    });
  }
});

describe("ward doctor: a good config", () => {
  it("reports nothing for staging with staging's policy and its secrets", { timeout: TIMEOUT }, async () => {
    const policy = demoFor("staging");
    const config = fixture("good.toml");
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      config,
      "--policy",
      policy,
      "--secrets",
      `${BOTH_SECRETS},OTHER`,
    );
    expect(run.out.filter((l) => !l.startsWith("note: VPC"))).toEqual([
      `${config} [env.staging] with ${policy}: ok, 0 warnings`,
    ]);
    expect(run.status).toBe(EXIT.ok);
  });

  it("without --secrets and --policy, says what it could not check", { timeout: TIMEOUT }, async () => {
    const run = await doctor("--env", "production", "--config", fixture("good.toml"));
    expect(run.status).toBe(EXIT.ok);
    expect(codes(run)).toEqual([]);
    expect(run.out).toContain(
      "note: secrets cannot be seen offline; to check that ASSERTION_SIGNING_KEYS, NOTIFY_WEBHOOK are set, pipe `npx wrangler secret list --env production` into doctor with --secret-list - (or pass the names with --secrets NAME,NAME)",
    );
    expect(run.out).toContain(
      "note: VPC services' ports cannot be seen offline; to check that each sends https:// to the port where its origin serves HTTPS, save `npx wrangler vpc service get ID` for each (3c9e7a1f-5b2d-4f80-8a64-e1c3b9d7f205, b6d2f8a4-1e9c-4a37-b5f0-7c3e9a1d6b82, e4a1c7f3-8d6b-4e29-a0c5-9f2b7d3e1a46) in a file and pass it with --vpc-services FILE",
    );
    expect(run.out).toContain(
      `note: no policy (no --policy, no ${join(FIXTURES, "policy/production.yaml")}): origins, Access and audit mode were not checked`,
    );
  });

  it("a policy written for another environment is an error, naming its Access settings", {
    timeout: TIMEOUT,
  }, async () => {
    const run = await doctor(
      "--env",
      "production",
      "--config",
      fixture("good.toml"),
      "--policy",
      DEMO,
      "--secrets",
      BOTH_SECRETS,
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run).filter((c) => c !== "error[host-not-routed]")).toEqual(["error[policy-environment-mismatch]"]);
    expect(finding(run, "policy-environment-mismatch")).toBe(
      `error[policy-environment-mismatch] ${DEMO} metadata.environment: the policy is for environment "dev", not "production": the production gateway (WARD_ENV "production") refuses to activate it; its Access settings (team domain https://ward-demo.cloudflareaccess.com, 1 AUD tag) are probably dev's, and production's Access tokens would not verify against them`,
    );
  });

  it("a policy without admin is an error: the gateway refuses to activate it", { timeout: TIMEOUT }, async () => {
    const policy = demoFor("staging", false, [["admin:\n  principals: [{ group: ward-admins }]\n", ""]]);
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--policy",
      policy,
      "--secrets",
      BOTH_SECRETS,
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[policy-no-admin]"]);
    expect(finding(run, "policy-no-admin")).toContain("the staging gateway refuses to activate it");
  });

  it("audit mode is an error where WARD_PRODUCTION marks the environment, whatever its name", {
    timeout: TIMEOUT,
  }, async () => {
    const production = await doctor(
      "--env",
      "production",
      "--config",
      fixture("good.toml"),
      "--policy",
      demoFor("production", true),
      "--secrets",
      BOTH_SECRETS,
    );
    expect(production.status).toBe(EXIT.failed);
    expect(codes(production)).toEqual(["error[audit-in-production]"]);
    expect(finding(production, "audit-in-production")).toContain(
      " services.payments.mode: service payments is in audit mode in production, which is marked production (WARD_PRODUCTION)",
    );
    const staging = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--policy",
      demoFor("staging", true),
      "--secrets",
      BOTH_SECRETS,
    );
    expect(codes(staging)).toEqual([]);
    // The name says nothing: "production" unmarked is not held to it, "staging" marked is.
    const swapped = goodWith("swapped-production", [
      ['WARD_PRODUCTION = "true"\n', ""],
      ['ASSERTION_ISSUER = "ward-staging"\n', 'ASSERTION_ISSUER = "ward-staging"\nWARD_PRODUCTION = "true"\n'],
    ]);
    const unmarked = await doctor(
      "--env",
      "production",
      "--config",
      swapped,
      "--policy",
      demoFor("production", true),
      "--secrets",
      BOTH_SECRETS,
    );
    // Not doctor's error; validation's warning about a policy for "production" in audit mode is still shown.
    expect(codes(unmarked)).toEqual(["warning[policy-warning]"]);
    expect(unmarked.status).toBe(EXIT.ok);
    const marked = await doctor(
      "--env",
      "staging",
      "--config",
      swapped,
      "--policy",
      demoFor("staging", true),
      "--secrets",
      BOTH_SECRETS,
    );
    expect(codes(marked)).toEqual(["error[audit-in-production]"]);
  });

  it("warns about a service or route that forwards the client's Authorization header", {
    timeout: TIMEOUT,
  }, async () => {
    const service = demoFor("staging", false, [
      [
        "    owner: payments-team@example.com\n",
        "    owner: payments-team@example.com\n    forwardHeaders: [Authorization, x-tenant]\n",
      ],
    ]);
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--policy",
      service,
      "--secrets",
      BOTH_SECRETS,
    );
    expect(run.status).toBe(EXIT.ok);
    expect(codes(run)).toEqual(["warning[forwards-authorization]"]);
    expect(run.out[0]).toBe(
      `warning[forwards-authorization] ${service} services.payments.forwardHeaders: service payments forwards the client's Authorization header to its origin: whatever credential a caller sends reaches the app`,
    );
    // A header other than Authorization is no finding.
    const other = demoFor("staging", false, [
      [
        "    owner: payments-team@example.com\n",
        "    owner: payments-team@example.com\n    forwardHeaders: [x-tenant]\n",
      ],
    ]);
    expect(
      codes(
        await doctor(
          "--env",
          "staging",
          "--config",
          fixture("good.toml"),
          "--policy",
          other,
          "--secrets",
          BOTH_SECRETS,
        ),
      ),
    ).toEqual([]);
  });

  it("warns about a WebSocket route whose origin is a Workers VPC service, not about other routes", {
    timeout: TIMEOUT,
  }, async () => {
    const live = "      - id: read\n        methods: [GET, HEAD]\n        pathPrefix: /\n";
    const policy = demoFor("staging", false, [
      [
        live,
        `      - id: live\n        methods: [GET]\n        path: /live\n        websocket: true\n        rules: [{ effect: allow, principals: [{ emailDomain: example.com }] }]\n${live}`,
      ],
    ]);
    const args = ["--env", "staging", "--config", fixture("good.toml"), "--secrets", BOTH_SECRETS];
    const run = await doctor(...args, "--policy", policy);
    expect(run.status).toBe(EXIT.ok);
    expect(codes(run)).toEqual(["warning[websocket-over-vpc]"]);
    expect(run.out[0]).toContain(`${policy} services.wiki.routes (live) websocket: service wiki lets a route upgrade`);
    expect(run.out[0]).toContain("Cloudflare does not document that VPC services carry upgrades");
    // websocket: false, or no websocket at all, is no finding.
    const off = demoFor("staging", false, [
      [
        live,
        `      - id: live\n        methods: [GET]\n        path: /live\n        websocket: false\n        rules: [{ effect: allow, principals: [{ emailDomain: example.com }] }]\n${live}`,
      ],
    ]);
    expect(codes(await doctor(...args, "--policy", off))).toEqual([]);
  });

  it("an error for each needed secret --secrets lacks", { timeout: TIMEOUT }, async () => {
    const run = await doctor("--env", "staging", "--config", fixture("good.toml"), "--secrets", "OTHER");
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[secret-missing]", "error[secret-missing]"]);
    expect(run.out.slice(0, 2)).toEqual([
      `error[secret-missing] ${fixture("good.toml")} [env.staging]: secret ASSERTION_SIGNING_KEYS is not among the secrets given (OTHER): the gateway would answer 503 to every allowed request`,
      "  fix: wrangler secret put ASSERTION_SIGNING_KEYS --env staging",
    ]);
    expect(run.out[2]).toContain("secret NOTIFY_WEBHOOK is not among the secrets given");
  });
});

describe("ward doctor --secret-list: what wrangler secret list printed", () => {
  // As wrangler 4 prints it (JSON.stringify of the API's list, two-space indent), optionally after a warning.
  const listed = (...names: string[]) =>
    JSON.stringify(
      names.map((name) => ({ name, type: "secret_text" })),
      null,
      "  ",
    );
  async function withStdin(stdin: string, ...args: string[]): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const status = await doctorCommand(
      args,
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { fetch: issuers.fetch, readStdin: async () => stdin },
    );
    return { status, out, err };
  }
  const good = ["--env", "staging", "--config", fixture("good.toml")];

  it("piped in: the names it lists are the secrets set", { timeout: TIMEOUT }, async () => {
    const run = await withStdin(listed("NOTIFY_WEBHOOK", "ASSERTION_SIGNING_KEYS"), ...good, "--secret-list", "-");
    expect(codes(run)).toEqual([]);
    expect(run.out.some((l) => l.startsWith("note: secrets"))).toBe(false);
    expect(run.status).toBe(EXIT.ok);
    const missing = await withStdin(listed("OTHER"), ...good, "--secret-list", "-");
    expect(codes(missing)).toEqual(["error[secret-missing]", "error[secret-missing]"]);
    expect(missing.out[0]).toContain("secret ASSERTION_SIGNING_KEYS is not among the secrets given (OTHER)");
    expect(missing.status).toBe(EXIT.failed);
  });

  it("saved to a file, with a warning wrangler wrote before the list; an empty list", {
    timeout: TIMEOUT,
  }, async () => {
    const file = join(dir, "secrets.json");
    writeFileSync(
      file,
      `\u25B2 [WARNING] Multiple environments are defined in the Wrangler configuration file\n\n${listed("ASSERTION_SIGNING_KEYS")}\n`,
    );
    const run = await doctor(...good, "--secret-list", file);
    expect(codes(run)).toEqual(["error[secret-missing]"]);
    expect(run.out[0]).toContain("secret NOTIFY_WEBHOOK is not among the secrets given (ASSERTION_SIGNING_KEYS)");
    writeFileSync(file, "\u25B2 [WARNING] something\n[]\n");
    const none = await doctor(...good, "--secret-list", file);
    expect(codes(none)).toEqual(["error[secret-missing]", "error[secret-missing]"]);
    expect(none.out[0]).toContain("is not among the secrets given (none)");
  });

  it("refuses what is not such a list, an unreadable file, and both flags at once", { timeout: TIMEOUT }, async () => {
    for (const text of ["Secret Name: ASSERTION_SIGNING_KEYS\n", '[{"type":"secret_text"}]', '{"name":"A"}', ""]) {
      const error = await withStdin(text, ...good, "--secret-list", "-").then(
        () => undefined,
        (e: unknown) => e as CliError,
      );
      expect(error, text).toBeInstanceOf(CliError);
      expect(error!.message).toContain("standard input: not what `wrangler secret list` prints as JSON");
      expect(error!.exitCode).toBe(EXIT.failed);
    }
    const unreadable = await doctorFails(...good, "--secret-list", join(dir, "absent.json"));
    expect(unreadable.message).toBe(`cannot read ${join(dir, "absent.json")}: ENOENT`);
    const both = await doctorFails(...good, "--secret-list", "-", "--secrets", BOTH_SECRETS);
    expect(both.message).toContain("give the secrets' names with --secrets or --secret-list, not both");
  });
});

describe("ward doctor: what would fail once deployed", () => {
  it("placeholder, malformed and missing ids are errors, each with the command that gives the real one", {
    timeout: TIMEOUT,
  }, async () => {
    const config = goodWith("placeholders", [
      ['id = "9f3a6c1e2b7d4085a1c3e5f70b2d4e6f"', 'id = "00000000000000000000000000000001"'],
      ['service_id = "d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64"', 'service_id = "payments"'],
      ['service_id = "5e8c2f4a-9b1d-4e73-a6c0-2d7f8b1e3c95"\n', ""],
    ]);
    const run = await doctor("--env", "staging", "--config", config, "--secrets", BOTH_SECRETS);
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[id-placeholder]", "error[id-placeholder]", "error[id-missing]"]);
    expect(run.out.slice(0, 2)).toEqual([
      `error[id-placeholder] ${config} [env.staging.kv_namespaces]: POLICY: the namespace id "00000000000000000000000000000001" is a placeholder: the deploy would fail, or bind a namespace that is not this environment's`,
      "  fix: npx wrangler kv namespace create ward-policy --env staging, then npm run ward -- init --env staging --kv-id <the id it prints>",
    ]);
    expect(run.out[2]).toContain('PAYMENTS_API: the service_id "payments" is not a VPC service id (a UUID)');
    expect(run.out[3]).toBe(
      "  fix: npx wrangler vpc service create ward-staging-payments-api --type http --tunnel-id <tunnel id> --hostname <origin host> --https-port <origin's HTTPS port> --cert-verification-mode verify_full, then npm run ward -- init --env staging --vpc-service PAYMENTS_API=<the id it prints>",
    );
    expect(run.out[4]).toContain("ORDERS_API: the service_id is missing: the gateway could not reach this origin");
  });

  it("two origins on one VPC service are an error", { timeout: TIMEOUT }, async () => {
    const config = goodWith("shared-vpc", [
      ['service_id = "5e8c2f4a-9b1d-4e73-a6c0-2d7f8b1e3c95"', 'service_id = "d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64"'],
    ]);
    const run = await doctor("--env", "staging", "--config", config, "--secrets", BOTH_SECRETS);
    expect(codes(run)).toEqual(["error[vpc-service-shared]"]);
    expect(finding(run, "vpc-service-shared")).toContain(
      "ORDERS_API and PAYMENTS_API name the same VPC service d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64",
    );
  });

  it("--vpc-services: an HTTP-only service, a tcp one and an unverified one, read from wrangler's output", {
    timeout: TIMEOUT,
  }, async () => {
    const described = join(dir, "vpc-services.txt");
    writeFileSync(
      described,
      [
        "🔍 Getting VPC service 'd3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64'",
        "✅ Retrieved VPC service: d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64",
        "   Name: ward-staging-payments-api",
        "   Type: http",
        "   HTTP Port: 8080",
        "   Hostname: payments.internal",
        "   Tunnel ID: 6f2c0a4e-1b7d-4c39-9d8e-2a6f0c1e5b74",
        "✅ Created VPC service: 5e8c2f4a-9b1d-4e73-a6c0-2d7f8b1e3c95",
        "   Name: ward-staging-orders-api",
        "   Type: http",
        "   HTTPS Port: 8443",
        "   Cert Verification Mode: disabled",
        "   Hostname: orders.internal",
        "",
      ].join("\n"),
    );
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--secrets",
      BOTH_SECRETS,
      "--vpc-services",
      described,
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual([
      "error[vpc-service-scheme]",
      "warning[vpc-service-tls-unverified]",
      "warning[vpc-service-unlisted]",
    ]);
    expect(run.out[0]).toContain(
      "PAYMENTS_API: VPC service d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64 has an HTTP port (8080) and no HTTPS port: Ward fetches https://, which this service sends to port 443 (the default), not to 8080",
    );
    expect(run.out[1]).toBe(
      "  fix: serve HTTPS on the origin and set that port (if it is 443, say so): npx wrangler vpc service update d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64 --name ward-staging-payments-api --type http --tunnel-id 6f2c0a4e-1b7d-4c39-9d8e-2a6f0c1e5b74 --hostname payments.internal --https-port <the port where the origin serves HTTPS>",
    );
    expect(run.out[2]).toContain(
      "ORDERS_API: VPC service 5e8c2f4a-9b1d-4e73-a6c0-2d7f8b1e3c95 does not verify the origin's certificate",
    );
    expect(run.out[4]).toContain(
      "WIKI: VPC service a7f0c3e9-2d5b-4c81-9e46-b3d1f7a2c068 is not in the --vpc-services file",
    );
    expect(run.out.some((l) => l.startsWith("note: VPC"))).toBe(false);

    writeFileSync(
      described,
      "✅ Retrieved VPC service: d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64\n   Type: tcp\n   TCP Port: 5432\n",
    );
    const tcp = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--secrets",
      BOTH_SECRETS,
      "--vpc-services",
      described,
    );
    expect(finding(tcp, "vpc-service-scheme")).toContain("is of type tcp: Ward forwards HTTP requests");

    writeFileSync(described, "nothing\n");
    const empty = await doctorFails("--env", "staging", "--config", fixture("good.toml"), "--vpc-services", described);
    expect(empty.exitCode).toBe(EXIT.failed);
  });

  it("ASSERTION_ISSUER unset, or shared with another environment, is an error", { timeout: TIMEOUT }, async () => {
    const unset = goodWith("issuer-unset", [['ASSERTION_ISSUER = "ward-staging"\n', ""]]);
    const run = await doctor("--env", "staging", "--config", unset, "--secrets", BOTH_SECRETS);
    expect(codes(run)).toEqual(["error[assertion-issuer-unset]"]);
    expect(finding(run, "assertion-issuer-unset")).toContain('staging signs assertions as "ward"');
    const shared = goodWith("issuer-shared", [
      ['ASSERTION_ISSUER = "ward-production"', 'ASSERTION_ISSUER = "ward-staging"'],
    ]);
    for (const env of ["staging", "production"]) {
      const both = await doctor("--env", env, "--config", shared, "--secrets", BOTH_SECRETS);
      expect(codes(both)).toEqual(["error[assertion-issuer-shared]"]);
    }
  });

  it("admins without NOTIFY_WEBHOOK: break-glass would be announced to nobody", { timeout: TIMEOUT }, async () => {
    const undeclared = goodWith("no-webhook", [
      [
        '[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]',
        '[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS"]',
      ],
    ]);
    const policy = demoFor("staging");
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      undeclared,
      "--policy",
      policy,
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[breakglass-webhook-unset]"]);
    expect(run.out[1]).toBe(
      '  fix: add "NOTIFY_WEBHOOK" to [env.staging.secrets] required and run: npx wrangler secret put NOTIFY_WEBHOOK --env staging (a chat webhook URL is a credential: a secret, not a var)',
    );
    // A secret that is set is enough; a policy without admins allows no break-glass. A var announces too, but a
    // webhook URL is a credential: the var is an error of its own (secret-as-var), not this one.
    const asVar = goodWith("webhook-var", [
      [
        '[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]',
        '[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS"]',
      ],
      ['WARD_ENV = "staging"\n', 'WARD_ENV = "staging"\nNOTIFY_WEBHOOK = "https://chat.example.com/hook"\n'],
    ]);
    expect(
      codes(
        await doctor("--env", "staging", "--config", asVar, "--policy", policy, "--secrets", "ASSERTION_SIGNING_KEYS"),
      ),
    ).toEqual(["error[secret-as-var]"]);
    expect(
      codes(await doctor("--env", "staging", "--config", undeclared, "--policy", policy, "--secrets", BOTH_SECRETS)),
    ).toEqual([]);
  });

  it("no routes is an error; a policy host no route covers, a warning", { timeout: TIMEOUT }, async () => {
    const none = goodWith("no-routes", [
      ['routes = [{ pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }]\n', ""],
    ]);
    const run = await doctor("--env", "staging", "--config", none, "--secrets", BOTH_SECRETS);
    expect(codes(run)).toEqual(["error[routes-missing]"]);
    const outside = demoFor("staging", false, [
      ["hosts: [wiki.staging.internal.example.com]", "hosts: [wiki.example.net]"],
    ]);
    const host = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--policy",
      outside,
      "--secrets",
      BOTH_SECRETS,
    );
    // An error (from a walk of the deployment guide: doctor passed a deployment whose host bypassed Ward).
    expect(host.status).toBe(EXIT.failed);
    expect(codes(host)).toEqual(["error[host-not-routed]"]);
    expect(host.out[0]).toContain("services.wiki.hosts: wiki.example.net is covered by no route of staging");
  });
});

describe("ward doctor: broken configs", () => {
  it("exposed.toml: workers_dev defaulted on (top level and inherited) and preview_urls on", {
    timeout: TIMEOUT,
  }, async () => {
    const config = fixture("exposed.toml");
    const run = await doctor("--env", "staging", "--config", config, "--secrets", BOTH_SECRETS);
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual([
      "error[workers-dev-enabled]",
      "error[workers-dev-enabled]",
      "error[preview-urls-enabled]",
    ]);
    expect(run.out[0]).toMatch(
      new RegExp(
        `^error\\[workers-dev-enabled\\] ${config.replace(/[.]/g, "\\.")} \\(top level\\): workers_dev is not set \\(wrangler's default is on\\)`,
      ),
    );
    expect(run.out[1]).toBe("  fix: set `workers_dev = false` at the top level");
    expect(run.out[4]).toMatch(
      /^error\[preview-urls-enabled\] .* \[env\.staging\]: preview_urls is true: staging is served on preview URLs/,
    );
    expect(run.out[5]).toBe("  fix: set `preview_urls = false` under [env.staging]");
    expect(run.out.at(-1)).toBe(`${config} [env.staging]: 3 errors, 0 warnings`);
  });

  it("missing-bindings.toml: the top level's bindings and vars, not repeated", { timeout: TIMEOUT }, async () => {
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("missing-bindings.toml"),
      "--secrets",
      BOTH_SECRETS,
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual([
      "error[binding-missing]",
      "error[binding-missing]",
      "error[binding-missing]",
      "warning[var-missing]",
    ]);
    const findings = run.out.filter((l) => /^(error|warning)\[/.test(l));
    expect(findings[0]).toContain("[env.staging.kv_namespaces]: kv_namespaces: POLICY missing");
    expect(findings[1]).toContain(
      "[env.staging.durable_objects.bindings]: durable_objects: POLICY_CONTROL, GRANTS (the Worker needs it), DENYLIST (the Worker needs it), DENIAL_COUNTER (the Worker needs it), RATE_LIMITER (the Worker needs it), SSF_REPLAY (the Worker needs it) missing",
    );
    expect(findings[2]).toContain(
      "[env.staging.analytics_engine_datasets]: analytics_engine_datasets: DECISIONS missing",
    );
    expect(findings[3]).toContain("[env.staging.vars]: ORIGIN_TIMEOUT_MS set at the top level but not here");
    expect(run.out[1]).toBe(
      "  fix: add [[env.staging.kv_namespaces]] for POLICY, with this environment's own namespace id (wrangler kv namespace create ... --env ENV)",
    );
  });

  it("origins.toml: a service binding is a warning, an unbound origin an error (reported once)", {
    timeout: TIMEOUT,
  }, async () => {
    const policy = demoFor("staging");
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("origins.toml"),
      "--policy",
      policy,
      "--secrets",
      BOTH_SECRETS,
    );
    expect(run.status).toBe(EXIT.failed);
    // WIKI is also a top-level service binding: reported as the unbound origin, not again as binding-missing.
    expect(codes(run)).toEqual(["warning[origin-service-binding]", "error[origin-unbound]"]);
    expect(run.out[0]).toContain(`PAYMENTS_API, the origin of services.payments in ${policy}, is a service binding`);
    expect(run.out[2]).toContain(
      `[env.staging.vpc_services]: no binding WIKI, the origin of services.wiki in ${policy}`,
    );
    expect(run.out[3]).toBe(
      '  fix: add [[env.staging.vpc_services]] binding = "WIKI", service_id = "<the Workers VPC service of its tunnel>", remote = true',
    );
  });

  it("a public origin in the policy is an error: callers can go around Ward", { timeout: TIMEOUT }, async () => {
    const policy = demoFor("production", false, [
      ["    origin: { tunnel: WIKI }", "    origin: { url: https://wiki.example.net, publicUrl: true }"],
    ]);
    const run = await doctor(
      "--env",
      "production",
      "--config",
      fixture("good.toml"),
      "--policy",
      policy,
      "--secrets",
      BOTH_SECRETS,
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[origin-public]"]);
    expect(finding(run, "origin-public")).toContain("services.wiki names a public origin (https://wiki.example.net)");
  });

  it("origins.toml without a policy: the top level's WIKI is a missing binding", { timeout: TIMEOUT }, async () => {
    const run = await doctor("--env", "staging", "--config", fixture("origins.toml"), "--secrets", BOTH_SECRETS);
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[binding-missing]"]);
    expect(run.out[0]).toContain("[env.staging.services]: services: WIKI missing");
  });

  it("secrets.toml: secrets.required is not inherited; the signing keys undeclared are an error", {
    timeout: TIMEOUT,
  }, async () => {
    const staging = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("secrets.toml"),
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(staging.status).toBe(EXIT.failed);
    expect(codes(staging)).toEqual(["warning[secret-not-declared]", "error[secret-missing]"]);
    expect(staging.out[1]).toBe(
      '  fix: add `[env.staging.secrets] required = ["ASSERTION_SIGNING_KEYS", "UPSTREAM_TOKEN"]` and set each: wrangler secret put UPSTREAM_TOKEN --env staging',
    );
    expect(staging.out[2]).toContain("secret UPSTREAM_TOKEN is not among the secrets given");

    const production = await doctor(
      "--env",
      "production",
      "--config",
      fixture("secrets.toml"),
      "--secrets",
      "ASSERTION_SIGNING_KEYS,UPSTREAM_TOKEN",
    );
    expect(production.status).toBe(EXIT.failed);
    expect(codes(production)).toEqual(["error[signing-key-not-declared]", "warning[secret-not-declared]"]);
    expect(production.out[0]).toContain(
      "secrets.required does not name ASSERTION_SIGNING_KEYS (it is not inherited): production could be deployed without the key",
    );
    expect(production.out[2]).toContain("secrets.required does not name UPSTREAM_TOKEN");
  });

  it("ward-env.toml: WARD_ENV unset is an error, another environment's name a warning", {
    timeout: TIMEOUT,
  }, async () => {
    const staging = await doctor("--env", "staging", "--config", fixture("ward-env.toml"), "--secrets", BOTH_SECRETS);
    expect(staging.status).toBe(EXIT.failed);
    // Staging has no vars at all: no WARD_ENV, and no ASSERTION_ISSUER either.
    expect(codes(staging)).toEqual(["error[ward-env-unset]", "error[assertion-issuer-unset]"]);
    expect(staging.out[1]).toBe('  fix: set `WARD_ENV = "staging"` under [env.staging.vars]');

    const production = await doctor(
      "--env",
      "production",
      "--config",
      fixture("ward-env.toml"),
      "--secrets",
      BOTH_SECRETS,
    );
    expect(production.status).toBe(EXIT.failed);
    expect(codes(production)).toEqual(["error[ward-env-mismatch]"]);
  });
});

describe("ward doctor: usage and unreadable input", () => {
  it("an unknown environment is a usage error listing the environments", { timeout: TIMEOUT }, async () => {
    const error = await doctorFails("--env", "prod", "--config", fixture("good.toml"));
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toBe(
      `unknown environment "prod": ${fixture("good.toml")} has [env.staging], [env.production]`,
    );
  });

  it("a config without environments says so", { timeout: TIMEOUT }, async () => {
    const error = await doctorFails("--env", "staging", "--config", fixture("no-environments.toml"));
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toBe(
      `unknown environment "staging": ${fixture("no-environments.toml")} has no [env.NAME] tables`,
    );
  });

  it("--env is required, and no positional arguments are taken", async () => {
    const missing = await doctorFails("--config", fixture("good.toml"));
    expect(missing.exitCode).toBe(EXIT.usage);
    expect(missing.message).toBe(`--env ENV is required\n${usage}`);
    const extra = await doctorFails("--env", "staging", "wrangler.toml");
    expect(extra.exitCode).toBe(EXIT.usage);
    expect(extra.message).toMatch(/^unexpected argument "wrangler.toml"/);
  });

  it("a config that is not TOML, JSON or JSONC is a usage error", async () => {
    const error = await doctorFails("--env", "staging", "--config", DEMO);
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toBe(`${DEMO}: a wrangler config must be .toml, .json or .jsonc`);
  });

  it("invalid TOML and a missing file fail (exit 1) with wrangler's reason", { timeout: TIMEOUT }, async () => {
    const invalid = await doctorFails("--env", "staging", "--config", fixture("invalid.toml"));
    expect(invalid.exitCode).toBe(EXIT.failed);
    expect(invalid.message).toMatch(/^cannot read .*invalid\.toml: Invalid TOML document/);
    const missing = await doctorFails("--env", "staging", "--config", join(dir, "nope.toml"));
    expect(missing.exitCode).toBe(EXIT.failed);
    expect(missing.message).toContain("Could not read file");
  });

  it("an invalid policy fails (exit 1) with its issues on stderr", { timeout: TIMEOUT }, async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "version: 1\nmetadata: { environment: staging, owners: [a@example.com] }\nservices: { x: { hosts: [] } }\n",
    );
    const out: string[] = [];
    const err: string[] = [];
    const error = await doctorCommand(["--env", "staging", "--config", fixture("good.toml"), "--policy", bad], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.failed);
    expect(err.length).toBeGreaterThan(0);
    expect(err.every((l) => l.startsWith(`${bad}: `))).toBe(true);
    expect(out).toEqual([]);
  });
});
