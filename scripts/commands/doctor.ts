import { parseArgs } from "node:util";
import { CliError, EXIT } from "../cli-error.ts";
import { readWranglerConfig } from "../doctor/config.ts";
import { formatFinding, runChecks } from "../doctor/run.ts";
import { secretsReminder } from "../doctor/secrets.ts";
import { plural, type DoctorContext } from "../doctor/types.ts";
import type { Io } from "../io.ts";
import { compilePolicyText, readPolicyText } from "../policy-file.ts";

export const usage = `ward doctor --env ENV [--config wrangler.toml] [--policy FILE] [--secrets NAME,NAME]
    check an environment's wrangler config (and the policy it will serve) before deploying:
    exposure, bindings, origins, secrets, environment; exit 1 when there are errors`;

export async function doctorCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      env: { type: "string" },
      config: { type: "string", default: "wrangler.toml" },
      policy: { type: "string" },
      secrets: { type: "string" },
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

  let policy: DoctorContext["policy"];
  if (values.policy !== undefined) {
    const compiled = await compilePolicyText(values.policy, await readPolicyText(values.policy), io.err);
    policy = { label: values.policy, document: compiled.document };
  }
  const secrets = values.secrets
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

  const ctx: DoctorContext = { envName, configLabel: values.config, top: config.top, env, policy, secrets };
  const findings = runChecks(ctx);
  for (const finding of findings) for (const line of formatFinding(finding)) io.out(line);
  const reminder = secretsReminder(ctx);
  if (reminder) io.out(reminder);
  if (!policy) io.out("note: no --policy: origins, Access and audit mode were not checked");

  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  const subject = `${values.config} [env.${envName}]${policy ? ` with ${policy.label}` : ""}`;
  io.out(`${subject}: ${errors === 0 ? "ok" : plural(errors, "error")}, ${plural(warnings, "warning")}`);
  return errors === 0 ? EXIT.ok : EXIT.failed;
}
