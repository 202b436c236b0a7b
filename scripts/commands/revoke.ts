import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { durationSeconds } from "../../policy/index.ts";
import type { DenyEntry } from "../../policy/index.ts";
import {
  adminCall,
  policyState,
  resolveTarget,
  TARGET_USAGE,
  targetOptions,
  unconfirmedChange,
  type AdminTarget,
} from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { readRevocationList, type RevocationList } from "../crl.ts";
import { wholeListing } from "../listing-pages.ts";
import { denyLine } from "../grants/deny-format.ts";
import type { Io } from "../io.ts";
import { instantFlag } from "../instant.ts";

export const usage = `ward revoke ${TARGET_USAGE} (--spiffe ID | --fingerprint SHA256 | --serial ISSUER_SKI/SERIAL | --ca SKI
         | --email E | --sub S | --token CLIENT_ID | --subject ISSUER/SUB | --crl FILE [--dry-run]) --reason TEXT
         [--for 1d | --until ISO]
ward revoke list|lift ${TARGET_USAGE} [ID] [--all]
    refuse a credential at once (within seconds everywhere), whatever its own expiry; --crl revokes every
    certificate a CRL (PEM or DER, one a file) lists, skipping those already revoked (--dry-run: only say which);
    --subject: a workload token by its issuer's name and its sub (github-actions/repo:org/repo:ref:refs/heads/main);
    --ca: every client certificate whose identity relies on that CA (its issuer, or an intermediate or root on
    the path to a pin), by the CA's subject key identifier`;

const MATCHES = ["spiffe", "fingerprint", "serial", "ca", "email", "sub", "token", "subject"] as const;

export function entryFrom(target: AdminTarget, reply: { status: number; body: unknown; text: string }): DenyEntry {
  const body = reply.body as { entry?: DenyEntry; error?: string };
  if (reply.status === 200 || reply.status === 201) return body.entry!;
  if (reply.status === 404) throw new CliError("no such entry: nothing changed", EXIT.failed);
  throw unconfirmedChange(target, reply);
}

export async function listEntries(target: AdminTarget, kind: DenyEntry["kind"], all: boolean, io: Io): Promise<number> {
  const path = `/denylist?kind=${kind}${all ? "&all=1" : ""}`;
  const entries = await wholeListing<DenyEntry>(target, { path, member: "entries", what: "the denylist" });
  if (entries.length === 0) io.out("none");
  for (const e of entries) io.out(denyLine(e, Date.now()));
  return EXIT.ok;
}

