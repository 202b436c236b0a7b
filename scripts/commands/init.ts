import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import {
  issuerKeyText,
  loadPolicy,
  normaliseHex,
  type PolicyDocument,
  readIssuerCertificate,
} from "../../policy/index.ts";
import { closest } from "../../policy/suggest.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { isTable, readWranglerConfig, tables, type WranglerConfig, wranglerRefusals } from "../doctor/config.ts";
import { legacyEnvProblem } from "../doctor/legacy-env.ts";
import { workerNameProblem } from "../doctor/worker-name.ts";
import { unreported } from "../doctor/wrangler-refusals.ts";
import { policyPlaceholders } from "../doctor/placeholders.ts";
import { customDomainsOnly, hostsNotRouted } from "../doctor/routes.ts";
import { applyPlan, unmet } from "../init/apply-plan.ts";
import { WEBHOOK } from "../doctor/breakglass.ts";
import { secretNames, SIGNING_KEYS } from "../doctor/secrets.ts";
import { planEnvironment, planOrigins } from "../init/environment-plan.ts";
import { originNameTaken } from "../init/origin-names.ts";
import { nextSteps } from "../init/next-steps.ts";
import { type InitOptions, parseInitArgs, usage as initUsage } from "../init/options.ts";
import { isPlaceholderId } from "../init/placeholders.ts";
import { renderPolicy, serviceName } from "../init/policy-template.ts";
import { type Ask, askForMissing } from "../init/prompts.ts";
import { serviceDomain } from "../init/service-hosts.ts";
import { sameValue } from "../init/toml-values.ts";
import type { Io } from "../io.ts";

export const usage = initUsage;

