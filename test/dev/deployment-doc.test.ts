// docs/deployment.md is a script, run against a fresh copy of the repository (the files git tracks): every `$`
// command that needs no network runs in order and must print each output line the page shows; `ward push`,
// `rollback`, `history` and `exceptions` run against a local gateway serving the same policy; a yaml block that
// starts with `# policy/staging.yaml` is merged into that file where it stands. Commands that talk to
// Cloudflare are checked against wrangler's own --help. Then `wrangler deploy --dry-run` runs for every
// environment the guide did not dry-run itself, and any warning the guide does not explain fails.
//
// It is also the walk from a clone to an environment: `ward init --env staging` with flags, `ward doctor`
// listing exactly the steps that need Cloudflare, `wrangler deploy --dry-run --env staging` succeeding.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument, stringify } from "yaml";
import { adminAnswersOn, loadPolicy } from "../../policy/index.ts";
import { readWranglerConfig } from "../../scripts/doctor/config.ts";
import { startLocalGateway, type LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { wardLines } from "../support/ward-cli.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const page = readFileSync(join(ROOT, "docs/deployment.md"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "ward-deployment-doc-"));
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
// wrangler offline: no metrics, and no cf.json fetch.
const WRANGLER_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
};

type Step = { kind: "command"; command: string; expected: string[] } | { kind: "policy"; file: string; yaml: string };

/** The page's `$` lines (with the lines shown after each) and its policy blocks, in order. */
function steps(markdown: string): Step[] {
  const out: Step[] = [];
  for (const block of markdown.matchAll(/```(\w*)\n([\s\S]*?)```/g)) {
    const [, lang, body] = block as unknown as [string, string, string];
    if (lang === "yaml") {
      const file = /^# (policy\/\S+\.yaml)\n/.exec(body)?.[1];
      if (file) out.push({ kind: "policy", file, yaml: body });
      continue;
    }
    if (lang !== "sh") continue;
    for (const line of body.split("\n")) {
      if (line.startsWith("$ ")) out.push({ kind: "command", command: line.slice(2), expected: [] });
      else if (line.trim() !== "" && out.at(-1)?.kind === "command")
        (out.at(-1) as { expected: string[] }).expected.push(line);
    }
  }
  return out;
}

/** Shell-like words: spaces split, double and single quotes group. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

const normal = (line: string) =>
  line
    .replace(/\x1b\[[0-9;]*m/g, "")
    .trim()
    .replace(/\s+/g, " ");

/** A shown line as a pattern: `<...>` is any value. */
function pattern(line: string): RegExp {
  const parts = normal(line).split(/<[^>]+>/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+?")}$`);
}

function expectShown(command: string, output: string, expected: readonly string[]): void {
  const lines = output.split("\n").map(normal);
  for (const line of expected) {
    const wanted = pattern(line);
    expect(
      lines.some((l) => wanted.test(l)),
      `${command}\nshould print: ${line}\nprinted:\n${output}`,
    ).toBe(true);
  }
}

/** Objects merge key by key; anything else (lists included) is replaced. */
function merge(into: unknown, from: unknown): unknown {
  if (typeof into !== "object" || into === null || Array.isArray(into)) return from;
  if (typeof from !== "object" || from === null || Array.isArray(from)) return from;
  const out: Record<string, unknown> = { ...(into as Record<string, unknown>) };
  for (const [key, value] of Object.entries(from)) out[key] = merge(out[key], value);
  return out;
}

/** The Cloudflare steps, as `ward init` lists them and as `ward doctor` reports them. */
function initSteps(output: string): string[] {
  const found: string[] = [];
  for (const line of output.split("\n")) {
    if (/^\s+\d+\. npx wrangler kv namespace create /.test(line)) found.push("kv namespace");
    const vpc = /^\s+\d+\. npx wrangler vpc service create ward-staging-(\S+) /.exec(line);
    if (vpc) found.push(`vpc service ${vpc[1]}`);
    const secret = /secret put (\S+) --env/.exec(line);
    if (secret) found.push(`secret ${secret[1]}`);
    const placeholder = /^\s+((?:identity|admin)\.\S+):/.exec(line);
    if (placeholder) found.push(`policy ${placeholder[1]}`);
  }
  return found.sort();
}

function doctorSteps(output: string): string[] {
  const found: string[] = [];
  for (const line of output.split("\n")) {
    if (/^error\[id-placeholder\] \S+ \[env\.staging\.kv_namespaces\]/.test(line)) found.push("kv namespace");
    const vpc = /^error\[id-placeholder\] \S+ \[env\.staging\.vpc_services\]: (\S+):/.exec(line);
    if (vpc) found.push(`vpc service ${vpc[1]!.toLowerCase().replaceAll("_", "-")}`);
    const placeholder = /^error\[policy-placeholder\] \S+ (\S+):/.exec(line);
    if (placeholder) found.push(`policy ${placeholder[1]}`);
    const secrets = /^note: secrets cannot be seen offline; to check that (.+) (?:is|are) set/.exec(line);
    if (secrets) for (const name of secrets[1]!.split(", ")) found.push(`secret ${name}`);
  }
  return found.sort();
}

let gateway: LocalGateway | undefined;
const previousCwd = process.cwd();
const dryRun = new Map<string, string>();

beforeAll(() => {
  // A fresh clone: what git tracks, and the installed dependencies.
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(scratch, file)), { recursive: true });
    writeFileSync(join(scratch, file), readFileSync(join(ROOT, file)));
  }
  symlinkSync(join(ROOT, "node_modules"), join(scratch, "node_modules"));
  process.chdir(scratch);
});

