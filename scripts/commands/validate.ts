import { parseArgs } from "node:util";
import { validatePolicyText, ALL_ISSUES_ON_A_WORKSTATION } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { printIssues, readPolicyText } from "../policy-file.ts";
import type { Io } from "../io.ts";

export const usage = "ward validate FILE [--json]   print every issue; exit 1 when there are errors";

export async function validateCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
  const [file, ...rest] = positionals;
  // One file a run: a second would be silently left unvalidated.
  if (rest.length > 0) throw new CliError(`unexpected ${rest[0]}: one policy FILE a run\n${usage}`);
  const result = validatePolicyText(await readPolicyText(file), { allIssuesUpTo: ALL_ISSUES_ON_A_WORKSTATION });
  const errors = result.issues.filter((i) => i.severity === "error").length;
  const warnings = result.issues.length - errors;
  if (values.json) {
    io.out(JSON.stringify({ ok: result.ok, issues: result.issues }, null, 2));
  } else {
    printIssues(file!, result.issues, io.out);
    io.out(
      result.ok
        ? `${file}: valid (${warnings} warning${warnings === 1 ? "" : "s"})`
        : `${file}: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`,
    );
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
