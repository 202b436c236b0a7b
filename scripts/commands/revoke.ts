import { parseArgs } from "node:util";
import { durationSeconds } from "../../policy/index.ts";
import type { DenyEntry } from "../../worker/denylist-store.ts";
import { adminCall, policyState, resolveTarget, TARGET_USAGE, targetOptions, type AdminTarget } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { denyLine } from "../grants/deny-format.ts";
import type { Io } from "../io.ts";

export const usage = `ward revoke ${TARGET_USAGE} (--spiffe ID | --fingerprint SHA256 | --email E | --sub S | --token CLIENT_ID)
         --reason TEXT [--for 1d | --until ISO]
ward revoke list|lift ${TARGET_USAGE} [ID] [--all]
    refuse a credential at once (within seconds everywhere), whatever its own expiry`;

const MATCHES = ["spiffe", "fingerprint", "email", "sub", "token"] as const;

export function entryFrom(target: AdminTarget, reply: { status: number; body: unknown; text: string }): DenyEntry {
  const body = reply.body as { entry?: DenyEntry; error?: string };
  if (reply.status === 200 || reply.status === 201) return body.entry!;
  if (reply.status === 404) throw new CliError("no such entry: nothing changed", EXIT.failed);
  throw new CliError(`${target.describe} refused (${reply.status}): ${body?.error ?? reply.text.slice(0, 300)}; nothing changed`, EXIT.failed);
}

export async function listEntries(target: AdminTarget, kind: DenyEntry["kind"], all: boolean, io: Io): Promise<number> {
  const reply = await adminCall(target, "GET", `/denylist?kind=${kind}${all ? "&all=1" : ""}`);
  if (reply.status !== 200) throw new CliError(`${target.describe}: unexpected answer ${reply.status}`, EXIT.failed);
  const { entries } = reply.body as { entries: DenyEntry[] };
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
    io.out(`lifted: ${denyLine(entryFrom(target, await adminCall(target, "DELETE", `/denylist/${encodeURIComponent(positionals[0]!)}`)), Date.now())}`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  const given = MATCHES.filter((m) => typeof v[m] === "string");
  if (given.length !== 1) throw new CliError(`name exactly one credential: --spiffe, --fingerprint, --email, --sub or --token\n${usage}`);
  if (!values.reason) throw new CliError(`--reason is required\n${usage}`);
  if (values.for !== undefined && values.until !== undefined) throw new CliError("--for or --until, not both");
  let until: string | undefined;
  if (values.for !== undefined) {
    if (!/^[0-9]+[smhd]$/.test(values.for)) throw new CliError(`--for ${values.for}: expected a duration such as 30m, 12h or 3d`);
    until = new Date(Date.now() + durationSeconds(values.for) * 1000).toISOString();
  } else if (values.until !== undefined) {
    if (!Number.isFinite(Date.parse(values.until))) throw new CliError(`--until ${values.until}: expected an ISO-8601 instant`);
    until = new Date(Date.parse(values.until)).toISOString();
  }
  const target = await resolveTarget(values);
  await policyState(target, values.env);
  const body = { match: given[0], value: v[given[0]!], reason: values.reason, ...(until ? { until } : {}) };
  io.out(`revoked: ${denyLine(entryFrom(target, await adminCall(target, "POST", "/revocations", body)), Date.now())}`);
  return EXIT.ok;
}
