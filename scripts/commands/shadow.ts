import { parseArgs } from "node:util";
import { loadPolicy, validatePolicyText, ALL_ISSUES_ON_A_WORKSTATION } from "../../policy/index.ts";
import {
  type AdminReply,
  type AdminTarget,
  adminCall,
  type PolicyState,
  policyState,
  resolveTarget,
  short,
  TARGET_USAGE,
  targetOptions,
  policyChangeFailed,
} from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { type Io, oneLine } from "../io.ts";
import { readDecisionLogs } from "../logs/read.ts";
import { SCRIPT_HELP, SCRIPT_USAGE, scriptFlag, scriptOption } from "../logs/script-flag.ts";
import { printIssues, readPolicyText } from "../policy-file.ts";
import { gatewayText } from "../pushed-text.ts";
import { printLiveDiff, sayRefusedToday, storedVersion } from "../reach/live-diff.ts";
import { shadowReport, shadowReportText } from "../shadow/report.ts";

export const usage = `ward shadow set ${TARGET_USAGE} FILE [--message TEXT]
ward shadow clear ${TARGET_USAGE}
ward shadow promote ${TARGET_USAGE} [--candidate VERSION] [--message TEXT] [--dry-run]
    run FILE beside the active policy on live traffic (decision log only), stop it, or make it active;
    --candidate (the version, or its first 8+ hex digits) promotes only if that is still the candidate;
    promote shows who gains and loses access first, and --dry-run stops there (exit 4 when access may widen)
ward shadow report LOG... [--version V] [--format text|json] ${SCRIPT_USAGE}
    from decision logs: what the candidate would newly deny and newly allow, by identity, with examples
    ${SCRIPT_HELP}`;

async function report(args: string[], io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { version: { type: "string" }, format: { type: "string", default: "text" }, ...scriptOption },
  });
  if (positionals.length === 0)
    throw new CliError(`name at least one decision log (JSON lines, - for stdin)\n${usage}`);
  if (values.format !== "text" && values.format !== "json")
    throw new CliError(`--format ${values.format}: expected text or json`);
  const script = scriptFlag(values.script);
  const { records } = await readDecisionLogs(positionals, undefined, script);
  if (values.version !== undefined && !/^[0-9a-fA-F]{8,64}$/.test(values.version))
    throw new CliError(`--version ${values.version}: expected a version, or its first 8 or more hex digits`);
  const result = shadowReport(records, values.version);
  if (values.version !== undefined && result.compared + result.decidedOutsideThePolicy === 0) {
    throw new CliError(
      `no decision in these logs has the shadow candidate ${values.version}: nothing to report`,
      EXIT.failed,
    );
  }
  if (values.format === "json") io.out(JSON.stringify(result, null, 2));
  // Every logged value shown on one line, its controls escaped, as ward why and ward metrics show theirs.
  else for (const line of shadowReportText(result)) io.out(oneLine(line));
  return EXIT.ok;
}

type ShadowAction = "set" | "clear" | "promote";

interface ShadowReply {
  /** Null for a clear with no candidate set: nothing was recorded. */
  entry?: { version: string; seq: number } | null;
  error?: string;
  active?: string | null;
  shadow?: string | null;
}

/** The flags of set, clear and promote; `reviewed` is the --candidate the operator reviewed, lower-cased. */
function parseShadowArgs(action: ShadowAction, args: string[]) {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      message: { type: "string", default: "" },
      candidate: { type: "string" },
      "dry-run": { type: "boolean", default: false },
    },
  });
  if (values.candidate !== undefined && action !== "promote")
    throw new CliError(`--candidate is for ward shadow promote\n${usage}`);
  if (values["dry-run"] && action !== "promote") throw new CliError(`--dry-run is for ward shadow promote\n${usage}`);
  const reviewed = values.candidate?.toLowerCase();
  if (reviewed !== undefined && !/^[0-9a-f]{8,64}$/.test(reviewed))
    throw new CliError(`--candidate ${reviewed}: expected a version, or its first 8 or more hex digits`);
  if (action === "set" ? positionals.length !== 1 : positionals.length !== 0) throw new CliError(usage);
  return { positionals, values, reviewed };
}

