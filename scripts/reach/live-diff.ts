// Who gains and loses access if a gateway's active version is replaced: what `ward push` and `ward rollback`
// print before they move the pointer, and what their --dry-run exits with.
import {
  type CompiledPolicy,
  diffReach,
  diffWidens,
  loadPolicy,
  loadStoredDocument,
  reach,
  sha256Hex,
  VERSION_CHECKED_HEADER,
} from "../../policy/index.ts";
import { type AdminTarget, adminCall, short } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { grantsInForce } from "../grants/read.ts";
import { wholeListing } from "../listing-pages.ts";
import type { Io } from "../io.ts";
import { diffText } from "./text.ts";

/** A gateway that holds no text of a version under its name, or shows another version's (exit 1). */
export class NotThatVersion extends CliError {
  constructor(message: string) {
    super(message, EXIT.failed);
  }
}

/**
 * A stored version, compiled, and what a push of its text today would be told when today's checks refuse it (the
 * first issue): a version an older Ward took can read otherwise now (`when: !!omap [...]` was a rule with no
 * condition; policy/yaml-text.ts), and it loads as that Ward read it. Said before a rollback or promotion activates
 * it, so the operator reads the diff knowing why it may show what the text does not seem to say.
 */
export interface StoredRead {
  /** The version asked for, by the name the gateway holds it under (this CLI may derive another: see below). */
  version: string;
  policy: CompiledPolicy;
  /** Only when asked for (`checkToday`): the active version's read for a diff does not need it. */
  refusedToday: string | undefined;
}

/** What today's checks say of a stored text (a source, or the document) that they refuse: the first issue. */
async function refusedToday(text: string): Promise<string | undefined> {
  const asWritten = await loadPolicy(text);
  if (asWritten.ok) return undefined;
  const first = asWritten.issues.find((issue) => issue.severity === "error") ?? asWritten.issues[0];
  return first ? `${first.code} at ${first.path}: ${first.message}` : "refused";
}

/**
 * A stored version as the gateway holds it (StoredRead); undefined when it is not stored or does not load. A text that
 * is another version is refused (NotThatVersion, exit 1): KV does not tie a value to its key, and a gateway before the
 * check (worker/policy-store/version-text.ts) showed whatever `policy:v:<v>` held, so `ward rollback --dry-run`
 * diffed, and exited 0 for, a policy the rollback would not activate.
 */
export async function storedVersion(
  target: AdminTarget,
  version: string,
  checkToday = false,
): Promise<StoredRead | undefined> {
  const reply = await adminCall(target, "GET", `/policy/versions/${version}`);
  if (reply.status === 422) {
    const error = (reply.body as { error?: unknown } | undefined)?.error;
    throw new NotThatVersion(
      `${target.describe} holds no text that is version ${short(version)}${typeof error === "string" ? `: ${error}` : ""}`,
    );
  }
  if (reply.status !== 200) return undefined;
  // The stored document itself (the gateway shows it when the source is not the version): its bytes hash to the
  // name, and it is read as an isolate reads it, under that name, whatever default this Ward's schema fills in.
  if ((await sha256Hex(reply.text)) === version) {
    const document = loadStoredDocument(reply.text, version);
    if (!document.ok) return undefined;
    return { version, policy: document.policy, refusedToday: checkToday ? await refusedToday(reply.text) : undefined };
  }
  // Read as the Ward that stored it read it: the checks added since are for text as written (policy/load.ts).
  const loaded = await loadPolicy(reply.text, { stored: true });
  if (!loaded.ok) return undefined;
  // A gateway that checked the text is that version (as its release derives versions) is taken at its word: a CLI
  // of a release that derives names otherwise reads the same text under another name. Only a gateway from before
  // the check, which marks nothing, is doubted.
  const checked = (reply.headers?.get(VERSION_CHECKED_HEADER) ?? null) !== null;
  if (loaded.policy.version !== version && !checked)
    throw new NotThatVersion(
      `the text ${target.describe} shows as version ${short(version)} is version ${short(loaded.policy.version)}: ` +
        `KV holds another version's text under its name (push that version's text again to put it back); nothing diffed`,
    );
  return { version, policy: loaded.policy, refusedToday: checkToday ? await refusedToday(reply.text) : undefined };
}

/** The warning a rollback or promotion prints before its diff when today's checks refuse the version's text. */
export function sayRefusedToday(read: StoredRead, io: Io): void {
  if (read.refusedToday === undefined) return;
  io.out(
    `warning: version ${short(read.version)}'s text would be refused if pushed today: ${read.refusedToday}. ` +
      "It loads as the Ward that took it read it: the diff below is what it allows, whatever the text seems to say.",
  );
}

/**
 * Prints the reach diff from the active version to `next`, with the grants in force on both sides (an
 * exception for every route of a service covers the routes `next` adds to it, and a grant naming a route
 * covers what that route comes to match, which only shows with them). Returns `ward diff`'s exit status for
 * the change: 4 when access may widen (and for a first version, which grants everything it grants anew), 1 when
 * the active version or the grants cannot be read (a gate that cannot tell must not pass), else 0.
 */
export async function printLiveDiff(
  target: AdminTarget,
  active: string | null,
  next: CompiledPolicy,
  io: Io,
): Promise<number> {
  if (!active) {
    io.out("no active version: this activates the first one through the admin API");
    return EXIT.widened;
  }
  let current: CompiledPolicy | undefined;
  try {
    current = (await storedVersion(target, active))?.policy;
  } catch (error) {
    // Said, and a gate reads 1; a push of another version goes on, as when the active one cannot be read at all.
    if (!(error instanceof NotThatVersion)) throw error;
    io.out(`(the active version ${short(active)} could not be read for a diff: ${error.message})`);
    return EXIT.failed;
  }
  if (!current) {
    io.out(`(the active version ${short(active)} could not be read for a diff)`);
    return EXIT.failed;
  }
  let listed: unknown[];
  try {
    // In pages, as every listing: a policy of many services has up to their caps' sum of grants in force.
    listed = await wholeListing(target, { path: "/grants", member: "grants", what: "the grants in force" });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.out(`(the grants in force could not be read for a diff: ${error.message})`);
    return EXIT.failed;
  }
  const grants = grantsInForce(listed, `${target.describe} GET /grants`);
  const diff = diffReach(reach(current, { grants }), reach(next, { grants }));
  for (const line of diffText(diff)) io.out(line);
  return diffWidens(diff) ? EXIT.widened : EXIT.ok;
}
