import { parseArgs } from "node:util";
import { durationSeconds } from "../../policy/index.ts";
import type { GrantRecord } from "../../policy/index.ts";
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
import { wholeListing } from "../listing-pages.ts";
import { grantLine } from "../grants/format.ts";
import { PRINCIPAL_SYNTAX, principalFromFlag } from "../grants/principal.ts";
import type { Io } from "../io.ts";
import { instantFlag } from "../instant.ts";

export const usage = `ward exceptions grant ${TARGET_USAGE} --service S --principal ${PRINCIPAL_SYNTAX}
         [--routes R,R] [--methods M,M] (--for 3d | --until ISO) [--not-before ISO (--for counts from it)] [--max-uses N]
         --reason TEXT --ticket T --requested-by WHO --approved-by WHO
ward exceptions revoke ${TARGET_USAGE} [SERVICE/]ID [--reason TEXT]
ward exceptions list ${TARGET_USAGE} [--all] [--service S] [--json]
    time-bounded grants, checked against the active policy (capped by exceptions.maxDuration)`;

/** "a,b" -> ["a", "b"]; absent or "*" -> every one. */
export function listFlag(text: string | undefined): string[] | "*" {
  return text === undefined || text === "*"
    ? "*"
    : text
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
}

function untilFrom(forText: string | undefined, until: string | undefined, now: number): string {
  if ((forText === undefined) === (until === undefined))
    throw new CliError("give how long: --for DURATION (e.g. 3d) or --until ISO-8601");
  if (forText !== undefined) {
    if (!/^[0-9]+[smhd]$/.test(forText))
      throw new CliError(`--for ${forText}: expected a duration such as 30m, 12h or 3d`);
    const end = new Date(now + durationSeconds(forText) * 1000);
    // Past what a date can be (about 275,000 years): no grant, and no RangeError from toISOString either.
    if (Number.isNaN(end.getTime())) throw new CliError(`--for ${forText}: longer than any grant may be`);
    return end.toISOString();
  }
  return new Date(instantFlag("until", until!)).toISOString();
}

/** The answer of a grant-changing call, or an error that says nothing changed (4xx) or that it is not known (5xx). */
export function grantFrom(target: AdminTarget, reply: { status: number; body: unknown; text: string }): GrantRecord {
  const body = reply.body as { grant?: GrantRecord; error?: string };
  if (reply.status === 200 || reply.status === 201) return body.grant!;
  throw unconfirmedChange(target, reply);
}

export async function listGrants(target: AdminTarget, query: string, json: boolean, io: Io): Promise<number> {
  const grants = await wholeListing<GrantRecord>(target, {
    path: `/grants${query}`,
    member: "grants",
    what: "the grants",
  });
  if (json) io.out(JSON.stringify(grants, null, 2));
  else if (grants.length === 0) io.out("none");
  else for (const g of grants) io.out(grantLine(g, Date.now()));
  return EXIT.ok;
}

function parseExceptionArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      service: { type: "string" },
      principal: { type: "string" },
      routes: { type: "string" },
      methods: { type: "string" },
      for: { type: "string" },
      until: { type: "string" },
      "not-before": { type: "string" },
      "max-uses": { type: "string" },
      reason: { type: "string" },
      ticket: { type: "string" },
      "requested-by": { type: "string" },
      "approved-by": { type: "string" },
      all: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
}

type ExceptionFlags = ReturnType<typeof parseExceptionArgs>["values"];

/** The target, after checking it serves the environment named: a grant never lands in the wrong one. */
async function checkedTarget(values: ExceptionFlags): Promise<AdminTarget> {
  const target = await resolveTarget(values);
  await policyState(target, values.env);
  return target;
}

async function listExceptions(values: ExceptionFlags, io: Io): Promise<number> {
  const target = await checkedTarget(values);
  const query = `?kind=exception${values.all ? "&all=1" : ""}${values.service ? `&service=${encodeURIComponent(values.service)}` : ""}`;
  return listGrants(target, query, values.json, io);
}

/**
 * The service of the grant with this id, from the grants the gateway lists (the list shows the id first, the
 * service after the arrow): an operator copying the id from it need not also name the service.
 */
