// The backstop: whatever wrangler's own reader refuses in the environment's config is an error, so that doctor
// never passes a config that cannot deploy as checked (`legacy_env`, a name outside wrangler's rule, a var of a
// TOML date, a binding without its id, ...). Where a check of doctor's own reports the refusal, with the key and
// what to write, wrangler's line for it is not repeated; every other line is shown as wrangler words it.
import { envWhere, type DoctorContext, type Finding, type FindingCode } from "./types.ts";

/** wrangler's diagnostics that a doctor error reports already, and the codes that do. */
const REPORTED: readonly { codes: readonly FindingCode[]; line: RegExp }[] = [
  { codes: ["legacy-env"], line: /^The "legacy_env" field is no longer supported/ },
  { codes: ["worker-name-invalid"], line: /^Expected "name" to be of type string, alphanumeric and lowercase/ },
  { codes: ["routes-conflict"], line: /^Expected exactly one of the following fields \["routes","route"\]/ },
  { codes: ["secret-as-var"], line: /^\S+ assigned to Environment Variable and Secret bindings\.$/ },
  { codes: ["binding-duplicate"], line: /^\S+ assigned to .+ bindings\.$/ },
  { codes: ["binding-duplicate", "secret-as-var"], line: /^Bindings must have unique names/ },
  { codes: ["id-missing"], line: /^"env\.[^"]+\.vpc_services\[\d+\]" bindings must have a "service_id" field/ },
];

/** wrangler's lines that no error in `codes` reports: those doctor must still show. */
export function unreported(lines: readonly string[], codes: ReadonlySet<string>): string[] {
  return lines.filter((line) => !REPORTED.some((r) => r.line.test(line) && r.codes.some((code) => codes.has(code))));
}

/** One error for every refusal no other finding reports (none when wrangler reads the config). */
export function refusalFindings(ctx: DoctorContext, findings: readonly Finding[]): Finding[] {
  const errors = new Set(findings.filter((f) => f.severity === "error").map((f) => f.code));
  const lines = unreported(ctx.wranglerRefuses ?? [], errors);
  if (lines.length === 0) return [];
  return [
    {
      severity: "error",
      code: "config-refused",
      where: envWhere(ctx),
      message: `wrangler refuses the config as \`wrangler deploy --env ${ctx.envName}\` reads it: ${lines.join("; ")}`,
      fix: `correct what wrangler names (\`npx wrangler deploy --env ${ctx.envName} --dry-run\` reads it the same way)`,
    },
  ];
}