/** Questions go to stderr, so that stdout stays what a script would read. */
function terminalAsk(): { ask: Ask; close: () => void } {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return {
    ask: async (question, fallback) => {
      const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ""}: `)).trim();
      return answer || fallback || "";
    },
    close: () => rl.close(),
  };
}

/** Everything but [env.NAME], so that a write can be shown to have left the rest alone. */
function withoutEnv(config: WranglerConfig, name: string): unknown {
  const { env, ...top } = config.top as Record<string, unknown>;
  const others = { ...(env as Record<string, unknown> | undefined) };
  delete others[name];
  return { top, others };
}

/**
 * Writes `text` as the config only after wrangler's own parser has read it back and found every requirement
 * met and every other table unchanged; then atomically (a rename), so a failure leaves the old file whole.
 */
async function writeChecked(
  file: string,
  text: string,
  before: WranglerConfig,
  options: InitOptions,
  requirements: ReturnType<typeof planEnvironment>,
): Promise<void> {
  const probe = join(tmpdir(), `ward-init-${process.pid}-${Date.now()}.toml`);
  let after: WranglerConfig;
  let refused: string[];
  try {
    await writeFile(probe, text);
    after = await readWranglerConfig(probe).catch((error: CliError) => {
      throw new CliError(`the edited ${file} would not parse (${error.message})`, EXIT.failed);
    });
    refused = await wranglerRefusals(probe, options.env);
  } finally {
    await rm(probe, { force: true });
  }
  const missing = unmet(after.environments[options.env], requirements);
  const elsewhere = !sameValue(withoutEnv(before, options.env), withoutEnv(after, options.env));
  if (missing.length > 0 || elsewhere) {
    throw new CliError(
      `cannot update [env.${options.env}] in ${file} in place (it is written in a form ward init does not edit: ` +
        `inline tables or dotted keys?); nothing was written. Set by hand: ${missing.join(", ") || "(see the diff)"}`,
      EXIT.failed,
    );
  }
  refuseWhatWranglerRefuses(file, refused, after, options.env);
  const next = `${file}.ward-init.tmp`;
  await writeFile(next, text);
  await rename(next, file);
}

/** A var of a secret's name in [env.NAME]: init says to remove it (it deletes nothing the operator wrote). */
function secretVars(config: WranglerConfig, name: string): string[] {
  const env = config.environments[name];
  const vars = env && isTable(env.vars) ? Object.keys(env.vars) : [];
  return vars.filter((v) => secretNames(config.top, env).includes(v));
}

/**
 * init never leaves a config wrangler refuses for [env.NAME] while saying it is done: what wrangler's reader
 * refuses in it (`refused`) stops init, with nothing written, unless it is a var of a secret's name, which init
 * reports itself (below, as doctor's secret-as-var) and leaves for the operator to remove.
 */
function refuseWhatWranglerRefuses(file: string, refused: string[], config: WranglerConfig, name: string): void {
  const said = new Set(secretVars(config, name).length > 0 ? ["secret-as-var"] : []);
  const lines = unreported(refused, said);
  if (lines.length > 0)
    throw new CliError(
      `wrangler would refuse ${file} for ${name} (${lines.join("; ")}); nothing was written: correct it, then run ward init again`,
      EXIT.failed,
    );
}

/** What ward init does not rewrite and wrangler refuses: `legacy_env`, and a Worker name outside wrangler's rule. */
function refuseConfig(file: string, config: WranglerConfig, name: string): void {
  const legacy = legacyEnvProblem(config.top);
  if (legacy)
    throw new CliError(`${file} (top level): ${legacy.message}; nothing was written. Fix: ${legacy.fix}`, EXIT.failed);
  const env = config.environments[name];
  const problem = workerNameProblem(config.top, env, name);
  // A name init would write itself (the environment has none) is one wrangler takes; one written is kept.
  if (problem && (problem.table === "top" || env?.name !== undefined))
    throw new CliError(
      `${file} ${problem.table === "top" ? "(top level)" : `[env.${name}]`}: ${problem.message}; nothing was written. Fix: ${problem.fix}`,
      EXIT.failed,
    );
}

export async function initCommand(args: string[], io: Io, ask?: Ask): Promise<number> {
  let options = parseInitArgs(args);
  if (!existsSync(options.config))
    throw new CliError(`${options.config} does not exist: run ward init in the project's directory (or give --config)`);
  const config = await readWranglerConfig(options.config);
  refuseConfig(options.config, config, options.env);
  let env = config.environments[options.env];

  const terminal = !ask && process.stdin.isTTY ? terminalAsk() : undefined;
  try {
    const asker = ask ?? terminal?.ask;
    if (asker) options = await askForMissing(args, options, config.top, env, asker);
  } finally {
    terminal?.close();
  }

  const origins = planOrigins(config.top, env, options.origins);
  // Flags were checked against the Worker's own names; these, the config's (bound already, or the top level's).
  for (const { binding } of origins) {
    const taken = originNameTaken(binding, config.top, env, options.env);
    if (taken)
      throw new CliError(
        `origin ${binding}: ${binding} is ${taken} in ${options.config}; an origin needs a binding name of its own (give it another with --origin, and use that name in the policy's origin: { tunnel: NAME })`,
      );
  }
  for (const binding of Object.keys(options.vpcServiceIds))
    if (!origins.some((o) => o.binding === binding)) {
      const bindings = origins.map((o) => o.binding);
      // A misspelling, or a name cut short (PAYMENTS for PAYMENTS_API).
      const meant = closest(binding, bindings) ?? bindings.find((b) => b.startsWith(binding) || binding.startsWith(b));
      throw new CliError(
        `--vpc-service ${binding}: no origin ${binding} (${meant ? `did you mean ${meant}? or ` : ""}add --origin ${binding})`,
      );
    }

  // The config: only [env.NAME], only what is not already right.
  const requirements = planEnvironment(config.top, env, options);
  const text = await readFile(options.config, "utf8");
  const { text: edited, changes } = applyPlan(text, options.env, env, requirements);
  const where = `${options.config} [env.${options.env}]`;
  if (changes.length === 0) {
    refuseWhatWranglerRefuses(options.config, await wranglerRefusals(options.config, options.env), config, options.env);
    io.out(`${where}: already as ward init would write it, nothing changed`);
  } else {
    await writeChecked(options.config, edited, config, options, requirements);
    io.out(`${where}: ${changes.length} change${changes.length === 1 ? "" : "s"}`);
    for (const change of changes) io.out(`  ${change}`);
    env = (await readWranglerConfig(options.config)).environments[options.env];
  }

  // The policy: written once, never rewritten (from then on it is the operator's).
  let policyText: string;
  if (existsSync(options.policy)) {
    policyText = await readFile(options.policy, "utf8");
    io.out(`${options.policy}: exists, left as it is`);
  } else {
    const domain = serviceDomain(options.domain, options.routes, env);
    const services = origins.map((o) => ({
      name: serviceName(o.binding),
      host: `${serviceName(o.binding)}.${domain}`,
      binding: o.binding,
    }));
    policyText = renderPolicy({
      env: options.env,
      services,
      trustDomain: options.trustDomain ?? domain,
      owner: options.owner,
      teamDomain: options.teamDomain,
      audiences: options.audiences,
      caSki: options.caSki,
      caCertificate: options.caCertificate,
      adminGroup: options.adminGroup,
      adminToken: options.adminToken,
    });
    // The template is ours: a starting policy that does not validate is a bug here, never written.
    if (!(await loadPolicy(policyText)).ok)
      throw new CliError(`the starting policy for ${options.env} does not validate`, EXIT.failed);
    await mkdir(dirname(options.policy), { recursive: true });
    await writeFile(options.policy, policyText);
    io.out(`${options.policy}: written (${services.map((s) => s.name).join(", ")}: workloads and people side by side)`);
  }
  const loaded = await loadPolicy(policyText);
  const document = loaded.ok ? loaded.policy.document : undefined;
  // init never rewrites a policy: a CA flag the existing one does not pin is said, not silently dropped.
  const unpinned = document ? caNotPinned(document, options) : undefined;
  if (unpinned) io.out(`${options.policy}: ${unpinned}`);

  const hosts = Object.values(document?.services ?? {}).flatMap((s) => s.hosts);
  const unroutedHosts = hostsNotRouted(config.top, env, hosts);
  const kv = tables(env?.kv_namespaces).find((t) => t.binding === "POLICY");
  const secrets = [SIGNING_KEYS, WEBHOOK];
  // A var of a secret's name (written before, by hand): init deletes nothing, it says so.
  const envVars = env && isTable(env.vars) ? Object.keys(env.vars) : [];
  for (const name of envVars.filter((v) => secretNames(config.top, env).includes(v)))
    io.out(
      `${where}: ${name} is a var, and a secret's name: wrangler refuses the config while secrets.required names it too (else the Worker reads the var in its place); remove it from [env.${options.env}.vars] (ward doctor: secret-as-var)`,
    );
  const steps = nextSteps({
    env: options.env,
    configFlag: options.config === "wrangler.toml" ? "" : ` --config ${options.config}`,
    policy: options.policy,
    policyFlag:
      options.policy === join(dirname(options.config), "policy", `${options.env}.yaml`)
        ? ""
        : ` --policy ${options.policy}`,
    kvPlaceholder: typeof kv?.id !== "string" || isPlaceholderId(kv.id),
    vpcPlaceholders: origins.filter((o) => {
      const id = tables(env?.vpc_services).find((t) => t.binding === o.binding)?.service_id;
      return typeof id !== "string" || isPlaceholderId(id);
    }),
    tunnelId: options.tunnelId,
    hosts,
    unrouted: { hosts: unroutedHosts, customDomains: customDomainsOnly(config.top, env) },
    policyPlaceholders: document ? policyPlaceholders(document) : [],
    secrets,
  });
  io.out("");
  io.out(
    `Still to do for ${options.env}, in this order (each needs your Cloudflare account, so ward init cannot do it):`,
  );
  for (const line of steps) io.out(line);
  return EXIT.ok;
}

/** What a --ca-cert or --ca-ski names that the existing policy does not pin, as a line for the operator. */
function caNotPinned(
  document: PolicyDocument,
  options: { caCertificate?: string; caSki?: string },
): string | undefined {
  const issuers = document.identity.mtls?.issuers ?? [];
  if (options.caCertificate !== undefined) {
    const wanted = readIssuerCertificate(options.caCertificate);
    if (!wanted.ok) return undefined; // refused when the flag was read
    const key = issuerKeyText(wanted.certificate);
    const pinned = issuers.some((pin) => {
      if (!("certificate" in pin)) return false;
      const read = readIssuerCertificate(pin.certificate);
      return read.ok && issuerKeyText(read.certificate) === key;
    });
    if (!pinned)
      return `does not pin the CA of --ca-cert (SKI ${wanted.certificate.ski}), and ward init leaves an existing policy as it is: add it under identity.mtls.issuers yourself`;
  }
  if (options.caSki !== undefined) {
    const ski = normaliseHex(options.caSki);
    const skiOf = (pin: (typeof issuers)[number]): string | undefined => {
      if ("ski" in pin) return normaliseHex(pin.ski);
      const read = "certificate" in pin ? readIssuerCertificate(pin.certificate) : undefined;
      return read?.ok ? read.certificate.ski : undefined;
    };
    if (!issuers.some((pin) => skiOf(pin) === ski))
      return `does not pin the CA of --ca-ski (${options.caSki}), and ward init leaves an existing policy as it is: add it under identity.mtls.issuers yourself`;
  }
  return undefined;
}