async function serviceOfGrant(target: AdminTarget, id: string): Promise<string> {
  const grants = await wholeListing<GrantRecord>(target, {
    path: "/grants?all=1",
    member: "grants",
    what: "the grants",
    failed: "; nothing changed",
  });
  // Ids are unique within a service only: one in force is the one meant; several, or none in force and several
  // ended, are the operator's to choose (from a review: the first found could be an ended grant elsewhere).
  const found = grants.filter((g) => g.id === id);
  const active = found.filter((g) => g.status === "active" || g.status === "used-up");
  const candidates = active.length > 0 ? active : found;
  if (candidates.length === 1) return candidates[0]!.service;
  if (candidates.length === 0)
    throw new CliError(`no grant ${id} (ward exceptions list --all lists them): nothing changed`, EXIT.failed);
  throw new CliError(
    `${candidates.length} grants are ${id}: name one as SERVICE/ID (${candidates.map((g) => `${g.service}/${id}`).join(", ")}); nothing changed`,
    EXIT.failed,
  );
}

async function revokeException(values: ExceptionFlags, positionals: string[], io: Io): Promise<number> {
  const match = positionals[0] ? /^(?:([^/]+)\/)?([\w-]+)$/.exec(positionals[0]) : null;
  if (!match) throw new CliError(`expected ID or SERVICE/ID (as ward exceptions list shows them)\n${usage}`);
  const target = await checkedTarget(values);
  const id = match[2]!;
  const service = match[1] ?? (await serviceOfGrant(target, id));
  const reply = await adminCall(
    target,
    "DELETE",
    `/grants/${encodeURIComponent(service)}/${id}?reason=${encodeURIComponent(values.reason ?? "")}`,
  );
  if (reply.status === 404) throw new CliError(`no grant ${id} in ${service}: nothing changed`, EXIT.failed);
  io.out(`revoked: ${grantLine(grantFrom(target, reply), Date.now())}`);
  return EXIT.ok;
}

/**
 * The request body of a new exception. Every field a reviewer needs (who asked, who approved, why, the
 * ticket) is required here too, so a mistake is told before anything is sent.
 */
function exceptionBody(values: ExceptionFlags) {
  for (const flag of ["service", "principal", "reason", "ticket", "requested-by", "approved-by"] as const) {
    if (!values[flag]) throw new CliError(`--${flag} is required\n${usage}`);
  }
  const maxUses = values["max-uses"] === undefined ? undefined : Number(values["max-uses"]);
  if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1))
    throw new CliError(`--max-uses ${values["max-uses"]}: expected a positive whole number`);
  const notBefore = values["not-before"] === undefined ? undefined : instantFlag("not-before", values["not-before"]);
  return {
    principal: principalFromFlag(values.principal!),
    service: values.service!,
    routes: listFlag(values.routes),
    methods: listFlag(values.methods?.toUpperCase()),
    // --for counts from when the grant begins: "for 3d, from Monday" is Monday to Thursday.
    notAfter: untilFrom(values.for, values.until, notBefore ?? Date.now()),
    ...(notBefore !== undefined ? { notBefore: new Date(notBefore).toISOString() } : {}),
    ...(maxUses !== undefined ? { maxUses } : {}),
    reason: values.reason!,
    ticket: values.ticket!,
    requestedBy: values["requested-by"]!,
    approvedBy: values["approved-by"]!,
  };
}

async function grantException(values: ExceptionFlags, io: Io): Promise<number> {
  const body = exceptionBody(values);
  const target = await checkedTarget(values);
  const grant = grantFrom(target, await adminCall(target, "POST", "/exceptions", body));
  io.out(`granted: ${grantLine(grant, Date.now())}`);
  return EXIT.ok;
}

export async function exceptionsCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseExceptionArgs(rest);
  if (action !== "grant" && action !== "revoke" && action !== "list")
    throw new CliError(`expected grant, revoke or list\n${usage}`);
  // revoke takes its [SERVICE/]ID; an argument the others would ignore is a mistyped flag or a quoting slip.
  const extra = positionals[action === "revoke" ? 1 : 0];
  if (extra !== undefined) throw new CliError(`unexpected ${extra}\n${usage}`);
  if (action === "list") return listExceptions(values, io);
  if (action === "revoke") return revokeException(values, positionals, io);
  return grantException(values, io);
}
