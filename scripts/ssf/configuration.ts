// A transmitter's configuration (SSF 1.0 §7: Transmitter Configuration Metadata), read from its issuer's
// /.well-known/ssf-configuration, a URL or a file, checked as the specification says a receiver must (the
// issuer it names is exactly the one asked), and turned into the policy's `sharedSignals.transmitters` entry.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { EVENT_URIS, MAX_CRITICAL_SUBJECT_MEMBERS, SSF_EVENT_NAMES, type SsfEventName } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { oneLine } from "../io.ts";
import { call, transmitterUrl, type Fetch } from "./http.ts";

/** Push delivery (RFC 8935): the transmitter POSTs each SET to Ward. */
export const PUSH = "urn:ietf:rfc:8935";
/** Poll delivery (RFC 8936): Ward asks the transmitter for SETs (policy `poll`, worker/ssf/poll.ts). */
export const POLL = "urn:ietf:rfc:8936";

const url = z.string().min(1);
/** Loose: a transmitter may return claims this version does not know (§7.2.3). */
export const TransmitterMetadata = z.looseObject({
  spec_version: z.string().optional(),
  issuer: url,
  jwks_uri: url.optional(),
  delivery_methods_supported: z.array(z.string()).optional(),
  configuration_endpoint: url.optional(),
  status_endpoint: url.optional(),
  add_subject_endpoint: url.optional(),
  remove_subject_endpoint: url.optional(),
  verification_endpoint: url.optional(),
  critical_subject_members: z.array(z.string()).optional(),
  default_subjects: z.string().optional(),
});
export type TransmitterMetadata = z.infer<typeof TransmitterMetadata>;

export interface Configuration {
  metadata: TransmitterMetadata;
  /** Where it was read from. */
  from: string;
  /** What a receiver must know before relying on it (the CLI prints these as warnings). */
  warnings: string[];
}

/** The well-known names a transmitter's configuration is served under: SSF's, and RISC's (SSF 1.0 §7.2.1). */
const WELL_KNOWN = ["/.well-known/ssf-configuration", "/.well-known/risc-configuration"] as const;

/**
 * The URL of an issuer's configuration (§7.2): the well-known name inserted between the host and the path, any
 * trailing "/" of the path removed first (so `https://tr.example/` and `https://tr.example` share one).
 */
export function configurationUrl(issuer: URL, name: string = WELL_KNOWN[0]): URL {
  const path = issuer.pathname.replace(/\/+$/, "");
  return new URL(`${issuer.origin}${name}${path}`);
}

/**
 * The issuers a configuration URL is made from (RFC 8414 §3.3, SSF 1.0 §7.2): the URL with its well-known name
 * taken out of the path, written without a trailing "/" or with one (§7.2 drops it before inserting the name, so
 * both serve here). The document's issuer must be one of them as written. A URL no issuer gives (the name
 * elsewhere in the path, another well-known name, a query or fragment) is refused: its document could name any.
 */
export function issuersOf(url: URL): string[] {
  const name = WELL_KNOWN.find((n) => url.pathname === n || url.pathname.startsWith(`${n}/`));
  if (name === undefined || url.search || url.hash)
    throw new CliError(
      `${url.href}: not an issuer's configuration URL (https://HOST${WELL_KNOWN[0]}/PATH, SSF 1.0 §7.2)`,
      EXIT.usage,
    );
  const issuer = `${url.origin}${url.pathname.slice(name.length)}`;
  return [issuer, `${issuer}/`];
}