afterAll(async () => {
  process.chdir(previousCwd);
  await gateway?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("docs/deployment.md", () => {
  it("documents every var the Worker reads (worker/env.ts), with its default", () => {
    const env = readFileSync(join(ROOT, "worker/env.ts"), "utf8");
    const vars = [...env.matchAll(/^\s+([A-Z][A-Z0-9_]+)\?: string(?: \| number)?;/gm)]
      .map((m) => m[1]!)
      .filter((name) => name !== "ASSERTION_SIGNING_KEYS");
    expect(vars.length).toBeGreaterThanOrEqual(8);
    const rows = new Map(
      [...page.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]),
    );
    expect(vars.filter((name) => !rows.has(name))).toEqual([]);
  });

  it("runs as written on a fresh copy of the repository", async () => {
    const all = steps(page);
    const commands = all.flatMap((s) => (s.kind === "command" ? [s.command] : []));
    expect(commands.length).toBeGreaterThanOrEqual(30);
    let wardUrl = "";
    let firstInit: string | undefined;
    let checkedSteps = false;
    const needCloudflare: string[] = [];
    const secretsPut: string[] = [];
    for (const step of all) {
      if (step.kind === "policy") {
        const file = join(scratch, step.file);
        const merged = merge(parseDocument(readFileSync(file, "utf8")).toJS(), parseDocument(step.yaml).toJS());
        writeFileSync(file, stringify(merged));
        continue;
      }
      const { command, expected } = step;
      const exported = /^export WARD_URL=(\S+)/.exec(command);
      if (exported) {
        wardUrl = exported[1]!;
        continue;
      }
      if (/^(cloudflared|openssl|curl) /.test(command)) continue; // on other hosts: not checked here
      // What `wrangler secret list` would print, piped into the next part: the secrets the page has put so far.
      let piped: string | undefined;
      for (const part of command.split(" | ")) {
        const fromPipe = piped;
        piped = undefined;
        if (part.startsWith("npm run ")) {
          let args = words(part).slice(part.includes("--silent") ? 5 : 4);
          if (fromPipe !== undefined && args.includes("-")) {
            const file = join(scratch, ".piped-input");
            writeFileSync(file, fromPipe);
            args = args.map((a) => (a === "-" ? file : a));
          }
          const { status, output } = await runWard(args, wardUrl);
          if (args[0] === "doctor") {
            // doctor fails (1) exactly when the page shows an error.
            expect(status, output).toBe(expected.some((l) => l.startsWith("error[")) ? 1 : 0);
            if (firstInit && !checkedSteps) {
              // Right after ward init, doctor's errors are exactly the steps init listed that need Cloudflare.
              expect(doctorSteps(output)).toEqual(initSteps(firstInit));
              expect(new Set(output.split("\n").flatMap((l) => /^(\w+\[[a-z-]+\])/.exec(l)?.[1] ?? []))).toEqual(
                new Set(["error[id-placeholder]", "error[policy-placeholder]"]),
              );
              checkedSteps = true;
            }
          } else {
            expect(`${part} -> ${status}\n${output}`).toMatch(/ -> 0\n/);
          }
          if (args[0] === "init" && !firstInit) firstInit = output;
          expectShown(part, output, part === command.split(" | ").at(-1) ? expected : []);
        } else if (part.startsWith("npx wrangler deploy --dry-run")) {
          const args = words(part).slice(2);
          const env = args[args.indexOf("--env") + 1]!;
          const output = await dryRunOf(env);
          expectShown(part, output, expected);
        } else if (part.startsWith("npx wrangler ")) {
          needCloudflare.push(part);
          const put = /^npx wrangler secret put (\S+) /.exec(part);
          if (put) secretsPut.push(put[1]!);
          if (part.startsWith("npx wrangler secret list "))
            piped = JSON.stringify(
              secretsPut.map((name) => ({ name, type: "secret_text" })),
              null,
              "  ",
            );
        } else {
          throw new Error(`the page has a command this test cannot check: ${part}`);
        }
      }
    }
    expect(checkedSteps).toBe(true);
    // The admin API answers only on a host no service names: the page's WARD_URL must be one.
    const staging = await loadPolicy(readFileSync(join(scratch, "policy/staging.yaml"), "utf8"));
    if (!staging.ok) throw new Error("policy/staging.yaml does not load");
    expect(wardUrl).not.toBe("");
    expect(adminAnswersOn(staging.policy, new URL(wardUrl).host), wardUrl).toBe(true);
    await takeTheirFlags(needCloudflare);
  }, 240_000);

  it("every environment in wrangler.toml passes wrangler's dry run, with no warning the page does not explain", async () => {
    const config = await readWranglerConfig(join(scratch, "wrangler.toml"));
    const names = Object.keys(config.environments);
    expect(names).toEqual(expect.arrayContaining(["staging", "production"]));
    // Once per environment, two at a time: each is a full esbuild bundle.
    await Promise.all(names.map((name) => dryRunOf(name)));
    for (const name of names) {
      const output = dryRun.get(name)!;
      expect(output, name).toContain("--dry-run: exiting now.");
      const warnings = output
        .split("\n")
        .map(normal)
        // A warning is a bullet under wrangler's "environment configuration" heading.
        .filter((l) => /^- ".+"/.test(l) && !l.endsWith("environment configuration"))
        .map((l) => l.replaceAll(`"env.${name}"`, '"env.staging"'));
      for (const warning of warnings) expect(normal(page).includes(warning), `${name}: ${warning}`).toBe(true);
    }
  }, 120_000);
});

/** `wrangler deploy --dry-run --env NAME` in the scratch copy, once per environment. */
async function dryRunOf(env: string): Promise<string> {
  const done = dryRun.get(env);
  if (done !== undefined) return done;
  const outdir = join(scratch, `.dry-run-${env}`);
  const { stdout, stderr } = await run(WRANGLER, ["deploy", "--dry-run", "--env", env, "--outdir", outdir], {
    cwd: scratch,
    env: WRANGLER_ENV,
  });
  const output = `${stdout}\n${stderr}`;
  dryRun.set(env, output);
  return output;
}

/** A ward command: offline ones as they are; those that need a deployed gateway against a local one. */
async function runWard(args: string[], wardUrl: string): Promise<{ status: number; output: string }> {
  const envAt = args.indexOf("--env");
  const admin =
    ["push", "rollback", "history", "exceptions", "breakglass"].includes(args[0]!) && !args.includes("--bootstrap");
  if (!admin || envAt === -1) return wardLines(...args);
  if (!gateway) {
    const text = readFileSync(join(scratch, "policy/staging.yaml"), "utf8");
    const loaded = await loadPolicy(text);
    if (!loaded.ok) throw new Error(`policy/staging.yaml does not load: ${JSON.stringify(loaded.issues)}`);
    gateway = await startLocalGateway({
      policy: loaded.policy,
      policyText: text,
      port: 0,
      origins: {},
      onLog: () => {},
    });
  }
  const port = gateway.url.port;
  const local = [...args.slice(0, envAt), "--local", "--port", port, ...args.slice(envAt + 2)];
  const result = await wardLines(...local);
  // What a deployed run prints names the environment and its URL where the local one names itself.
  const output = result.output.replaceAll(
    `the local gateway on 127.0.0.1:${port} as admin@example.com`,
    `staging at ${new URL(wardUrl).origin}`,
  );
  return { status: result.status, output };
}

/**
 * Wrangler commands that need Cloudflare: each exists and takes every flag given, from wrangler's own --help.
 * Commands of one kind (the first three words, e.g. `vpc service create`) share one --help run.
 */
async function takeTheirFlags(commands: readonly string[]): Promise<void> {
  const groups = new Map<string, string[][]>();
  for (const command of commands) {
    const args = words(command.replace(/\s*>>?\s*\S+$/, "")).slice(2);
    const firstFlag = args.findIndex((a) => a.startsWith("-"));
    const leading = args.slice(0, firstFlag === -1 ? args.length : firstFlag);
    const key = leading.slice(0, 3).join(" ");
    groups.set(key, [...(groups.get(key) ?? []), args]);
  }
  const entries = [...groups.values()];
  // Two at a time: each is a wrangler process.
  for (let i = 0; i < entries.length; i += 2) {
    await Promise.all(
      entries.slice(i, i + 2).map(async (group) => {
        const first = group[0]!;
        const firstFlag = first.findIndex((a) => a.startsWith("-"));
        const { stdout } = await run(
          WRANGLER,
          [...first.slice(0, firstFlag === -1 ? first.length : firstFlag), "--help"],
          {
            cwd: scratch,
            env: WRANGLER_ENV,
          },
        );
        // wrangler's help starts with the command's usage line, e.g. "wrangler kv namespace create <namespace>":
        // each leading word of the page's command is that command's word or fills one of its positionals.
        const usage = stdout.trim().split("\n")[0]!.split(" ");
        expect(usage[0]).toBe("wrangler");
        for (const args of group) {
          const command = `npx wrangler ${args.join(" ")}`;
          const flagAt = args.findIndex((a) => a.startsWith("-"));
          args.slice(0, flagAt === -1 ? args.length : flagAt).forEach((word, i) => {
            const expected = usage[i + 1];
            expect(expected, `${command}: "${word}"`).toBeDefined();
            if (!/^[<[]/.test(expected!)) expect(word, command).toBe(expected);
          });
          for (const flag of args.filter((a) => a.startsWith("--")))
            expect(stdout, `${command}: ${flag}`).toContain(flag.split("=")[0]);
        }
      }),
    );
  }
}
