// A generated, differential test of how ward doctor reads wrangler.toml per environment. Configs from a seeded
// PRNG (test/cli/doctor-config-cases.ts): environments with and without each key, inherited keys (workers_dev,
// preview_urls, route / routes, name) and non-inheritable ones (vars, secrets.required, bindings), vars of every
// TOML type, names, ids and datasets shared between environments. The oracle (doctor-config-oracle.ts) is
// wrangler's own reader, `unstable_readConfig`, for each environment's effective config, and the docs for which
// effective configs are errors. Asserted: doctor's error codes (of those modelled) are the oracle's; the Worker
// name doctor reads per environment is wrangler's; a config wrangler refuses (to read, or to deploy: no Worker
// name, or one Cloudflare refuses) is not ok for doctor either.
// WARD_DOCTOR_SEED=<n> tries another seed (WARD_DOCTOR_CASES=<n> more cases; WARD_DOCTOR_DUMP=FILE writes every
// disagreement there as JSON); the seed is printed on failure.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { initCommand } from "../../scripts/commands/init.ts";
import { readWranglerConfig } from "../../scripts/doctor/config.ts";
import { hostsNotRouted } from "../../scripts/doctor/routes.ts";
import { workerName } from "../../scripts/doctor/shared-state.ts";
import { prng, seedFrom } from "../support/prng.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";
import { type Case, genCase, toToml } from "./doctor-config-cases.ts";
import {
  deployedRoutes,
  deployRefusal,
  expectedErrors,
  MODELLED,
  routeCovers,
  wranglerReads,
} from "./doctor-config-oracle.ts";

