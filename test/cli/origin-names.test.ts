// From a review: `ward init --origin DENYLIST=deny.internal:8443` checked only the binding's shape and wrote a
// config wrangler refuses ("DENYLIST assigned to Durable Object and VPC Service bindings"), and doctor did not
// notice a name bound twice.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError, EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { initCommand } from "../../scripts/commands/init.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const TIMEOUT = 30_000;
const dir = mkdtempSync(join(tmpdir(), "ward-origin-names-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A project directory with the project's wrangler.toml, edited. */
function project(edit: (text: string) => string = (t) => t): string {
  const root = join(dir, `p${++n}`);
  mkdirSync(join(root, "policy"), { recursive: true });
  const config = join(root, "wrangler.toml");
  copyFileSync(join(ROOT, "wrangler.toml"), config);
  writeFileSync(config, edit(readFileSync(config, "utf8")));
  return config;
}

/** ward init's error, and the config left as it was. */
async function initRefuses(config: string, ...args: string[]): Promise<CliError> {
  const before = readFileSync(config, "utf8");
  const error = await initCommand(
    ["--env", "qa", "--route", "*.qa.example.com/*", "--zone", "example.com", "--config", config, ...args],
    { out: () => undefined, err: () => undefined },
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  expect(readFileSync(config, "utf8")).toBe(before);
  return error as CliError;
}

describe("ward init: an origin's binding name must be free", () => {
  it("refuses a name the Worker reads (worker/env.ts): a Durable Object, a var, a secret, the dataset", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project();
    const denylist = await initRefuses(config, "--origin", "DENYLIST=deny.internal:8443");
    expect(denylist.exitCode).toBe(EXIT.usage);
    expect(denylist.message).toMatch(
      /^--origin DENYLIST: DENYLIST is the Worker's Durable Object DENYLIST; an origin needs a binding name of its own, such as DENYLIST_API\n/,
    );
    for (const [name, use] of [
      ["POLICY", "KV namespace"],
      ["DECISIONS", "Analytics Engine dataset"],
      ["WARD_ENV", "var"],
      ["NOTIFY_WEBHOOK", "secret"],
    ]) {
      const error = await initRefuses(config, "--origin", `${name}=origin.internal:8443`);
      expect(error.message).toContain(`${name} is the Worker's ${use} ${name};`);
    }
  });

  it("refuses a name the config already uses otherwise: a var, a binding of another kind", {
    timeout: TIMEOUT,
  }, async () => {
    const config = project((text) =>
      text.replace(
        '[vars]\nPOLICY_REFRESH_SECONDS = "5"\n',
        '[vars]\nPOLICY_REFRESH_SECONDS = "5"\nBILLING = "local"\n\n[[r2_buckets]]\nbinding = "ARCHIVE"\nbucket_name = "ward-archive"\n',
      ),
    );
    const billing = await initRefuses(config, "--origin", "BILLING=billing.internal:8443");
    expect(billing.message).toContain("origin BILLING: BILLING is a var of the top level in");
    const archive = await initRefuses(config, "--origin", "ARCHIVE=archive.internal:8443");
    expect(archive.message).toContain("origin ARCHIVE: ARCHIVE is an R2 bucket of the top level in");
  });
});

describe("ward doctor: a name bound twice", () => {
  async function doctor(config: string) {
    const out: string[] = [];
    const status = await doctorCommand(
      ["--env", "production", "--config", config, "--secrets", "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK"],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
    );
    return { status, out };
  }
  const goodWith = (from: string, to: string): string => goodTomlWith(dir, [[from, to]]);

  it("DENYLIST as a Durable Object and a VPC service is an error", { timeout: TIMEOUT }, async () => {
    const config = goodWith(
      '[[env.production.vpc_services]]\nbinding = "WIKI"',
      '[[env.production.vpc_services]]\nbinding = "WIKI"\nservice_id = "9d2e4f6a-8b1c-4d3e-a5f7-b9c1d3e5f7a9"\nremote = true\n\n[[env.production.vpc_services]]\nbinding = "DENYLIST"',
    );
    const run = await doctor(config);
    const line = run.out.find((l) => l.startsWith("error[binding-duplicate]"));
    expect(line, run.out.join("\n")).toBe(
      `error[binding-duplicate] ${config} [env.production]: DENYLIST is bound 2 times: as a Durable Object, a VPC service: wrangler refuses the config (each binding needs a name of its own), and DENYLIST is the Worker's Durable Object DENYLIST`,
    );
    expect(run.status).toBe(EXIT.failed);
  });

  it("a var named like a binding, and one binding listed twice, are errors too", { timeout: TIMEOUT }, async () => {
    const asVar = goodWith('WARD_PRODUCTION = "true"\n', 'WARD_PRODUCTION = "true"\nPAYMENTS_API = "x"\n');
    const run = await doctor(asVar);
    expect(run.out.filter((l) => l.startsWith("error["))).toEqual([
      expect.stringContaining("PAYMENTS_API is bound 2 times: as a VPC service, a var:"),
    ]);
    const twice = goodWith(
      '[[env.production.analytics_engine_datasets]]\nbinding = "DECISIONS"\ndataset = "ward_decisions_production"\n',
      '[[env.production.analytics_engine_datasets]]\nbinding = "DECISIONS"\ndataset = "ward_decisions_production"\n\n[[env.production.analytics_engine_datasets]]\nbinding = "DECISIONS"\ndataset = "ward_decisions_production_2"\n',
    );
    const both = await doctor(twice);
    expect(both.out.filter((l) => l.startsWith("error["))).toEqual([
      expect.stringContaining(
        "DECISIONS is bound 2 times: as an Analytics Engine dataset, an Analytics Engine dataset:",
      ),
    ]);
  });
});