/** The candidate's text; its issues printed, and an invalid policy stops here, nothing sent. */
async function readCandidate(file: string, io: Io): Promise<string> {
  const text = await readPolicyText(file);
  printIssues(file, validatePolicyText(text, { allIssuesUpTo: ALL_ISSUES_ON_A_WORKSTATION }).issues, io.err);
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new CliError(`${file} is not a valid policy: nothing set`, EXIT.failed);
  return gatewayText(file, text, loaded.policy, io, "nothing set");
}

/**
 * Promote only what was reviewed: with --candidate, a candidate someone replaced since is refused before
 * anything is sent (the gateway checks the same again, for a change between this read and the call).
 */
function checkPromotable(target: AdminTarget, state: PolicyState, reviewed: string | undefined): void {
  if (!state.shadow) throw new CliError(`${target.describe} has no shadow candidate: nothing to promote`, EXIT.failed);
  if (reviewed && !state.shadow.startsWith(reviewed)) {
    throw new CliError(`the shadow candidate is ${short(state.shadow)}, not ${reviewed}: nothing changed`, EXIT.failed);
  }
}

/** The admin call of each action; promote names the active version and candidate it saw (compare-and-set). */
function sendShadowChange(
  action: ShadowAction,
  target: AdminTarget,
  state: PolicyState,
  text: string | undefined,
  message: string,
): Promise<AdminReply> {
  if (action === "set") return adminCall(target, "PUT", "/policy/shadow", { text, message });
  if (action === "clear") return adminCall(target, "DELETE", "/policy/shadow");
  return adminCall(target, "POST", "/policy/shadow/promote", {
    expected: state.active,
    candidate: state.shadow,
    ...(message ? { message } : {}),
  });
}

/** A refusal stops here with an error that says nothing changed, and for a lost race what moved. */
function throwIfRefused(action: ShadowAction, target: AdminTarget, reply: AdminReply, body: ShadowReply): void {
  if (reply.status === 409 && action === "promote" && body.shadow !== undefined) {
    throw new CliError(
      `the shadow candidate changed to ${short(body.shadow)} meanwhile: nothing changed; review it (ward shadow report) and promote again`,
      EXIT.failed,
    );
  }
  if (reply.status === 409 && action === "promote" && body.active !== undefined) {
    throw new CliError(`the active version moved to ${short(body.active)} meanwhile: nothing changed`, EXIT.failed);
  }
  if (reply.status !== 200)
    throw policyChangeFailed(target, reply, action === "promote" ? "promotion" : `shadow ${action}`);
}

function doneLine(action: ShadowAction, state: PolicyState, body: ShadowReply): string {
  const v = short(body.entry?.version);
  if (action === "set")
    return `shadow ${v} runs beside active ${short(state.active)}: every decision now logs what it would decide (ward shadow report)`;
  if (action === "clear")
    return body.entry ? `shadow cleared (was ${short(body.entry.version)})` : "no shadow candidate: nothing to clear";
  return `promoted: ${v} is active (was ${short(state.active)}, history #${body.entry!.seq})`;
}

export async function shadowCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === "report") return report(rest, io);
  if (action !== "set" && action !== "clear" && action !== "promote")
    throw new CliError(`expected set, clear, promote or report\n${usage}`);
  const { positionals, values, reviewed } = parseShadowArgs(action, rest);
  const text = action === "set" ? await readCandidate(positionals[0]!, io) : undefined;
  const target = await resolveTarget(values);
  const state = await policyState(target, values.env);
  if (action === "promote") {
    checkPromotable(target, state, reviewed);
    // Named first, as ward push and ward rollback name theirs: where it acts, what is active, what becomes so.
    io.out(`${target.describe}: active ${short(state.active)}, promoting shadow ${short(state.shadow)}`);
    // The traffic report says what changes for the requests seen; this says what changes for every request.
    const candidate = await storedVersion(target, state.shadow!, true);
    if (!candidate)
      throw new CliError(`the shadow candidate ${short(state.shadow)} does not load: nothing changed`, EXIT.failed);
    sayRefusedToday(candidate, io);
    const diffStatus = await printLiveDiff(target, state.active, candidate.policy, io);
    if (values["dry-run"]) {
      io.out("dry run: nothing promoted");
      return diffStatus;
    }
  }
  const reply = await sendShadowChange(action, target, state, text, values.message);
  const body = reply.body as ShadowReply;
  throwIfRefused(action, target, reply, body);
  io.out(doneLine(action, state, body));
  return EXIT.ok;
}
