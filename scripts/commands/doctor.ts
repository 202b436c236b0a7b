import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { CliError, EXIT } from "../cli-error.ts";
import { readWranglerConfig, wranglerRefusals } from "../doctor/config.ts";
import { formatFinding, runChecks } from "../doctor/run.ts";
import { parseSecretList } from "../doctor/secret-list.ts";
import { secretsReminder } from "../doctor/secrets.ts";
import { tokenIssuersOfflineNote } from "../doctor/token-issuers.ts";
import { plural, type DoctorContext } from "../doctor/types.ts";
import { parseVpcServiceDescriptions, vpcServicesReminder } from "../doctor/vpc-services.ts";
import type { Io } from "../io.ts";
import { readProcessStdin, type ReadStdin } from "../logs/read.ts";
import { compilePolicyWithWarnings, readPolicyText } from "../policy-file.ts";

export const usage = `ward doctor --env ENV [--config wrangler.toml] [--policy FILE] [--secrets NAME,NAME | --secret-list FILE]
    [--vpc-services FILE] [--offline]
    check an environment's wrangler config and the policy it will serve (by default policy/ENV.yaml beside the
    config) before deploying: exposure, routes, bindings, placeholders, origins, secrets, issuer, environment,
    token issuers' keys (fetched as the gateway fetches them; --offline: not fetched);
    --secrets: the names \`wrangler secret list\` shows; --secret-list: its saved output (- for standard input);
    --vpc-services: the saved output of \`wrangler vpc service get ID\` for the VPC services' ports;
    exit 1 when there are errors`;

/** What tests replace: how token issuers' keys are fetched, and standard input. */
export interface DoctorDeps {
  fetch?: DoctorContext["fetch"];
  readStdin?: ReadStdin;
}

export async function doctorCommand(args: string[], io: Io, deps: DoctorDeps = {}): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      env: { type: "string" },
      config: { type: "string", default: "wrangler.toml" },
      policy: { type: "string" },
      secrets: { type: "string" },
      "secret-list": { type: "string" },
      "vpc-services": { type: "string" },
      offline: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${usage}`);
  const envName = values.env;
  if (!envName) throw new CliError(`--env ENV is required\n${usage}`);

  const config = await readWranglerConfig(values.config);
  const env = config.environments[envName];
  if (!env) {
    const known = Object.keys(config.environments);
    throw new CliError(
      `unknown environment "${envName}": ${values.config} has ${known.length ? `[env.${known.join("], [env.")}]` : "no [env.NAME] tables"}`,
    );
  }

  // The environment's own policy, where ward init puts it, unless another is named.
  const own = join(dirname(values.config), "policy", `${envName}.yaml`);
  const policyFile = values.policy ?? (existsSync(own) ? own : undefined);
  let policy: DoctorContext["policy"];
  if (policyFile !== undefined) {
    const compiled = await compilePolicyWithWarnings(policyFile, await readPolicyText(policyFile), io.err);
    policy = { label: policyFile, document: compiled.policy.document, warnings: compiled.warnings };
  }
  if (values.secrets !== undefined && values["secret-list"] !== undefined)
    throw new CliError(`give the secrets' names with --secrets or --secret-list, not both\n${usage}`);
  const secrets =
    values["secret-list"] !== undefined
      ? await readSecretList(values["secret-list"], deps.readStdin ?? readProcessStdin)
      : values.secrets
          ?.split(",")
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  let vpcServices: DoctorContext["vpcServices"];
  if (values["vpc-services"] !== undefined) {
    const file = values["vpc-services"];
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${file}: ${error.code ?? String(error)}`, EXIT.failed);
    });
    vpcServices = parseVpcServiceDescriptions(text);
    if (vpcServices.size === 0)
      throw new CliError(
        `${file}: no VPC service in it (save what \`wrangler vpc service get ID\` prints)`,
        EXIT.failed,
      );
  }

  const ctx: DoctorContext = {
    envName,
    configLabel: values.config,
    top: config.top,
    env,
    environments: config.environments,
    wranglerRefuses: await wranglerRefusals(values.config, envName),
    policy,
    secrets,
    vpcServices,
    offline: values.offline,
    fetch: deps.fetch,
  };
  const findings = await runChecks(ctx);
  for (const finding of findings) for (const line of formatFinding(finding)) io.out(line);
  for (const note of [secretsReminder(ctx), vpcServicesReminder(ctx), tokenIssuersOfflineNote(ctx)])
    if (note) io.out(note);
  if (!policy) io.out(`note: no policy (no --policy, no ${own}): origins, Access and audit mode were not checked`);

  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  const subject = `${values.config} [env.${envName}]${policy ? ` with ${policy.label}` : ""}`;
  io.out(`${subject}: ${errors === 0 ? "ok" : plural(errors, "error")}, ${plural(warnings, "warning")}`);
  return errors === 0 ? EXIT.ok : EXIT.failed;
}

/** The saved output of `wrangler secret list` ("-": standard input, as piped from it). */
async function readSecretList(file: string, readStdin: ReadStdin): Promise<string[]> {
  const text =
    file === "-"
      ? await readStdin()
      : await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${file}: ${error.code ?? String(error)}`, EXIT.failed);
        });
  return parseSecretList(text, file === "-" ? "standard input" : file);
}