const SEED = seedFrom("WARD_DOCTOR_SEED", 20261206);
const CASES = Number(process.env.WARD_DOCTOR_CASES ?? 150);
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-differential-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function doctor(config: string, env: string): Promise<{ status: number; errors: Set<string>; out: string[] }> {
  const out: string[] = [];
  let status: number;
  try {
    status = await doctorCommand(["--env", env, "--config", config, "--offline"], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
  } catch (error) {
    out.push(`threw: ${String(error)}`);
    status = (error as { exitCode?: number }).exitCode ?? -1;
  }
  const errors = new Set(out.flatMap((l) => /^error\[([a-z-]+)\]/.exec(l)?.[1] ?? []));
  return { status, errors, out };
}

interface Disagreement {
  index: number;
  env: string;
  problem: string;
  toml: string;
  out: string[];
}

async function check(index: number, c: Case): Promise<Disagreement[]> {
  const toml = toToml(c);
  const file = join(dir, `case-${index}.toml`);
  writeFileSync(file, toml);
  const found: Disagreement[] = [];
  const top = wranglerReads(file, undefined);
  const all = Object.fromEntries(Object.keys(c.envs).map((env) => [env, wranglerReads(file, env)]));
  for (const env of Object.keys(c.envs)) {
    const run = await doctor(file, env);
    const add = (problem: string) => found.push({ index, env, problem, toml, out: run.out });
    const mine = all[env]!;
    if ("refused" in mine) {
      if (run.status === 0) add(`wrangler refuses the config, doctor passes it: ${mine.refused}`);
      continue;
    }
    const undeployable = deployRefusal(mine);
    if (undeployable !== undefined) {
      if (run.status === 0)
        add(`wrangler reads the config and refuses to deploy it, doctor passes it: ${undeployable}`);
      continue;
    }
    // Another environment's config (or the top level's alone) refused: this one is not compared.
    if ("refused" in top || Object.values(all).some((x) => "refused" in x)) continue;
    // What doctor reads of the environment: its Worker's name, and which service hosts its routes cover.
    const raw = await readWranglerConfig(file);
    const table = raw.environments[env]!;
    const name = workerName(raw.top, table, env);
    if (name !== mine.name) add(`doctor reads the Worker's name as ${name}, wrangler deploys ${mine.name}`);
    const hosts = [`payments.${env}.example.com`, `*.${env}.example.com`, "ward.top.example.com"];
    const unrouted = hostsNotRouted(raw.top, table, hosts);
    const routes = deployedRoutes(mine);
    for (const host of hosts) {
      const covered = routes.some((r) => routeCovers(r, host));
      if (covered === unrouted.includes(host))
        add(
          `doctor reads ${host} as ${covered ? "not " : ""}routed; wrangler deploys routes ${JSON.stringify(routes)}`,
        );
    }
    const effective = all as Record<string, Exclude<(typeof all)[string], { refused: string }>>;
    const expected = expectedErrors(env, effective, top as Exclude<typeof top, { refused: string }>);
    const got = new Set([...run.errors].filter((e) => MODELLED.has(e)));
    const missing = [...expected.must].filter((e) => !got.has(e));
    const extra = [...got].filter((e) => !expected.must.has(e) && !expected.oneOf.some((alt) => alt.includes(e)));
    const unmet = expected.oneOf.filter((alt) => !alt.some((e) => got.has(e)));
    if (missing.length > 0)
      add(
        `doctor misses ${missing.join(", ")} (wrangler: name ${mine.name}, routes ${JSON.stringify(deployedRoutes(mine))}, workers_dev ${mine.workers_dev}, vars ${JSON.stringify(mine.vars)})`,
      );
    if (extra.length > 0) add(`doctor errs ${extra.join(", ")}, which wrangler's effective config does not call for`);
    for (const alt of unmet) add(`doctor gives none of ${alt.join(" / ")}`);
    if (expected.must.size === 0 && expected.oneOf.length === 0 && run.status !== 0 && run.errors.size === 0)
      add(`doctor exits ${run.status} with no error on a config the oracle passes`);
  }
  return found;
}

describe("ward doctor reads each environment as wrangler deploys it (generated)", () => {
  it(`${CASES} generated configs, seed ${SEED}`, { timeout: 120_000 }, async () => {
    const random = prng(SEED);
    const found: Disagreement[] = [];
    for (let i = 0; i < CASES; i++) found.push(...(await check(i, genCase(random))));
    const byProblem = new Map<string, Disagreement>();
    for (const d of found) {
      const key = d.problem.replace(/\(wrangler:.*$/, "");
      if (!byProblem.has(key)) byProblem.set(key, d);
    }
    if (process.env.WARD_DOCTOR_DUMP) writeFileSync(process.env.WARD_DOCTOR_DUMP, JSON.stringify(found, null, 1));
    const report = [...byProblem.values()]
      .slice(0, 6)
      .map((d) => `case ${d.index} [env.${d.env}]: ${d.problem}\n${d.toml}\ndoctor:\n${d.out.join("\n")}`)
      .join("\n\n----\n\n");
    expect(found.length, `WARD_DOCTOR_SEED=${SEED}: ${found.length} disagreements\n\n${report}`).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------- found by it

const ROOT = join(import.meta.dirname, "../..");
const STAGING_ROUTES = 'routes = [{ pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }]';

/** The demo policy as staging's, on staging's hosts, with edits. */
function stagingPolicy(edits: [string, string][] = []): string {
  let text = readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8")
    .replace(/^ {2}environment: dev$/m, "  environment: staging")
    .replaceAll(".localhost]", ".staging.internal.example.com]");
  for (const [from, to] of edits) {
    expect(text, from).toContain(from);
    text = text.replace(from, to);
  }
  const file = join(dir, `staging-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function doctorWith(config: string, policy: string) {
  const out: string[] = [];
  const status = await doctorCommand(
    [
      "--env",
      "staging",
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
  return { status, out, codes: out.flatMap((l) => /^error\[([a-z-]+)\]/.exec(l)?.[1] ?? []) };
}

describe("ward doctor: the generated test's minimal cases", () => {
  it("[env] route beside a top-level routes: wrangler deploys the top level's routes, not the environment's", {
    timeout: 30_000,
  }, async () => {
    // wrangler inherits `routes` from the top level whenever the environment has none, and deploys
    // `routes ?? [route]`: the environment's `route` is never used. staging's service hosts reach no gateway.
    // A directory of its own: ward init writes policy/staging.yaml beside the config.
    const config = goodTomlWith(mkdtempSync(join(dir, "init-")), [
      ["preview_urls = false\n", 'preview_urls = false\nroutes = ["ward-local.example.com/*"]\n'],
      [STAGING_ROUTES, 'route = "*.staging.internal.example.com/*"'],
    ]);
    const mine = wranglerReads(config, "staging");
    expect(deployedRoutes(mine as never)).toEqual(["ward-local.example.com/*"]);
    const run = await doctorWith(config, stagingPolicy());
    expect(run.codes, run.out.join("\n")).toContain("host-not-routed");
    // ward init reads the environment the same way, and must not call it done.
    const out: string[] = [];
    const status = await initCommand(
      ["--env", "staging", "--config", config, "--domain", "staging.internal.example.com"],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
      async () => "",
    ).catch(() => 1);
    expect(status === 0 && out.join("\n").includes("already as ward init would write it"), out.join("\n")).toBe(false);
  });

  it("[env] route written as a table is a route (wrangler takes { pattern, zone_name })", {
    timeout: 30_000,
  }, async () => {
    const config = goodTomlWith(dir, [
      [STAGING_ROUTES, 'route = { pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }'],
    ]);
    expect(deployedRoutes(wranglerReads(config, "staging") as never)).toHaveLength(1);
    const run = await doctorWith(config, stagingPolicy());
    expect(run.codes, run.out.join("\n")).toEqual([]);
  });

  it("a wildcard service host is routed only by a route that covers every host it matches", {
    timeout: 30_000,
  }, async () => {
    // `*.wiki.staging...` matches a.wiki..., b.wiki...; a route for x.wiki... covers one of them.
    const config = goodTomlWith(dir, [
      [
        STAGING_ROUTES,
        'routes = ["payments.staging.internal.example.com/*", "orders.staging.internal.example.com/*", "x.wiki.staging.internal.example.com/*"]',
      ],
    ]);
    const policy = stagingPolicy([
      ["hosts: [wiki.staging.internal.example.com]", 'hosts: ["*.wiki.staging.internal.example.com"]'],
    ]);
    const run = await doctorWith(config, policy);
    expect(run.codes, run.out.join("\n")).toContain("host-not-routed");
  });

  it('an ASSERTION_ISSUER of "ward" is shared with every environment that sets none', { timeout: 30_000 }, async () => {
    // production signs as "ward" (the Worker's default); staging names "ward" itself: one issuer for both.
    const config = goodTomlWith(dir, [
      ['ASSERTION_ISSUER = "ward-staging"', 'ASSERTION_ISSUER = "ward"'],
      ['ASSERTION_ISSUER = "ward-production"\n', ""],
    ]);
    const run = await doctorWith(config, stagingPolicy());
    expect(run.codes, run.out.join("\n")).toContain("assertion-issuer-shared");
  });
});
