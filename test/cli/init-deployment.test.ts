// What `ward init` writes and prints, read back with wrangler's own reader and checked against what wrangler
// itself accepts (from a review that walked the deployment path): no `routes` beside an existing `route`, no
// wildcard custom domain, a new environment's own ASSERTION_ISSUER, and every printed step acting on the config
// and the policy named.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../../scripts/cli-error.ts";
import { initCommand } from "../../scripts/commands/init.ts";
import { readWranglerConfig } from "../../scripts/doctor/config.ts";
import { nextSteps } from "../../scripts/init/next-steps.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const TIMEOUT = 30_000;
const dir = mkdtempSync(join(tmpdir(), "ward-init-deployment-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function project(edit: (text: string) => string = (t) => t): string {
  const root = join(dir, `p${++n}`);
  mkdirSync(join(root, "policy"), { recursive: true });
  const config = join(root, "wrangler.toml");
  writeFileSync(config, edit(readFileSync(join(ROOT, "wrangler.toml"), "utf8")));
  return config;
}

async function init(args: string[]): Promise<string[]> {
  const out: string[] = [];
  await initCommand(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return out;
}

describe("ward init and the deployment path", () => {
  it("--route on an environment written with `route =` leaves a config wrangler refuses (route and routes)", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project((t) =>
      t.replace(
        'routes = [{ pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }]',
        'route = { pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }',
      ),
    );
    // Refusing (and writing nothing) is as good as writing one of them.
    await init([
      "--env",
      "staging",
      "--config",
      config,
      "--route",
      "*.stg.example.net/*",
      "--zone",
      "example.net",
    ]).catch((e: unknown) => expect(e).toBeInstanceOf(CliError));
    const staging = (await readWranglerConfig(config)).environments.staging!;
    // wrangler deploy: `"env.staging" environment configuration - Expected exactly one of the following fields
    // ["routes","route"].`
    expect("route" in staging && "routes" in staging).toBe(false);
  });

  it("--custom-domain with a wildcard is refused (wrangler: no wildcard in Custom Domains)", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project();
    const error = await init(["--env", "staging", "--config", config, "--custom-domain", "*.stg.example.net"]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
  });

  it("--custom-domain: every service host no custom domain covers gets a step naming them all, which covers them", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project();
    const policy = join(dir, `custom-${n}.yaml`);
    const base = ["--env", "qa", "--config", config, "--policy", policy, "--origin", "PAYMENTS", "--origin", "ORDERS"];
    const out = await init([...base, "--custom-domain", "payments.example.com"]);
    const written = readFileSync(policy, "utf8");
    // The starting policy puts each service on SERVICE.<parent of the custom domain>.
    expect(written).toContain("orders.example.com");
    const step = out.findIndex((l) => l.includes("no route of qa covers"));
    expect(step, out.join("\n")).toBeGreaterThan(-1);
    expect(out[step]).toContain("orders.example.com");
    expect(out[step]).not.toContain("payments.example.com");
    const command = out[step + 1]!.trim();
    // The operators' host (WARD_URL) as well (from a walk of the deployment guide: with custom domains only,
    // the admin API was reached on no address, and nothing said so).
    expect(command).toContain(
      "--custom-domain payments.example.com --custom-domain orders.example.com --custom-domain <operators-host>",
    );
    // Running the printed command (with the same config and policy, and the operators' host) leaves no host unrouted.
    const args = command
      .slice(command.indexOf("init ") + "init ".length)
      .replace("<operators-host>", "ward.example.com")
      .split(" ");
    expect(args).toContain(policy);
    const again = await init(args);
    expect(
      again.some((l) => l.includes("no route of qa covers") || l.includes("no custom domain of qa")),
      again.join("\n"),
    ).toBe(false);
    const qa = (await readWranglerConfig(config)).environments.qa!;
    expect(qa.routes).toEqual([
      { pattern: "payments.example.com", custom_domain: true },
      { pattern: "orders.example.com", custom_domain: true },
      { pattern: "ward.example.com", custom_domain: true },
    ]);
    // Every service host routed, but no custom domain that is no service's: a step of its own.
    const noOperators = nextSteps({
      env: "qa",
      configFlag: "",
      policy: "policy/qa.yaml",
      kvPlaceholder: false,
      vpcPlaceholders: [],
      hosts: ["payments.example.com"],
      unrouted: { hosts: [], customDomains: ["payments.example.com"] },
      policyPlaceholders: [],
      secrets: [],
    }).join("\n");
    expect(noOperators).toContain("no custom domain of qa is the operators' host");
    expect(noOperators).toContain("--custom-domain payments.example.com --custom-domain <operators-host>");
  });

  it("never suggests a wildcard host as a custom domain (Custom Domains take none)", () => {
    const steps = nextSteps({
      env: "qa",
      configFlag: "",
      policy: "policy/qa.yaml",
      kvPlaceholder: false,
      vpcPlaceholders: [],
      hosts: ["payments.example.com", "*.tenants.example.com"],
      unrouted: { hosts: ["*.tenants.example.com"], customDomains: ["payments.example.com"] },
      policyPlaceholders: [],
      secrets: [],
    }).join("\n");
    expect(steps).toContain("no route of qa covers *.tenants.example.com");
    expect(steps).not.toContain("--custom-domain");
    expect(steps).toContain("a pattern HOST/* for each in [env.qa] routes");
  });

  it("a new environment's ASSERTION_ISSUER is ward-ENV even when the top level (the local Worker) sets one", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project((t) => t.replace('WARD_ENV = "dev"\n', 'WARD_ENV = "dev"\nASSERTION_ISSUER = "ward-dev"\n'));
    const out = await init([
      "--env",
      "qa",
      "--config",
      config,
      "--route",
      "*.qa.example.com/*",
      "--zone",
      "example.com",
    ]);
    const qa = (await readWranglerConfig(config)).environments.qa!;
    expect((qa.vars as Record<string, unknown>).ASSERTION_ISSUER, out.join("\n")).toBe("ward-qa");
  });

  it("with --config and --policy, every printed step acts on that config and that policy", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project();
    const policy = join(dir, `ops-qa-${n}.yaml`);
    const out = await init([
      "--env",
      "qa",
      "--config",
      config,
      "--policy",
      policy,
      "--route",
      "*.qa.example.com/*",
      "--zone",
      "example.com",
    ]);
    const doctorStep = out.find((l) => l.includes("ward -- doctor"))!;
    const bootstrapStep = out.find((l) => l.includes("--bootstrap"))!;
    // The doctor step checks the policy init wrote, not policy/qa.yaml beside the config (absent: "no policy").
    expect(doctorStep).toContain(`--policy ${policy}`);
    // The bootstrap's `wrangler kv key put --env qa --binding POLICY` must resolve POLICY in this config:
    // `ward push --bootstrap` takes no --config, so the commands it prints use ./wrangler.toml.
    expect(bootstrapStep).toContain(`--config ${config}`);
  });
});
