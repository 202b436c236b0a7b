// From a review: doctor read WARD_PRODUCTION as "production" only when it was the string "true". wrangler takes
// `WARD_PRODUCTION = true` (a TOML boolean) as well, and an operator who wrote that, "TRUE" or "yes" evidently
// meant production: doctor let a service in `mode: audit` pass there in silence. And a valid policy's validation
// warnings were dropped, `audit-in-production` (for a policy whose metadata.environment is production) included.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GOOD = join(ROOT, "test/fixtures/wrangler/good.toml");
const TIMEOUT = 30_000;
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-production-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(file, text);
  return file;
}

/** good.toml with production's WARD_PRODUCTION line replaced (or removed, with ""). */
function productionFlag(line: string): string {
  const text = readFileSync(GOOD, "utf8");
  expect(text).toContain('WARD_PRODUCTION = "true"\n');
  return write("config.toml", text.replace('WARD_PRODUCTION = "true"\n', line ? `${line}\n` : ""));
}

/** The demo policy as production's, on production's hosts, with the payments service in audit mode. */
const auditPolicy = write(
  "production.yaml",
  readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8")
    .replace(/^ {2}environment: dev$/m, "  environment: production")
    .replaceAll(".localhost]", ".internal.example.com]")
    .replace("    owner: payments-team@example.com\n", "    owner: payments-team@example.com\n    mode: audit\n"),
);

/** The demo policy as production's, with a deny rule on trial (mode: audit) on the charge route. */
const trialPolicy = write(
  "trial.yaml",
  readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8")
    .replace(/^ {2}environment: dev$/m, "  environment: production")
    .replaceAll(".localhost]", ".internal.example.com]")
    .replace(
      "        rules:\n          - id: checkout-charges\n",
      "        rules:\n          - { id: trial, effect: deny, mode: audit, principals: [{ authenticated: true }] }\n          - id: checkout-charges\n",
    ),
);

async function doctor(config: string, policy = auditPolicy): Promise<{ status: number; out: string[] }> {
  const out: string[] = [];
  const status = await doctorCommand(
    [
      "--env",
      "production",
      "--config",
      config,
      "--policy",
      policy,
      "--secrets",
      "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK",
      "--offline",
    ],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  return { status, out };
}

const codes = (out: string[]) => out.flatMap((l) => /^((?:error|warning)\[[a-z-]+\])/.exec(l)?.[1] ?? []);

describe("ward doctor: what WARD_PRODUCTION says", () => {
  it("the TOML boolean true marks production, as the string does", { timeout: TIMEOUT }, async () => {
    for (const line of ["WARD_PRODUCTION = true", 'WARD_PRODUCTION = "true"']) {
      const run = await doctor(productionFlag(line));
      expect(codes(run.out), line).toEqual(["error[audit-in-production]"]);
      expect(run.status).toBe(EXIT.failed);
    }
  });

  it('"TRUE", "yes", "1", "" and 1 are errors, and the environment is held to production\'s rules', {
    timeout: TIMEOUT,
  }, async () => {
    for (const line of [
      'WARD_PRODUCTION = "TRUE"',
      'WARD_PRODUCTION = "yes"',
      'WARD_PRODUCTION = "1"',
      'WARD_PRODUCTION = ""',
      "WARD_PRODUCTION = 1",
    ]) {
      const run = await doctor(productionFlag(line));
      expect(codes(run.out), line).toEqual(["error[ward-production-invalid]", "error[audit-in-production]"]);
      expect(run.status).toBe(EXIT.failed);
    }
    const config = productionFlag('WARD_PRODUCTION = "yes"');
    const yes = await doctor(config);
    expect(yes.out[0]).toBe(
      `error[ward-production-invalid] ${config} [env.production.vars]: WARD_PRODUCTION is "yes": only "true" (or true) marks an environment production, and only "false" (or false, or no WARD_PRODUCTION) leaves it unmarked, so whether production is meant to be held to production's rules is unclear (doctor holds it to them)`,
    );
    expect(yes.out[1]).toBe(
      '  fix: write `WARD_PRODUCTION = "true"` under [env.production.vars] for production, or remove it',
    );
  });

  it("a deny rule on trial in production: a warning, not doctor's error (trying a deny is a rollout's step)", {
    timeout: TIMEOUT,
  }, async () => {
    expect(readFileSync(trialPolicy, "utf8")).toContain("id: trial, effect: deny, mode: audit");
    const run = await doctor(productionFlag('WARD_PRODUCTION = "true"'), trialPolicy);
    expect(run.out).toContainEqual(
      `warning[policy-warning] ${trialPolicy} services.payments.routes[0].rules[0].mode: audit-in-production: deny rule "trial" is on trial (mode: audit) in production: what it would refuse is forwarded and logged`,
    );
    expect(codes(run.out)).not.toContain("error[audit-in-production]");
  });

  it('unmarked (false, "false" or no var), the policy\'s own audit-in-production warning is shown', {
    timeout: TIMEOUT,
  }, async () => {
    for (const line of ["WARD_PRODUCTION = false", 'WARD_PRODUCTION = "false"', ""]) {
      const run = await doctor(productionFlag(line));
      expect(codes(run.out), line).toEqual(["warning[policy-warning]"]);
      expect(run.out[0]).toBe(
        `warning[policy-warning] ${auditPolicy} services.payments.mode: audit-in-production: service is in audit mode in production: denials are logged, not enforced`,
      );
      expect(run.out.at(-1)).toMatch(/: ok, 1 warning$/);
      expect(run.status).toBe(EXIT.ok);
    }
  });
});
