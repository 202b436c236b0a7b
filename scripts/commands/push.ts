import { parseArgs } from "node:util";
import {
  ACTIVE_KEY,
  type CompiledPolicy,
  loadPolicy,
  validatePolicyText,
  ALL_ISSUES_ON_A_WORKSTATION,
  versionKey,
} from "../../policy/index.ts";
import {
  type AdminTarget,
  adminCall,
  policyState,
  resolveTarget,
  short,
  TARGET_USAGE,
  targetOptions,
  policyChangeFailed,
} from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { policyPlaceholders } from "../doctor/placeholders.ts";
import type { Io } from "../io.ts";
import { printIssues, readPolicyText } from "../policy-file.ts";
import { gatewayText, writeJsonForm } from "../pushed-text.ts";
import { shellWord } from "../shell-word.ts";
import { printLiveDiff } from "../reach/live-diff.ts";

export const usage = `ward push ${TARGET_USAGE} FILE [--message TEXT] [--dry-run]
    validate, show who gains and loses access against the active version, then activate FILE
    (compare-and-set: refused if someone else pushed in between); --dry-run stops after the diff
    and exits as ward diff does (4 when access may widen)
ward push --env ENV [--config wrangler.toml] FILE --bootstrap [--dry-run]
    print the wrangler commands that put the first version into a new environment's KV
    (a YAML file past 768 KiB: its JSON form written as FILE.json; --dry-run writes nothing)`;

/** The first version cannot go through the admin API (no policy names an admin yet): straight into KV. */
function bootstrapCommands(env: string, file: string, version: string, config?: string): string[] {
  // The binding POLICY is resolved in the config wrangler reads: the environment's own, not ./wrangler.toml's.
  const c = config ? ` --config ${shellWord(config)}` : "";
  return [
    `npx wrangler kv key put --remote --env ${env}${c} --binding POLICY "${versionKey(version)}" --path ${shellWord(file)}`,
    `npx wrangler kv key put --remote --env ${env}${c} --binding POLICY ${ACTIVE_KEY} ${version}`,
  ];
}

function parsePushArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      message: { type: "string", default: "" },
      "dry-run": { type: "boolean", default: false },
      bootstrap: { type: "boolean", default: false },
      config: { type: "string" },
    },
  });
}

/** FILE's text and its compiled form; its issues printed, and an invalid policy stops here, nothing sent. */
async function readPushedPolicy(file: string, io: Io): Promise<{ text: string; next: CompiledPolicy }> {
  const text = await readPolicyText(file);
  const validated = validatePolicyText(text, { allIssuesUpTo: ALL_ISSUES_ON_A_WORKSTATION });
  printIssues(file, validated.issues, io.err);
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new CliError(`${file} is not a valid policy: nothing pushed`, EXIT.failed);
  return { text, next: loaded.policy };
}

/**
 * Prints the bootstrap commands, after the checks that keep them from locking the environment: the file is
 * for that environment, and it names an admin who can push the next version.
 */
async function printBootstrap(
  env: string | undefined,
  local: boolean,
  file: string,
  text: { ofFile: string; forGateway: string },
  next: CompiledPolicy,
  dryRun: boolean,
  io: Io,
  config?: string,
): Promise<number> {
  if (!env || local) throw new CliError("--bootstrap is for a deployed environment: give --env ENV");
  if (next.document.metadata.environment !== env) {
    throw new CliError(`${file} is for environment "${next.document.metadata.environment}", not "${env}"`, EXIT.failed);
  }
  if (!next.admin)
    throw new CliError(`${file} names no admin.principals: after the bootstrap nobody could push`, EXIT.failed);
  // A placeholder ward init wrote (a team domain, an AUD tag, the operators' token) stored as the first version
  // makes the operators anonymous or unknown to the gateway: nobody could push the fix but another bootstrap.
  const placeholders = policyPlaceholders(next.document);
  if (placeholders.length > 0)
    throw new CliError(
      `${file} still holds placeholders (${placeholders.map((p) => p.path).join(", ")}): stored as the first ` +
        `version, ${placeholders[0]!.effect}. Replace them (npm run ward -- doctor --env ${env} says with what); nothing printed`,
      EXIT.failed,
    );
  // What the gateway is given: FILE itself, or its JSON form written beside it (a YAML file past push's bound).
  const stored = text.forGateway === text.ofFile ? file : await writeJsonForm(file, text.forGateway, io, dryRun);
  io.out(`# the first version of ${env}: ${next.version}`);
  io.out("# run once, when the environment has no policy; every later push goes through ward push");
  for (const line of bootstrapCommands(env, stored, next.version, config)) io.out(line);
  return EXIT.ok;
}

