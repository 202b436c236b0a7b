// ward doctor: the command function with a collecting Io, against the project's own wrangler.toml and
// fixtures in test/fixtures/wrangler that each break one thing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError, EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand, usage } from "../../scripts/commands/doctor.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const FIXTURES = join(ROOT, "test/fixtures/wrangler");
const REAL_CONFIG = join(ROOT, "wrangler.toml");
const DEMO = join(ROOT, "policy/examples/demo.yaml");
// The first call imports wrangler's bundle (over a second); later calls are fast.
const TIMEOUT = 30_000;

const dir = mkdtempSync(join(tmpdir(), "ward-doctor-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demoText = readFileSync(DEMO, "utf8");
/** The demo policy as written for another environment, optionally with the payments service in audit mode. */
function demoFor(environment: string, audit = false): string {
  let text = demoText.replace(/^ {2}environment: dev$/m, `  environment: ${environment}`);
  if (audit)
    text = text.replace(
      "    owner: payments-team@example.com\n",
      "    owner: payments-team@example.com\n    mode: audit\n",
    );
  const file = join(dir, `demo-${environment}${audit ? "-audit" : ""}.yaml`);
  writeFileSync(file, text);
  return file;
}

interface Run {
  status: number;
  out: string[];
  err: string[];
}

async function doctor(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await doctorCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
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

describe("ward doctor: the project's own wrangler.toml", () => {
  for (const env of ["staging", "production"]) {
    it(`passes for ${env} with a policy made for it: no findings at all`, { timeout: TIMEOUT }, async () => {
      const policy = demoFor(env);
      const run = await doctor(
        "--env",
        env,
        "--config",
        REAL_CONFIG,
        "--policy",
        policy,
        "--secrets",
        "ASSERTION_SIGNING_KEYS",
      );
      expect(codes(run)).toEqual([]);
      expect(run.out.at(-1)).toBe(`${REAL_CONFIG} [env.${env}] with ${policy}: ok, 0 warnings`);
      expect(run.status).toBe(EXIT.ok);
    });

    it(`flags the dev demo policy for ${env} (a policy for another environment)`, { timeout: TIMEOUT }, async () => {
      const run = await doctor("--env", env, "--config", REAL_CONFIG, "--policy", DEMO);
      expect(codes(run)).toEqual(["warning[policy-environment-mismatch]"]);
      expect(run.status).toBe(EXIT.ok);
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
      "ASSERTION_SIGNING_KEYS,OTHER",
    );
    expect(run).toEqual({ status: EXIT.ok, out: [`${config} [env.staging] with ${policy}: ok, 0 warnings`], err: [] });
  });

  it("without --secrets and --policy, says what it could not check", { timeout: TIMEOUT }, async () => {
    const run = await doctor("--env", "production", "--config", fixture("good.toml"));
    expect(run.status).toBe(EXIT.ok);
    expect(codes(run)).toEqual([]);
    expect(run.out).toContain(
      "note: secrets cannot be seen offline; to check that ASSERTION_SIGNING_KEYS is set, run `wrangler secret list --env production` and pass the names with --secrets NAME,NAME",
    );
    expect(run.out).toContain("note: no --policy: origins, Access and audit mode were not checked");
  });

  it("warns about a policy written for another environment, naming its Access settings", {
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
      "ASSERTION_SIGNING_KEYS",
    );
    expect(run.status).toBe(EXIT.ok);
    expect(codes(run)).toEqual(["warning[policy-environment-mismatch]"]);
    expect(run.out[0]).toBe(
      `warning[policy-environment-mismatch] ${DEMO} metadata.environment: the policy is for environment "dev", not "production": the production gateway (WARD_ENV "production") refuses to activate it; its Access settings (team domain https://ward-demo.cloudflareaccess.com, 1 AUD tag) are probably dev's, and production's Access tokens would not verify against them`,
    );
    expect(run.out[1]).toMatch(/^ {2}fix: check production's own policy/);
  });

  it("warns about a service in audit mode in production, and not in staging", { timeout: TIMEOUT }, async () => {
    const production = await doctor(
      "--env",
      "production",
      "--config",
      fixture("good.toml"),
      "--policy",
      demoFor("production", true),
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(production.status).toBe(EXIT.ok);
    expect(codes(production)).toEqual(["warning[audit-in-production]"]);
    expect(production.out[0]).toContain(" services.payments.mode: service payments is in audit mode in production");
    const staging = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--policy",
      demoFor("staging", true),
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(codes(staging)).toEqual([]);
  });

  it("warns about a service or route that forwards the client's Authorization header", {
    timeout: TIMEOUT,
  }, async () => {
    const text = demoFor("staging");
    const service = join(dir, "demo-forwards-authorization.yaml");
    writeFileSync(
      service,
      readFileSync(text, "utf8").replace(
        "    owner: payments-team@example.com\n",
        "    owner: payments-team@example.com\n    forwardHeaders: [Authorization, x-tenant]\n",
      ),
    );
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("good.toml"),
      "--policy",
      service,
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(run.status).toBe(EXIT.ok);
    expect(codes(run)).toEqual(["warning[forwards-authorization]"]);
    expect(run.out[0]).toBe(
      `warning[forwards-authorization] ${service} services.payments.forwardHeaders: service payments forwards the client's Authorization header to its origin: whatever credential a caller sends reaches the app`,
    );
    // A header other than Authorization is no finding.
    const other = join(dir, "demo-forwards-tenant.yaml");
    writeFileSync(
      other,
      readFileSync(text, "utf8").replace(
        "    owner: payments-team@example.com\n",
        "    owner: payments-team@example.com\n    forwardHeaders: [x-tenant]\n",
      ),
    );
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
          "ASSERTION_SIGNING_KEYS",
        ),
      ),
    ).toEqual([]);
  });

  it("an error when --secrets lacks the signing keys", { timeout: TIMEOUT }, async () => {
    const run = await doctor("--env", "staging", "--config", fixture("good.toml"), "--secrets", "OTHER");
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[secret-missing]"]);
    expect(run.out.slice(0, 2)).toEqual([
      `error[secret-missing] ${fixture("good.toml")} [env.staging]: secret ASSERTION_SIGNING_KEYS is not among the secrets given with --secrets (OTHER): the gateway would answer 503 to every allowed request`,
      "  fix: wrangler secret put ASSERTION_SIGNING_KEYS --env staging",
    ]);
    expect(run.out.at(-1)).toBe(`${fixture("good.toml")} [env.staging]: 1 error, 0 warnings`);
  });
});

describe("ward doctor: broken configs", () => {
  it("exposed.toml: workers_dev defaulted on (top level and inherited) and preview_urls on", {
    timeout: TIMEOUT,
  }, async () => {
    const config = fixture("exposed.toml");
    const run = await doctor("--env", "staging", "--config", config, "--secrets", "ASSERTION_SIGNING_KEYS");
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
      "ASSERTION_SIGNING_KEYS",
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
    expect(findings[1]).toContain("[env.staging.durable_objects.bindings]: durable_objects: POLICY_CONTROL missing");
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
      "ASSERTION_SIGNING_KEYS",
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
    const policy = join(dir, "demo-public-origin.yaml");
    writeFileSync(
      policy,
      readFileSync(demoFor("production"), "utf8").replace(
        "    origin: { tunnel: WIKI }",
        "    origin: { url: https://wiki.example.net, publicUrl: true }",
      ),
    );
    const run = await doctor(
      "--env",
      "production",
      "--config",
      REAL_CONFIG,
      "--policy",
      policy,
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toContain("error[origin-public]");
    expect(run.out.find((l) => l.startsWith("error[origin-public]"))).toContain(
      "services.wiki names a public origin (https://wiki.example.net)",
    );
  });

  it("origins.toml without a policy: the top level's WIKI is a missing binding", { timeout: TIMEOUT }, async () => {
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("origins.toml"),
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(run.status).toBe(EXIT.failed);
    expect(codes(run)).toEqual(["error[binding-missing]"]);
    expect(run.out[0]).toContain("[env.staging.services]: services: WIKI missing");
  });

  it("secrets.toml: secrets.required is not inherited", { timeout: TIMEOUT }, async () => {
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
    expect(staging.out[2]).toContain("secret UPSTREAM_TOKEN is not among the secrets given with --secrets");

    const production = await doctor(
      "--env",
      "production",
      "--config",
      fixture("secrets.toml"),
      "--secrets",
      "ASSERTION_SIGNING_KEYS,UPSTREAM_TOKEN",
    );
    expect(production.status).toBe(EXIT.ok);
    expect(codes(production)).toEqual(["warning[secret-not-declared]"]);
    expect(production.out[0]).toContain("secrets.required does not name ASSERTION_SIGNING_KEYS, UPSTREAM_TOKEN");
  });

  it("ward-env.toml: WARD_ENV unset is an error, another environment's name a warning", {
    timeout: TIMEOUT,
  }, async () => {
    const staging = await doctor(
      "--env",
      "staging",
      "--config",
      fixture("ward-env.toml"),
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(staging.status).toBe(EXIT.failed);
    expect(codes(staging)).toEqual(["error[ward-env-unset]"]);
    expect(staging.out[1]).toBe('  fix: set `WARD_ENV = "staging"` under [env.staging.vars]');

    const production = await doctor(
      "--env",
      "production",
      "--config",
      fixture("ward-env.toml"),
      "--secrets",
      "ASSERTION_SIGNING_KEYS",
    );
    expect(production.status).toBe(EXIT.ok);
    expect(codes(production)).toEqual(["warning[ward-env-mismatch]"]);
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
