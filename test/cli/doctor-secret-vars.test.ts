// From a review: doctor passed a var named like a secret. Beside secrets.required's entry for it, wrangler 4
// refuses the config (one name, two bindings); without one, the var deploys and the Worker reads it:
// `NOTIFY_WEBHOOK = ""` announces break-glass to nobody, ASSERTION_SIGNING_KEYS as a var is a private key in the
// repository. ward init must never copy such a name into vars.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { initCommand } from "../../scripts/commands/init.ts";
import { readWranglerConfig } from "../../scripts/doctor/config.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const TIMEOUT = 30_000;
const dir = mkdtempSync(join(tmpdir(), "ward-secret-vars-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const goodWith = (edits: [string, string][]): string => goodTomlWith(dir, edits);

const PRODUCTION_VARS = 'WARD_PRODUCTION = "true"\n';

async function doctor(config: string, secrets: string): Promise<{ status: number; out: string[] }> {
  const out: string[] = [];
  const status = await doctorCommand(["--env", "production", "--config", config, "--secrets", secrets], {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  return { status, out };
}

const codes = (out: string[]) => out.flatMap((l) => /^((?:error|warning)\[[a-z-]+\])/.exec(l)?.[1] ?? []);

describe("ward doctor: a var named like a secret", () => {
  it('NOTIFY_WEBHOOK = "" beside a required NOTIFY_WEBHOOK is an error, whatever the secret list says', {
    timeout: TIMEOUT,
  }, async () => {
    const config = goodWith([[PRODUCTION_VARS, `${PRODUCTION_VARS}NOTIFY_WEBHOOK = ""\n`]]);
    const run = await doctor(config, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK");
    expect(codes(run.out)).toEqual(["error[secret-as-var]"]);
    expect(run.out[0]).toBe(
      `error[secret-as-var] ${config} [env.production.vars]: NOTIFY_WEBHOOK is a secret, and a var of production: secrets.required names it too, so wrangler refuses the config (one name, two bindings); here blank, which the Worker reads as unset: break-glass and quarantines would be announced to nobody`,
    );
    expect(run.out[1]).toBe(
      "  fix: remove NOTIFY_WEBHOOK from [env.production.vars] and set the secret: npx wrangler secret put NOTIFY_WEBHOOK --env production",
    );
    expect(run.status).toBe(EXIT.failed);
  });

  it("ASSERTION_SIGNING_KEYS as a var is an error, declared required or not", { timeout: TIMEOUT }, async () => {
    const key = 'ASSERTION_SIGNING_KEYS = "{\\"keys\\":[]}"\n';
    for (const required of ['["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]', '["NOTIFY_WEBHOOK"]']) {
      const config = goodWith([
        [PRODUCTION_VARS, `${PRODUCTION_VARS}${key}`],
        [
          '[env.production.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]',
          `[env.production.secrets]\nrequired = ${required}`,
        ],
      ]);
      const run = await doctor(config, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK");
      expect(codes(run.out), required).toContain("error[secret-as-var]");
      expect(run.out.find((l) => l.startsWith("error[secret-as-var]"))).toContain(
        "the private key that signs every identity assertion, in plain text for anyone who can read the config",
      );
      expect(run.status).toBe(EXIT.failed);
    }
  });

  it("a NOTIFY_WEBHOOK var not declared a secret, and any secret secrets.required names, are errors too", {
    timeout: TIMEOUT,
  }, async () => {
    const webhook = goodWith([
      [PRODUCTION_VARS, `${PRODUCTION_VARS}NOTIFY_WEBHOOK = "https://chat.example.com/hook"\n`],
      [
        '[env.production.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]',
        '[env.production.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS"]',
      ],
    ]);
    // Not declared, wrangler deploys it (wrangler deploy --dry-run shows env.NOTIFY_WEBHOOK, a var).
    const undeclared = await doctor(webhook, "ASSERTION_SIGNING_KEYS");
    expect(codes(undeclared.out)).toEqual(["error[secret-as-var]"]);
    expect(undeclared.out[0]).toContain(
      "NOTIFY_WEBHOOK is a secret, and a var of production: the var is what the Worker reads in its place; a credential in plain text for anyone who can read the config",
    );
    const upstream = goodWith([
      [PRODUCTION_VARS, `${PRODUCTION_VARS}UPSTREAM_TOKEN = "t0ken"\n`],
      [
        '[env.production.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]',
        '[env.production.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK", "UPSTREAM_TOKEN"]',
      ],
    ]);
    const run = await doctor(upstream, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK,UPSTREAM_TOKEN");
    expect(codes(run.out)).toEqual(["error[secret-as-var]"]);
    expect(run.out[0]).toContain("UPSTREAM_TOKEN is a secret, and a var of production");
  });

  it("a top-level var named like a secret (the local Worker's) is not asked of the environment", {
    timeout: TIMEOUT,
  }, async () => {
    const config = goodWith([
      ['[vars]\nWARD_ENV = "dev"\n', '[vars]\nWARD_ENV = "dev"\nNOTIFY_WEBHOOK = "http://127.0.0.1:8788/hook"\n'],
    ]);
    const run = await doctor(config, "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK");
    expect(codes(run.out)).toEqual([]);
    expect(run.status).toBe(EXIT.ok);
  });
});

describe("ward init: a secret's name is never copied into vars", () => {
  it("the top level's NOTIFY_WEBHOOK, signing keys and required secrets stay out of [env.qa.vars]", {
    timeout: TIMEOUT,
  }, async () => {
    const root = join(dir, "init");
    mkdirSync(root, { recursive: true });
    const config = join(root, "wrangler.toml");
    writeFileSync(
      config,
      readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace(
        '[vars]\nPOLICY_REFRESH_SECONDS = "5"\n',
        '[secrets]\nrequired = ["UPSTREAM_TOKEN"]\n\n[vars]\nPOLICY_REFRESH_SECONDS = "5"\nNOTIFY_WEBHOOK = "http://127.0.0.1:8788/hook"\nASSERTION_SIGNING_KEYS = "{}"\nUPSTREAM_TOKEN = "local"\n',
      ),
    );
    const out: string[] = [];
    const status = await initCommand(
      ["--env", "qa", "--route", "*.qa.example.com/*", "--zone", "example.com", "--config", config],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
    );
    expect(status).toBe(EXIT.ok);
    const qa = (await readWranglerConfig(config)).environments.qa!;
    expect(qa.vars).toEqual({ WARD_ENV: "qa", ASSERTION_ISSUER: "ward-qa", POLICY_REFRESH_SECONDS: "5" });
    expect(qa.secrets).toEqual({ required: ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"] });
  });

  it("an environment's own NOTIFY_WEBHOOK var: declared a secret anyway, and init says to remove the var", {
    timeout: TIMEOUT,
  }, async () => {
    const root = join(dir, "init-own");
    mkdirSync(root, { recursive: true });
    const config = join(root, "wrangler.toml");
    const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    expect(text).toContain('[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]\n');
    writeFileSync(
      config,
      text
        .replace(
          '[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"]\n',
          '[env.staging.secrets]\nrequired = ["ASSERTION_SIGNING_KEYS"]\n',
        )
        .replace(
          '[env.staging.vars]\nPOLICY_REFRESH_SECONDS = "5"\n',
          '[env.staging.vars]\nPOLICY_REFRESH_SECONDS = "5"\nNOTIFY_WEBHOOK = "https://chat.example.com/hook"\n',
        ),
    );
    const out: string[] = [];
    await initCommand(["--env", "staging", "--config", config], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    const staging = (await readWranglerConfig(config)).environments.staging!;
    expect(staging.secrets).toEqual({ required: ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"] });
    expect(out).toContain(
      `${config} [env.staging]: NOTIFY_WEBHOOK is a var, and a secret's name: wrangler refuses the config while secrets.required names it too (else the Worker reads the var in its place); remove it from [env.staging.vars] (ward doctor: secret-as-var)`,
    );
    expect(out.some((l) => l.includes("npx wrangler secret put NOTIFY_WEBHOOK --env staging"))).toBe(true);
  });
});