export async function revokeCommand(args: string[], io: Io): Promise<number> {
  const action = args[0] === "list" || args[0] === "lift" ? args[0] : undefined;
  const { values, positionals } = parseArgs({
    args: action ? args.slice(1) : args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      ...Object.fromEntries(MATCHES.map((m) => [m, { type: "string" as const }])),
      reason: { type: "string" },
      for: { type: "string" },
      until: { type: "string" },
      all: { type: "boolean", default: false },
      crl: { type: "string" },
      "dry-run": { type: "boolean", default: false },
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (action === "list") {
    const target = await resolveTarget(values);
    await policyState(target, values.env);
    return listEntries(target, "revocation", values.all, io);
  }
  if (action === "lift") {
    if (positionals.length !== 1) throw new CliError(`expected the ID to lift (ward revoke list shows it)\n${usage}`);
    const target = await resolveTarget(values);
    await policyState(target, values.env);
    io.out(
      `lifted: ${denyLine(entryFrom(target, await adminCall(target, "DELETE", `/denylist/${encodeURIComponent(positionals[0]!)}?kind=revocation`)), Date.now())}`,
    );
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  const given = MATCHES.filter((m) => typeof v[m] === "string");
  const crl = typeof v.crl === "string" ? v.crl : undefined;
  if (given.length + (crl ? 1 : 0) !== 1)
    throw new CliError(`name exactly one credential: ${MATCHES.map((m) => `--${m}`).join(", ")} or --crl\n${usage}`);
  if (!values.reason) throw new CliError(`--reason is required\n${usage}`);
  if (values["dry-run"] && !crl) throw new CliError("--dry-run goes with --crl");
  const until = untilOf(values.for, values.until);
  // Read before anything is sent: an unusable file changes nothing.
  const list = crl ? readCrl(crl) : undefined;
  const target = await resolveTarget(values);
  await policyState(target, values.env);
  if (list) return revokeListed(target, list, crl!, { reason: values.reason, until, dryRun: values["dry-run"] }, io);
  const body = { match: given[0], value: v[given[0]!], reason: values.reason, ...(until ? { until } : {}) };
  io.out(`revoked: ${denyLine(entryFrom(target, await adminCall(target, "POST", "/revocations", body)), Date.now())}`);
  return EXIT.ok;
}

function untilOf(duration: string | undefined, instant: string | undefined): string | undefined {
  if (duration !== undefined && instant !== undefined) throw new CliError("--for or --until, not both");
  if (duration !== undefined) {
    if (!/^[0-9]+[smhd]$/.test(duration))
      throw new CliError(`--for ${duration}: expected a duration such as 30m, 12h or 3d`);
    const end = new Date(Date.now() + durationSeconds(duration) * 1000);
    // Past what a date can be (about 275,000 years): a usage error, not a RangeError from toISOString.
    if (Number.isNaN(end.getTime())) throw new CliError(`--for ${duration}: longer than any revocation may be`);
    return end.toISOString();
  }
  if (instant !== undefined) {
    return new Date(instantFlag("until", instant)).toISOString();
  }
  return undefined;
}

function readCrl(file: string): RevocationList {
  try {
    return readRevocationList(readFileSync(file));
  } catch (error) {
    throw new CliError(
      `${file}: ${error instanceof Error ? error.message : String(error)}; nothing revoked`,
      EXIT.failed,
    );
  }
}

/**
 * One revocation per listed certificate not already revoked for as long, so importing a newer CRL adds only what
 * is new.
 */
async function revokeListed(
  target: AdminTarget,
  list: RevocationList,
  file: string,
  how: { reason: string; until: string | undefined; dryRun: boolean },
  io: Io,
): Promise<number> {
  // Already revoked: for good, or for at least as long as this import revokes. A certificate cut off for an hour
  // that the CA has now revoked must be revoked again, or the gateway admits it once the hour is over.
  const end = how.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(how.until);
  const active = new Set(
    (
      await wholeListing<DenyEntry>(target, {
        path: "/denylist?kind=revocation",
        member: "entries",
        what: "the denylist",
        failed: "; nothing revoked",
      })
    )
      .filter((e) => e.match === "serial" && (e.expiresAt ?? Number.POSITIVE_INFINITY) >= end)
      .map((e) => e.value),
  );
  const fresh = list.revoked.filter((value) => !active.has(value));
  const already = list.revoked.length - fresh.length;
  if (how.dryRun) {
    for (const value of fresh) io.out(`would revoke: serial ${value}`);
    io.out(
      `${file}: issuer ${list.issuerSki}: ${list.revoked.length} listed, ${fresh.length} would be revoked, ${already} already revoked (dry run: nothing changed)`,
    );
    return EXIT.ok;
  }
  let done = 0;
  for (const value of fresh) {
    const body = { match: "serial", value, reason: how.reason, ...(how.until ? { until: how.until } : {}) };
    try {
      io.out(
        `revoked: ${denyLine(entryFrom(target, await adminCall(target, "POST", "/revocations", body)), Date.now())}`,
      );
    } catch (error) {
      // The ones before stay revoked; running the command again skips them and carries on.
      const why = error instanceof Error ? error.message.replace(/; nothing changed$/, "") : String(error);
      // After a failure (not a refusal) the entry being added may have been stored: say so, not a count too low.
      const unknown = error instanceof Error && error.message.includes("whether the change was made is not known");
      const revoked = unknown ? `${done} (perhaps ${done + 1})` : `${done}`;
      throw new CliError(
        `${why}: stopped after revoking ${revoked} of the ${fresh.length} new entries in ${file}; run it again to continue`,
        EXIT.failed,
      );
    }
    done++;
  }
  io.out(
    `${file}: issuer ${list.issuerSki}: ${list.revoked.length} listed, ${done} revoked now, ${already} already revoked`,
  );
  return EXIT.ok;
}
