import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { reach, reachReport, type ExceptionGrant } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { loadPolicyFile } from "../policy-file.ts";
import { readExceptions } from "../reach/exceptions.ts";
import { reachHtml } from "../reach/html.ts";
import { reachJson, reachText } from "../reach/text.ts";

export const usage = `ward reach FILE [--format text|json|html] [--exceptions FILE.json] [--out FILE]
    who can reach what: every grant by identity and by route, with summary figures`;

export async function reachCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: "string", default: "text" }, exceptions: { type: "string" }, out: { type: "string" } },
  });
  const [file, ...rest] = positionals;
  if (!file || rest.length > 0) throw new CliError(`expected one policy FILE\n${usage}`);
  const format = values.format;
  if (format !== "text" && format !== "json" && format !== "html") throw new CliError(`--format ${format}: expected text, json or html`);
  const policy = await loadPolicyFile(file, io.err);
  const exceptions: ExceptionGrant[] = values.exceptions ? await readExceptions(values.exceptions, policy) : [];
  const report = reachReport(reach(policy, { exceptions }));
  const text =
    format === "html"
      ? reachHtml(report, file)
      : format === "json"
        ? reachJson(report, { policy: file, policyVersion: policy.version, exceptions: exceptions.length })
        : reachText(report).join("\n");
  if (values.out) {
    await writeFile(values.out, text + "\n");
    io.err(`wrote ${values.out}`);
  } else {
    io.out(text);
  }
  return EXIT.ok;
}
