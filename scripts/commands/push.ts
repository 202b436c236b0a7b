import { parseArgs } from "node:util";
import { diffReach, loadPolicy, reach, validatePolicyText } from "../../policy/index.ts";
import { adminCall, policyState, resolveTarget, short, TARGET_USAGE, targetOptions } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { printIssues, readPolicyText } from "../policy-file.ts";
import { diffText } from "../reach/text.ts";

export const usage = `ward push ${TARGET_USAGE} FILE [--message TEXT] [--dry-run]
    validate, show who gains and loses access against the active version, then activate FILE
    (compare-and-set: refused if someone else pushed in between); --dry-run stops after the diff
ward push --env ENV FILE --bootstrap
    print the wrangler commands that put the first version into a new environment's KV`;

/** The first version cannot go through the admin API (no policy names an admin yet): straight into KV. */
function bootstrapCommands(env: string, file: string, version: string): string[] {
  return [
    `npx wrangler kv key put --remote --env ${env} --binding POLICY "policy:v:${version}" --path ${file}`,
    `npx wrangler kv key put --remote --env ${env} --binding POLICY policy:active ${version}`,
  ];
}

export async function pushCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      message: { type: "string", default: "" },
      "dry-run": { type: "boolean", default: false },
      bootstrap: { type: "boolean", default: false },
    },
  });
  const [file, ...rest] = positionals;
  if (!file || rest.length > 0) throw new CliError(`expected one policy FILE\n${usage}`);
  const text = await readPolicyText(file);
  const validated = validatePolicyText(text);
  printIssues(file, validated.issues, io.err);
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new CliError(`${file} is not a valid policy: nothing pushed`, EXIT.failed);
  const next = loaded.policy;
  if (values.bootstrap) {
    if (!values.env || values.local) throw new CliError("--bootstrap is for a deployed environment: give --env ENV");
    if (next.document.metadata.environment !== values.env) {
      throw new CliError(
        `${file} is for environment "${next.document.metadata.environment}", not "${values.env}"`,
        EXIT.failed,
      );
    }
    if (!next.admin)
      throw new CliError(`${file} names no admin.principals: after the bootstrap nobody could push`, EXIT.failed);
    io.out(`# the first version of ${values.env}: ${next.version}`);
    io.out("# run once, when the environment has no policy; every later push goes through ward push");
    for (const line of bootstrapCommands(values.env, file, next.version)) io.out(line);
    return EXIT.ok;
  }

  const target = await resolveTarget(values);
  const state = await policyState(target, values.env);
  if (state.environment && next.document.metadata.environment !== state.environment) {
    throw new CliError(
      `${file} is for environment "${next.document.metadata.environment}"; ${target.describe} serves "${state.environment}": nothing pushed`,
      EXIT.failed,
    );
  }
  io.out(`${target.describe}: active ${short(state.active)}, pushing ${short(next.version)} (${file})`);
  if (state.active === next.version) {
    io.out("already active: nothing to push");
    return EXIT.ok;
  }
  if (state.active) {
    const activeText = await adminCall(target, "GET", `/policy/versions/${state.active}`);
    const active = activeText.status === 200 ? await loadPolicy(activeText.text) : undefined;
    if (active?.ok) for (const line of diffText(diffReach(reach(active.policy), reach(next)))) io.out(line);
    else io.out(`(the active version ${short(state.active)} could not be read for a diff)`);
  } else {
    io.out("no active version: this push activates the first one through the admin API");
  }
  if (values["dry-run"]) {
    io.out("dry run: nothing pushed");
    return EXIT.ok;
  }

  const reply = await adminCall(target, "PUT", "/policy", { text, expected: state.active, message: values.message });
  const body = reply.body as {
    entry?: { seq: number; who: string };
    active?: string | null;
    stored?: string;
    error?: string;
    issues?: unknown[];
  };
  if (reply.status === 409) {
    throw new CliError(
      `the active version moved to ${short(body.active)} while you pushed: nothing changed. Your version is stored as ${short(body.stored)}; ` +
        `review what changed (ward history) and push again`,
      EXIT.failed,
    );
  }
  if (reply.status !== 200)
    throw new CliError(
      `${target.describe} refused the push (${reply.status}): ${body?.error ?? reply.text.slice(0, 300)}`,
      EXIT.failed,
    );
  io.out(
    body.entry
      ? `pushed: ${short(next.version)} is active (history #${body.entry.seq}, by ${body.entry.who})`
      : "already active: nothing to push",
  );
  return EXIT.ok;
}