/**
 * Activates the version with compare-and-set on the version the diff was made against: a push that
 * raced another is refused (409) rather than silently overwriting what the operator never reviewed.
 */
async function activate(
  target: AdminTarget,
  push: { text: string; expected: string | null; message: string },
  next: CompiledPolicy,
  io: Io,
): Promise<number> {
  const reply = await adminCall(target, "PUT", "/policy", push);
  const body = reply.body as {
    entry?: { seq: number; who: string; version: string };
    active?: string | null;
    stored?: string;
    error?: string;
    issues?: unknown[];
  };
  // A move refused by PolicyControl names the version stored; one refused before the store (the version the pusher
  // was admitted by was no longer active) stored nothing, and names none.
  if (reply.status === 409 && body.active !== undefined) {
    const stored = body.stored ? `Your version is stored as ${short(body.stored)}` : "Your version was not stored";
    throw new CliError(
      `the active version moved to ${short(body.active)} while you pushed: nothing changed. ${stored}; ` +
        `review what changed (ward history) and push again`,
      EXIT.failed,
    );
  }
  if (reply.status !== 200) throw policyChangeFailed(target, reply, "push");
  if (!body.entry) {
    io.out("already active: nothing to push");
    return EXIT.ok;
  }
  // The gateway's name for the version is the one its history, rollback and log use.
  const { version, seq, who } = body.entry;
  io.out(`pushed: ${short(version)} is active (history #${seq}, by ${who})`);
  if (version !== next.version)
    io.err(
      `note: the gateway names this version ${short(version)}, where this ward named it ${short(next.version)} ` +
        "(a Ward of another release, which writes policies out differently): use its name with ward history and rollback",
    );
  return EXIT.ok;
}

export async function pushCommand(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parsePushArgs(args);
  const [file, ...rest] = positionals;
  if (!file || rest.length > 0) throw new CliError(`expected one policy FILE\n${usage}`);
  const { text: fileText, next } = await readPushedPolicy(file, io);
  // A push is parsed by the Worker within its memory, and so is a bootstrapped version: the bootstrap stores
  // only the source, which each new isolate parses until the first one stores its document.
  const text = await gatewayText(file, fileText, next, io, "nothing pushed");
  if (values.bootstrap)
    return printBootstrap(
      values.env,
      values.local,
      file,
      { ofFile: fileText, forGateway: text },
      next,
      values["dry-run"],
      io,
      values.config,
    );
  if (values.config) throw new CliError("--config is for --bootstrap (the wrangler config its commands use)");

  const target = await resolveTarget(values);
  const state = await policyState(target, values.env);
  // A policy for another environment would take over this one's routes and admins.
  if (state.environment && next.document.metadata.environment !== state.environment) {
    throw new CliError(
      `${file} is for environment "${next.document.metadata.environment}"; ${target.describe} serves "${state.environment}": nothing pushed`,
      EXIT.failed,
    );
  }
  io.out(`${target.describe}: active ${short(state.active)}, pushing ${short(next.version)} (${file})`);
  if (state.active === next.version) {
    if (values["dry-run"]) {
      io.out("already active: nothing to push");
      return EXIT.ok;
    }
    // Sent all the same, and the gateway answers that nothing moved: it stores the text where what KV holds under
    // the version's name is not that version (a bootstrap command re-run after its file changed), which history
    // and diffs would otherwise show for it for good.
    return activate(target, { text, expected: state.active, message: values.message }, next, io);
  }
  const diffStatus = await printLiveDiff(target, state.active, next, io);
  if (values["dry-run"]) {
    io.out("dry run: nothing pushed");
    // `ward diff`'s status, so that a dry run against the live version can gate CI.
    return diffStatus;
  }
  return activate(target, { text, expected: state.active, message: values.message }, next, io);
}
