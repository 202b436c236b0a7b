// ward doctor reads a var set to a blank string as unset, as the Worker does (worker/admin/api.ts
// `if (environment && ...)`, worker/shared/notify.ts `if (!env.NOTIFY_WEBHOOK) return`): WARD_ENV = "" turns the
// environment guard off, NOTIFY_WEBHOOK = "" announces break-glass to nobody.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { doctorCommand } from "../../scripts/commands/doctor.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-blank-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** test/fixtures/wrangler/good.toml with edits, and the demo policy for staging (as doctor.test.ts makes them). */
function files(edits: [string, string][]): { config: string; policy: string } {
  let toml = readFileSync(join(ROOT, "test/fixtures/wrangler/good.toml"), "utf8");
  for (const [from, to] of edits) {
    expect(toml).toContain(from);
    toml = toml.replace(from, to);
  }
  const config = join(dir, `${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(config, toml);
  const policy = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    policy,
    readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8")
      .replace(/^ {2}environment: dev$/m, "  environment: staging")
      .replaceAll(".localhost]", ".staging.internal.example.com]"),
  );
  return { config, policy };
}

async function doctor(config: string, policy: string, secrets: string) {
  const out: string[] = [];
  const status = await doctorCommand(
    ["--env", "staging", "--config", config, "--policy", policy, "--secrets", secrets, "--offline"],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  return { status, out: out.join("\n") };
}

describe("ward doctor and vars set to a blank string", () => {
  it('WARD_ENV = "" (the guard off, as if unset) fails as ward-env-unset does', { timeout: 30_000 }, async () => {
    const { config, policy } = files([['WARD_ENV = "staging"', 'WARD_ENV = ""']]);
    const run = await doctor(config, policy, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK");
    expect(run.out).toMatch(/error\[ward-env-unset\]/);
    expect(run.status, run.out).toBe(1);
  });

  it('NOTIFY_WEBHOOK = "" (break-glass announced to nobody) fails as breakglass-webhook-unset does', {
    timeout: 30_000,
  }, async () => {
    const { config, policy } = files([
      ['required = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]', 'required = ["ASSERTION_SIGNING_KEYS"]'],
      ['WARD_ENV = "staging"', 'WARD_ENV = "staging"\nNOTIFY_WEBHOOK = ""'],
    ]);
    const run = await doctor(config, policy, "ASSERTION_SIGNING_KEYS");
    expect(run.out).toMatch(/error\[breakglass-webhook-unset\]/);
    expect(run.status, run.out).toBe(1);
  });

  it('ASSERTION_ISSUER = " " (the Worker signs as "ward", as if unset) fails as assertion-issuer-unset does', {
    timeout: 30_000,
  }, async () => {
    const { config, policy } = files([['ASSERTION_ISSUER = "ward-staging"', 'ASSERTION_ISSUER = " "']]);
    const run = await doctor(config, policy, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK");
    expect(run.out).toMatch(/error\[assertion-issuer-unset\]/);
    expect(run.status, run.out).toBe(1);
  });

  it('ASSERTION_ISSUER = "ward" is shared with an environment whose ASSERTION_ISSUER is blank (both sign as "ward")', {
    timeout: 30_000,
  }, async () => {
    const { config, policy } = files([
      ['ASSERTION_ISSUER = "ward-staging"', 'ASSERTION_ISSUER = "ward"'],
      ['ASSERTION_ISSUER = "ward-production"', 'ASSERTION_ISSUER = ""'],
    ]);
    const run = await doctor(config, policy, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK");
    expect(run.out).toMatch(/error\[assertion-issuer-shared\].*\[env\.production\]'s \(it sets none, or a blank one/);
    expect(run.status, run.out).toBe(1);
  });
});
