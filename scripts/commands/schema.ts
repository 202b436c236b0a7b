import { parseArgs } from "node:util";
import { policyJsonSchema } from "../../policy/index.ts";
import { EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { writeOutput } from "../output-file.ts";

export const usage = "ward schema [--out FILE]       write the policy JSON Schema (stdout by default)";

export async function schemaCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: "string" } } });
  const text = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
  if (values.out) {
    await writeOutput("--out", values.out, text);
    io.err(`wrote ${values.out}`);
  } else {
    io.out(text.trimEnd());
  }
  return EXIT.ok;
}