/** `source`: an issuer URL, the configuration's own URL, or a file holding the JSON. */
export async function readConfiguration(source: string, fetchImpl: Fetch): Promise<Configuration> {
  let raw: unknown;
  let from: string;
  // §7.2.4: the document's issuer must be the one asked for: exactly, or one the configuration URL asked is made from.
  let issuerAsked: ((issuer: string) => boolean) | undefined;
  let askedFor = "";
  if (/^https?:\/\//i.test(source)) {
    const given = transmitterUrl(source, "transmitter", EXIT.usage);
    const byUrl = given.pathname.includes("/.well-known/");
    const target = byUrl ? given : configurationUrl(given);
    if (byUrl) {
      const issuers = issuersOf(given);
      issuerAsked = (issuer) => issuers.includes(issuer);
      askedFor = `the issuer ${given.href} is made from`;
    } else {
      issuerAsked = (issuer) => issuer === source;
      askedFor = source;
    }
    const reply = await call(fetchImpl, target);
    if (reply.status !== 200 || reply.body === undefined)
      throw new CliError(
        `${target.href}: expected 200 with the configuration as JSON, got ${reply.status}`,
        EXIT.failed,
      );
    raw = reply.body;
    from = target.href;
  } else {
    try {
      raw = JSON.parse(await readFile(source, "utf8"));
    } catch (error) {
      throw new CliError(`${source}: ${(error as Error).message}`, EXIT.failed);
    }
    from = source;
  }
  const parsed = TransmitterMetadata.safeParse(raw);
  if (!parsed.success)
    throw new CliError(
      oneLine(
        `${from}: not a transmitter configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(document)"} ${i.message}`).join("; ")}`,
      ),
      EXIT.failed,
    );
  const metadata = parsed.data;
  // §7.2.4: the issuer must be exactly the one the configuration was asked for, and the iss of its SETs.
  if (issuerAsked !== undefined && !issuerAsked(metadata.issuer))
    throw new CliError(
      `${from}: names issuer ${oneLine(JSON.stringify(metadata.issuer))}, not ${askedFor}: not used (SSF 1.0 §7.2.4)`,
      EXIT.failed,
    );
  transmitterUrl(metadata.issuer, "issuer");
  for (const key of [
    "jwks_uri",
    "configuration_endpoint",
    "status_endpoint",
    "verification_endpoint",
    "add_subject_endpoint",
    "remove_subject_endpoint",
  ] as const) {
    const value = metadata[key];
    if (value !== undefined) transmitterUrl(value, key);
  }
  // Printed into the policy entry an operator pastes: a member name is a name, nothing that could write YAML.
  for (const member of metadata.critical_subject_members ?? [])
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(member))
      throw new CliError(
        `${from}: critical subject member ${JSON.stringify(member)} is not a member name`,
        EXIT.failed,
      );
  // policy.md: criticalSubjectMembers holds at most 16; an entry `ward validate` refuses is none to paste.
  if ((metadata.critical_subject_members?.length ?? 0) > MAX_CRITICAL_SUBJECT_MEMBERS)
    throw new CliError(
      `${from}: ${metadata.critical_subject_members!.length} critical subject members, more than the ${MAX_CRITICAL_SUBJECT_MEMBERS} a policy entry holds`,
      EXIT.failed,
    );
  const warnings: string[] = [];
  if (!metadata.jwks_uri) warnings.push("no jwks_uri: give the transmitter's public keys inline (jwks) instead");
  if (metadata.delivery_methods_supported && !metadata.delivery_methods_supported.includes(PUSH))
    warnings.push(
      metadata.delivery_methods_supported.includes(POLL)
        ? `push delivery (${PUSH}) is not offered: Ward polls it (the entry's poll; ward ssf create --poll)`
        : `neither push (${PUSH}) nor poll (${POLL}) delivery is offered: Ward cannot receive its SETs`,
    );
  const critical = (metadata.critical_subject_members ?? []).filter((m) => m !== "user");
  if (critical.length > 0)
    warnings.push(
      `critical subject members ${critical.join(", ")}: Ward acts on the user of a complex subject only, so a SET whose subject carries one of these is refused (invalid_request), never acted on in part`,
    );
  return { metadata, from, warnings };
}

/** The policy entry for this transmitter (YAML), to paste under sharedSignals.transmitters. */
export function policySnippet(name: string, metadata: TransmitterMetadata, events: readonly SsfEventName[]): string {
  const lines = [
    "sharedSignals:",
    "  audience: https://ward.example.com/production   # this environment's own: the aud its stream carries",
    "  transmitters:",
    `    ${name}:`,
    `      issuer: ${metadata.issuer}`,
    metadata.jwks_uri
      ? `      jwksUri: ${metadata.jwks_uri}`
      : "      jwks: { keys: [] }   # the transmitter's public keys",
    "      algorithms: [RS256]   # as the transmitter signs; asymmetric only",
    `      events: [${events.join(", ")}]`,
  ];
  if (metadata.critical_subject_members?.length)
    lines.push(`      criticalSubjectMembers: [${metadata.critical_subject_members.join(", ")}]`);
  const methods = metadata.delivery_methods_supported;
  if (methods && !methods.includes(PUSH) && methods.includes(POLL))
    lines.push(
      "      poll:   # the stream's endpoint_url (ward ssf create --poll prints it); the secret holds 'Bearer ...'",
      `        endpoint: https://...`,
      `        authorization: SSF_${name.toUpperCase().replace(/-/g, "_")}_POLL`,
    );
  return lines.join("\n");
}

/** The events Ward understands among those a stream configuration lists (URIs), by short name. */
export function eventNamesOf(uris: readonly string[]): SsfEventName[] {
  return SSF_EVENT_NAMES.filter((name) => uris.includes(EVENT_URIS[name]));
}
