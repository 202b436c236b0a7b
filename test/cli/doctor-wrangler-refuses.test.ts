// Found by the generated doctor differential (seeds 1, 3, 4): doctor and init passed configs wrangler refuses.
// `legacy_env` (true or false) at the top level: wrangler 4 refuses the whole config. A Worker `name` outside
// wrangler's rule (`"Ward-qa"`): refused for that environment, or for all when it is the top level's. No name at
// all, or the one wrangler makes from an environment's name (`[env.Staging]`: "ward-Staging"): its reader takes
// them, its deploy (or Cloudflare) does not. And whatever else wrangler's reader refuses (a var of a TOML date):
// doctor errs on it in wrangler's words. Each case is also read by wrangler, so the tests say what it does.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { initCommand } from "../../scripts/commands/init.ts";
import { readWranglerConfig } from "../../scripts/doctor/config.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";
import { wranglerReads } from "./doctor-config-oracle.ts";

const TIMEOUT = 30_000;
const SECRETS = "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK";
const dir = mkdtempSync(join(tmpdir(), "ward-wrangler-refuses-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOP = 'name = "ward"\nmain = "worker/index.ts"\n';
const goodWith = (edits: [string, string][]): string => goodTomlWith(dir, edits);

async function doctor(config: string, env = "staging") {
  const out: string[] = [];
  const status = await doctorCommand(["--env", env, "--config", config, "--secrets", SECRETS, "--offline"], {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  const codes = out.flatMap((l) => /^error\[([a-z-]+)\]/.exec(l)?.[1] ?? []);
  const line = (code: string) => out.indexOf(out.find((l) => l.startsWith(`error[${code}]`)) ?? "");
  return { status, out, codes, finding: (code: string) => out.slice(line(code), line(code) + 2) };
}

/** ward init on `config` in a directory of its own (it writes policy/ENV.yaml beside it): its output, or its refusal. */
async function init(
  config: string,
  env = "staging",
): Promise<{ status: number; out: string[]; file: string; error?: string }> {
  const own = join(dir, `init-${Math.random().toString(36).slice(2)}`);
  mkdirSync(own);
  const file = join(own, "wrangler.toml");
  writeFileSync(file, readFileSync(config, "utf8"));
  const out: string[] = [];
  try {
    const status = await initCommand(["--env", env, "--config", file], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    return { status, out, file };
  } catch (error) {
    const unchanged = readFileSync(file, "utf8") === readFileSync(config, "utf8");
    expect(unchanged, "ward init refused, and wrote nothing").toBe(true);
    return { status: (error as { exitCode: number }).exitCode, out, file, error: (error as Error).message };
  }
}

describe("ward doctor: what wrangler refuses is an error", () => {
  it("legacy_env, false or true: one error at the top level, that says to delete it", {
    timeout: TIMEOUT,
  }, async () => {
    for (const value of ["false", "true"]) {
      const config = goodWith([[TOP, `${TOP}legacy_env = ${value}\n`]]);
      expect(wranglerReads(config, "staging")).toHaveProperty("refused");
      const run = await doctor(config);
      expect(run.status, value).toBe(EXIT.failed);
      expect(run.codes, value).toEqual(["legacy-env"]);
      const [message, fix] = run.finding("legacy-env");
      expect(message).toContain(
        `error[legacy-env] ${config} (top level): legacy_env = ${value} is set: wrangler refuses`,
      );
      expect(fix).toBe(
        "  fix: delete the `legacy_env` line: each environment then deploys as a Worker of its own, its `name` or `<top-level name>-ENV`, as doctor checks it",
      );
    }
  });

  it("a name wrangler refuses, the environment's or the top level's, with the name to write instead", {
    timeout: TIMEOUT,
  }, async () => {
    const env = goodWith([['name = "ward-staging"', 'name = "Ward-staging"']]);
    expect(wranglerReads(env, "staging")).toHaveProperty("refused");
    const run = await doctor(env);
    expect(run.codes).toEqual(["worker-name-invalid"]);
    expect(run.finding("worker-name-invalid")).toEqual([
      `error[worker-name-invalid] ${env} [env.staging]: name = "Ward-staging" is not a Worker name wrangler takes (lower-case letters, digits, '-' and '_', not starting with '-'): it refuses the config for staging`,
      '  fix: set `name = "ward-staging"` under [env.staging]',
    ]);

    const top = goodWith([[TOP, 'name = "Ward"\nmain = "worker/index.ts"\n']]);
    expect(wranglerReads(top, "staging")).toHaveProperty("refused");
    const topRun = await doctor(top);
    expect(topRun.codes).toEqual(["worker-name-invalid"]);
    expect(topRun.finding("worker-name-invalid")[0]).toContain(
      `${top} (top level): name = "Ward" is not a Worker name`,
    );
    expect(topRun.finding("worker-name-invalid")[1]).toContain('set `name = "ward"` at the top level');
  });

  it("an upper-case environment without a name: wrangler reads it, and would deploy it as ward-Staging", {
    timeout: TIMEOUT,
  }, async () => {
    const config = goodWith([
      ['[env.staging]\nname = "ward-staging"\n', "[env.Staging]\n"],
      ["[env.staging.", "[env.Staging."],
    ]);
    writeFileSync(config, readFileSync(config, "utf8").replaceAll("[[env.staging.", "[[env.Staging."));
    expect(wranglerReads(config, "Staging")).toMatchObject({ name: "ward-Staging" });
    const run = await doctor(config, "Staging");
    expect(run.status).toBe(EXIT.failed);
    expect(run.codes).toContain("worker-name-invalid");
    expect(run.finding("worker-name-invalid")).toEqual([
      `error[worker-name-invalid] ${config} [env.Staging]: Staging sets no name, so wrangler deploys it as "ward-Staging", a Worker name Cloudflare refuses (lower-case letters, digits, '-' and '_', not starting with '-'; wrangler checks the names written, not the one it makes from the environment's)`,
      '  fix: set `name = "ward-staging"` under [env.Staging], or name the environment in lower case',
    ]);
  });

  it("no Worker name at all (none here, a blank one, or none at the top level): wrangler deploy refuses", {
    timeout: TIMEOUT,
  }, async () => {
    const configs = [
      goodWith([['name = "ward-staging"', 'name = ""']]),
      goodWith([
        ['name = "ward-staging"\n', ""],
        [TOP, 'main = "worker/index.ts"\n'],
      ]),
      goodWith([
        ['name = "ward-staging"\n', ""],
        [TOP, 'name = ""\nmain = "worker/index.ts"\n'],
      ]),
    ];
    for (const config of configs) {
      expect(wranglerReads(config, "staging")).not.toHaveProperty("refused");
      const run = await doctor(config);
      expect(run.codes, config).toEqual(["worker-name-invalid"]);
      expect(run.finding("worker-name-invalid")[0]).toContain(
        "`wrangler deploy --env staging` refuses to deploy a Worker without one",
      );
      expect(run.finding("worker-name-invalid")[1]).toBe('  fix: set `name = "ward-staging"` under [env.staging]');
    }
  });

  it("anything else wrangler's reader refuses is config-refused, in wrangler's words; nothing is said twice", {
    timeout: TIMEOUT,
  }, async () => {
    const date = goodWith([
      ['ASSERTION_ISSUER = "ward-staging"\n', 'ASSERTION_ISSUER = "ward-staging"\nSINCE = 2026-12-06\n'],
    ]);
    expect(wranglerReads(date, "staging")).toHaveProperty("refused");
    const run = await doctor(date);
    expect(run.codes).toEqual(["config-refused"]);
    expect(run.finding("config-refused")).toEqual([
      `error[config-refused] ${date} [env.staging]: wrangler refuses the config as \`wrangler deploy --env staging\` reads it: The field "env.staging.vars.SINCE" is a TOML date, which is not supported. Please use a string instead, e.g. SINCE = "2025-12-19".`,
      "  fix: correct what wrangler names (`npx wrangler deploy --env staging --dry-run` reads it the same way)",
    ]);
    // Beside one doctor reports itself, only the other.
    const both = goodWith([
      [TOP, `${TOP}legacy_env = false\n`],
      ['ASSERTION_ISSUER = "ward-staging"\n', 'ASSERTION_ISSUER = "ward-staging"\nSINCE = 2026-12-06\n'],
    ]);
    const bothRun = await doctor(both);
    expect(bothRun.codes).toEqual(["config-refused", "legacy-env"]);
    expect(bothRun.finding("config-refused")[0]).not.toContain("legacy_env");
    // Wrangler colours some words for a terminal: quoted as text, without its escape sequences (from a review).
    const removed = goodWith([["[env.staging]\n", "[env.staging]\nnode_compat = true\n"]]);
    const removedRun = await doctor(removed);
    expect(removedRun.codes).toContain("config-refused");
    expect(removedRun.finding("config-refused")[0]).toContain('Removed: "node_compat"');
    expect(removedRun.out.join("\n")).not.toMatch(/\x1b|\\u001b/);
  });
});

describe("ward init: writes nothing into a config wrangler refuses", () => {
  it("legacy_env, a refused name, or anything else wrangler refuses: init stops, the file as it was", {
    timeout: TIMEOUT,
  }, async () => {
    const legacy = await init(goodWith([[TOP, `${TOP}legacy_env = false\n`]]));
    expect(legacy.status).toBe(EXIT.failed);
    expect(legacy.error).toContain("legacy_env = false is set: wrangler refuses the whole config");
    expect(legacy.error).toContain("delete the `legacy_env` line");

    const named = await init(goodWith([['name = "ward-staging"', 'name = "Ward-staging"']]));
    expect(named.status).toBe(EXIT.failed);
    expect(named.error).toContain('name = "Ward-staging" is not a Worker name wrangler takes');
    expect(named.error).toContain('set `name = "ward-staging"` under [env.staging]');

    const blank = await init(goodWith([['name = "ward-staging"', 'name = ""']]));
    expect(blank.status).toBe(EXIT.failed);
    expect(blank.error).toContain("refuses to deploy a Worker without one");

    // The environment as init would write it already, but with a var wrangler refuses: not "nothing changed".
    const date = await init(
      goodWith([['ASSERTION_ISSUER = "ward-staging"\n', 'ASSERTION_ISSUER = "ward-staging"\nSINCE = 2026-12-06\n']]),
    );
    expect(date.status).toBe(EXIT.failed);
    expect(date.error).toContain("wrangler would refuse");
    expect(date.error).toContain('"env.staging.vars.SINCE" is a TOML date');
  });

  it("a blank top-level name: init writes ward-ENV (not -ENV), which wrangler takes", {
    timeout: TIMEOUT,
  }, async () => {
    const run = await init(
      goodWith([
        ['name = "ward-staging"\n', ""],
        [TOP, 'name = ""\nmain = "worker/index.ts"\n'],
      ]),
    );
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(EXIT.ok);
    expect((await readWranglerConfig(run.file)).environments.staging?.name).toBe("ward-staging");
    expect(wranglerReads(run.file, "staging")).toMatchObject({ name: "ward-staging" });
  });
});
