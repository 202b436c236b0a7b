// ward doctor against what the deployed Worker needs and what ward init writes (from a review that walked the
// deployment path): every Durable Object binding worker/env.ts requires, the secrets the policy names for
// security-event transmitters, an environment with both `route` and `routes` (wrangler refuses it), and no
// demo origins required of an environment whose policy names its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { initCommand } from "../../scripts/commands/init.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GOOD = join(ROOT, "test/fixtures/wrangler/good.toml");
const TIMEOUT = 30_000;
const BOTH_SECRETS = "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK";
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-deployment-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function doctor(...args: string[]): Promise<{ status: number; out: string[] }> {
  const out: string[] = [];
  const status = await doctorCommand(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { status, out };
}

const codes = (out: string[]) => out.flatMap((l) => /^((?:error|warning)\[[a-z-]+\])/.exec(l)?.[1] ?? []);

/** The demo policy, as staging's, on staging's hosts (token issuers not fetched: --offline). */
function stagingPolicy(extra = ""): string {
  const text = readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8")
    .replace(/^ {2}environment: dev$/m, "  environment: staging")
    .replaceAll(".localhost]", ".staging.internal.example.com]")
    .replace(/^services:$/m, `${extra}services:`);
  const file = join(dir, `staging-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe("ward doctor and what the deployed Worker needs", () => {
  it("an environment without the Durable Objects worker/env.ts requires (GRANTS, DENYLIST, ...) is not ok", {
    timeout: TIMEOUT,
  }, async () => {
    // good.toml's staging binds POLICY_CONTROL only: every request would find env.DENYLIST undefined
    // (worker/denylist/cache.ts catchUp: denylist-unavailable), grants, rate limits and SSF likewise.
    const config = join(dir, "policy-control-only.toml");
    writeFileSync(
      config,
      readFileSync(GOOD, "utf8").replace(
        /\n\[\[env\.[a-z]+\.durable_objects\.bindings\]\]\nname = "(?!POLICY_CONTROL)[A-Z_]+"\nclass_name = "[A-Za-z]+"\n/g,
        "",
      ),
    );
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      config,
      "--policy",
      stagingPolicy(),
      "--secrets",
      BOTH_SECRETS,
      "--offline",
    );
    const missing = run.out.filter((l) => l.startsWith("error[binding-missing]")).join("\n");
    for (const name of ["GRANTS", "DENYLIST", "DENIAL_COUNTER", "RATE_LIMITER", "SSF_REPLAY"])
      expect(missing, `${name} in\n${run.out.join("\n")}`).toContain(name);
    expect(run.status).toBe(EXIT.failed);
  });

  it("a secret the policy names for a security-event transmitter is checked like the others", {
    timeout: TIMEOUT,
  }, async () => {
    const policy = stagingPolicy(
      [
        "sharedSignals:",
        "  audience: https://ward.staging.internal.example.com/ssf",
        "  transmitters:",
        "    okta:",
        "      issuer: https://idp.example.com/tenant",
        "      jwksUri: https://idp.example.com/oauth2/v1/keys",
        "      algorithms: [RS256]",
        "      events: [session-revoked]",
        "      authorization: SSF_OKTA_AUTHORIZATION",
        "",
      ].join("\n"),
    );
    // What `wrangler secret list` printed: the signing keys and the webhook, not the transmitter's secret.
    // The Worker then answers every pushed SET 503 (worker/ssf/receive.ts: authorization-secret-missing).
    const run = await doctor(
      "--env",
      "staging",
      "--config",
      GOOD,
      "--policy",
      policy,
      "--secrets",
      BOTH_SECRETS,
      "--offline",
    );
    expect(run.out.join("\n")).toContain("SSF_OKTA_AUTHORIZATION");
  });

  it("an environment with both `route` and `routes` (wrangler: exactly one of them) is an error", {
    timeout: TIMEOUT,
  }, async () => {
    const text = readFileSync(GOOD, "utf8").replace(
      'routes = [{ pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }]',
      'route = { pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }\nroutes = [{ pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }]',
    );
    const config = join(dir, "route-and-routes.toml");
    writeFileSync(config, text);
    const run = await doctor("--env", "staging", "--config", config, "--secrets", BOTH_SECRETS, "--offline");
    expect(run.status, run.out.join("\n")).toBe(EXIT.failed);
  });

  it("right after `ward init` with the operator's own origins, doctor's errors are only the Cloudflare steps", {
    timeout: TIMEOUT,
  }, async () => {
    // The project's wrangler.toml: its top level binds the demo's origins (PAYMENTS_API, ORDERS_API, WIKI).
    const config = join(dir, "wrangler.toml");
    writeFileSync(config, readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    await initCommand(
      [
        "--env",
        "qa",
        "--config",
        config,
        "--route",
        "*.qa.example.com/*",
        "--zone",
        "example.com",
        "--origin",
        "BILLING=billing.internal:8443",
      ],
      io,
    );
    const run = await doctor("--env", "qa", "--config", config, "--secrets", BOTH_SECRETS, "--offline");
    // Only placeholders: ids from Cloudflare, values from Zero Trust (docs/operations.md "ward doctor").
    expect(new Set(codes(run.out)), run.out.join("\n")).toEqual(
      new Set(["error[id-placeholder]", "error[policy-placeholder]"]),
    );
  });
});
