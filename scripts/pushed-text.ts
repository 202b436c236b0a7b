// The policy text `ward push`, `ward shadow set` and `ward push --bootstrap` hand to the gateway. The Worker parses
// YAML only up to push's bound (its parser's memory), and JSON, read natively, up to a larger one: a YAML file
// past the first is sent in its JSON form, which is the same document and so the same version.
import { readFile, writeFile } from "node:fs/promises";
import {
  type CompiledPolicy,
  loadPolicy,
  MAX_POLICY_BYTES,
  MAX_YAML_UNITS,
  parsePolicyText,
  policyTooLarge,
  writtenAsJson,
  yamlUnits,
} from "../policy/index.ts";
import { CliError, EXIT } from "./cli-error.ts";
import type { Io } from "./io.ts";

const bytesOf = (text: string) => Buffer.byteLength(text, "utf8");

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Why the gateway would not parse this text as YAML (its bytes, or its units), or undefined. */
function overYamlBounds(text: string): string | undefined {
  if (bytesOf(text) > MAX_POLICY_BYTES)
    return `${bytesOf(text)} bytes of YAML, over the ${MAX_POLICY_BYTES / 1024} KiB`;
  if (yamlUnits(text, MAX_YAML_UNITS) > MAX_YAML_UNITS)
    return `YAML of over ${MAX_YAML_UNITS} units (scalars, keys, items), more than`;
  return undefined;
}

/**
 * FILE's text as the gateway can take it: the text itself, or (a YAML file past MAX_POLICY_BYTES or
 * MAX_YAML_UNITS) its JSON form, said on the way. Throws when neither fits, with `nothing` naming what did not
 * happen ("nothing pushed").
 */
export async function gatewayText(
  file: string,
  text: string,
  policy: CompiledPolicy,
  io: Io,
  nothing: string,
): Promise<string> {
  // Past the YAML bound the Worker reads only JSON: text that opens like JSON but is not (flow-style YAML) is
  // converted like any YAML, or it would be refused there (and a bootstrap of it would never load).
  const json = writtenAsJson(text) && isJson(text);
  const overYaml = json ? undefined : overYamlBounds(text);
  if (!policyTooLarge(text) && !overYaml) return text;
  if (!json) {
    const parsed = parsePolicyText(text);
    for (const indent of [2, 0]) {
      const json = parsed.ok ? JSON.stringify(parsed.value, null, indent) : undefined;
      if (json === undefined || policyTooLarge(json)) continue;
      // The same document, or nothing is sent: a YAML value JSON cannot hold (.inf) would change the version.
      const same = await loadPolicy(json);
      if (!same.ok || same.policy.version !== policy.version) break;
      io.out(
        `${file}: ${overYaml} the gateway parses as YAML: ` +
          `the gateway is given its JSON form (${bytesOf(json)} bytes; the same version, which ward history and diff show as JSON)`,
      );
      return json;
    }
  }
  throw new CliError(
    `${file}: ${policyTooLarge(text) ?? `${bytesOf(text)} bytes, not JSON, and its JSON form does not fit either`}: ${nothing}`,
    EXIT.failed,
  );
}

/**
 * Where `ward push --bootstrap` puts a converted text for wrangler's --path: FILE.json beside FILE. An existing
 * file there is replaced only if it holds the same text.
 */
export async function writeJsonForm(file: string, json: string, io: Io, dryRun = false): Promise<string> {
  const path = `${file}.json`;
  // Only a file that is not there counts as absent: one that cannot be read (a directory, no permission) would
  // fail the run's write, after a dry run said all was well.
  const existing = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new CliError(
      `${path} cannot be read (${error.code ?? error.message}): move it away, then bootstrap again`,
      EXIT.failed,
    );
  });
  if (existing !== undefined && existing !== json)
    throw new CliError(`${path} exists and holds something else: move it away, then bootstrap again`, EXIT.failed);
  // A dry run refuses what the run would, and writes nothing.
  if (dryRun) {
    io.out(`# --dry-run: ${path} not written; the first command needs it`);
    return path;
  }
  await writeFile(path, json);
  io.out(`# wrote ${path}: the version in the JSON form the gateway parses (the first command stores it)`);
  return path;
}
