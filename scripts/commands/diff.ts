import { parseArgs } from "node:util";
import { diffReach, diffWidens, reach } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { loadPolicyFile } from "../policy-file.ts";
import { diffText, diffVerdict } from "../reach/text.ts";

export const usage = `ward diff OLD NEW [--format text|json]
    grants gained, lost and changed from OLD to NEW, and the changes beyond them (hosts, services,
    routing, identity sources); exit 4 on any change that may widen access`;

export async function diffCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: "string", default: "text" } },
  });
  const [oldFile, newFile, ...rest] = positionals;
  if (!oldFile || !newFile || rest.length > 0) throw new CliError(`expected OLD and NEW policy files\n${usage}`);
  const format = values.format;
  if (format !== "text" && format !== "json") throw new CliError(`--format ${format}: expected text or json`);
  const before = await loadPolicyFile(oldFile, io.err);
  const after = await loadPolicyFile(newFile, io.err);
  const diff = diffReach(reach(before), reach(after));
  const widened = diffWidens(diff);
  if (format === "json") {
    io.out(
      JSON.stringify(
        {
          old: { file: oldFile, policyVersion: before.version },
          new: { file: newFile, policyVersion: after.version },
          widened,
          summary: {
            gained: diff.gained.length,
            lost: diff.lost.length,
            changed: diff.changed.length,
            settings: diff.settings.length,
            verdict: diffVerdict(diff),
          },
          ...diff,
        },
        null,
        2,
      ),
    );
  } else {
    for (const line of diffText(diff)) io.out(line);
  }
  return widened ? EXIT.widened : EXIT.ok;
}
