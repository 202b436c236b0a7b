import { parseArgs } from "node:util";
import { reach, reachReport, unknownGrantTargets, type TimedGrant } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { readGrants } from "../grants/read.ts";
import type { Io } from "../io.ts";
import { writeOutput } from "../output-file.ts";
import { loadPolicyFile } from "../policy-file.ts";
import { reachHtml } from "../reach/html.ts";
import { reachJson, reachText } from "../reach/text.ts";

export const usage = `ward reach FILE [--format text|json|html] [--grants FILE] [--out FILE]
    who can reach what: every grant by identity and by route, with summary figures
    --grants FILE   time-bounded grants to include (ward exceptions list --json; revoked and used-up ones are skipped)`;

export async function reachCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: "string", default: "text" }, grants: { type: "string" }, out: { type: "string" } },
  });
  const [file, ...rest] = positionals;
  if (!file || rest.length > 0) throw new CliError(`expected one policy FILE\n${usage}`);
  const format = values.format;
  if (format !== "text" && format !== "json" && format !== "html")
    throw new CliError(`--format ${format}: expected text, json or html`);
  const policy = await loadPolicyFile(file, io.err);
  const grants: TimedGrant[] = values.grants ? await readGrants(values.grants) : [];
  // A grant for a service or route the policy lacks: the file belongs to another policy (or this one lost
  // what it was granted on), so a report that left it out would mislead.
  const unknown = unknownGrantTargets(policy.document, grants);
  if (unknown.length > 0) throw new CliError(`--grants ${values.grants}: ${unknown.join("; ")}`, EXIT.failed);
  const report = reachReport(reach(policy, { grants }));
  const text =
    format === "html"
      ? reachHtml(report, file)
      : format === "json"
        ? reachJson(report, { policy: file, policyVersion: policy.version, grants: grants.length })
        : reachText(report).join("\n");
  if (values.out) {
    await writeOutput("--out", values.out, `${text}\n`);
    io.err(`wrote ${values.out}`);
  } else {
    io.out(text);
  }
  return EXIT.ok;
}
