// The oracle of ssf-transmitter-differential.test.ts, from docs/ssf.md ("Connect a transmitter"),
// docs/operations.md (exit statuses: 0 done, 1 refused or failed, 2 usage; every line printed without controls)
// and OpenID SSF 1.0 §7 (transmitter configuration metadata, stream creation, status, verification), never from
// Ward's code. `must` is what Ward has to do; `undefined` leaves the outcome open (the docs do not say), and the
// checks that hold on every run (no forged line, no control character, no crash) still apply.
import {
  type ConfigCase,
  configAnswer,
  POLL,
  PUSH,
  REQUESTED,
  REQUESTED_URIS,
  type StreamCase,
} from "./ssf-transmitter-cases.ts";

const URL_MEMBERS = [
  "jwks_uri",
  "configuration_endpoint",
  "status_endpoint",
  "verification_endpoint",
  "add_subject_endpoint",
  "remove_subject_endpoint",
];

/**
 * The loopback the tests' own transmitter runs on: the CLI's test calls it over http (test/cli/ssf.test.ts
 * "calls nothing but https (or this machine's loopback)"; docs/ssf.md does not say).
 */
export function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

/** docs/ssf.md: every URL in the configuration HTTPS; whitespace refused (operations.md). */
export function goodUrl(value: unknown): boolean {
  if (typeof value !== "string" || /[\s\u0000-\u001f\u007f-\u009f]/u.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url));
}

export interface ConfigExpected {
  /** 1: must refuse; undefined: either, but a success must print an entry `ward validate` takes. */
  must?: 1;
  why?: string;
}

/**
 * The issuers a case asks for: the one named, or, asked by the configuration's own URL, the URL it is made from
 * written with or without a trailing `/` (docs/ssf.md: §7.2 drops the `/` before inserting the name, so both are
 * served there; RFC 8414 §3.3).
 */
function issuersAskedFor(c: ConfigCase, base: string): string[] {
  const named = `${base}${c.issuerPath}`;
  return c.byUrl ? [named, `${named.replace(/\/$/, "")}/`] : [named];
}

export function expectedConfig(c: ConfigCase, base: string): ConfigExpected {
  const answer = configAnswer(c);
  if (c.answer) {
    // No redirect followed (ssf.md), an answer over 1 MiB refused (the CLI's bound); a document is a JSON object.
    if (answer.status !== 200 && answer.status !== 201) return { must: 1, why: `answer ${answer.status}` };
    if (answer.endless) return { must: 1, why: "over 1 MiB" };
    if (answer.reset) return { must: 1, why: "the connection dropped" };
    if ((answer.body?.length ?? 0) > 1024 * 1024) return { must: 1, why: "over 1 MiB" };
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body ?? "");
    } catch {
      return answer.body?.startsWith("\ufeff") ? {} : { must: 1, why: "no JSON" };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { must: 1, why: "no object" };
  }
  // A member written twice: JSON.parse's reading (the last), as any JSON reader would take the document.
  const d = c.extra ? (JSON.parse(answer.body!) as Record<string, unknown>) : c.document;
  // SSF 1.0 §7.2.4: the issuer exactly the one asked for.
  if (!issuersAskedFor(c, base).includes(d.issuer as string)) return { must: 1, why: "issuer mismatch" };
  for (const member of URL_MEMBERS)
    if (member in d && d[member] !== undefined && !goodUrl(d[member])) return { must: 1, why: `${member} not https` };
  return {};
}

/** The policy entry a success must print, as docs/ssf.md's example and policy.md's `sharedSignals` say. */
export interface EntryExpected {
  issuer: string;
  jwksUri: unknown;
  /** critical_subject_members copied (policy.md): when the document lists names. */
  critical?: unknown;
  /** A `poll` entry: the transmitter offers polling only (ssf.md "Poll delivery"). */
  poll: boolean;
}

export function expectedEntry(c: ConfigCase, base: string): EntryExpected {
  // A document that was read (a success): its leading byte order mark, if any, dropped as a UTF-8 decoder does.
  const d = c.extra
    ? (JSON.parse(configAnswer(c).body!.replace(/^\ufeff/, "")) as Record<string, unknown>)
    : c.document;
  const methods = Array.isArray(d.delivery_methods_supported) ? d.delivery_methods_supported : [];
  return {
    // The configuration's own, once it is one asked for (expectedConfig).
    issuer: issuersAskedFor(c, base).includes(d.issuer as string) ? (d.issuer as string) : `${base}${c.issuerPath}`,
    jwksUri: d.jwks_uri,
    critical:
      Array.isArray(d.critical_subject_members) && d.critical_subject_members.length > 0
        ? d.critical_subject_members
        : undefined,
    poll: methods.includes(POLL) && !methods.includes(PUSH),
  };
}

export interface StreamExpected {
  /** 0 or 1 when the docs say which; undefined: either. */
  must?: 0 | 1;
  why?: string;
  /** create: requested events the transmitter will not deliver, each to be warned of (ssf.md step 4). */
  warnOf?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function expectedStream(c: StreamCase, base: string, audience: string): StreamExpected {
  const ok = c.answer.status >= 200 && c.answer.status < 300 && !c.answer.reset;
  if (c.command === "verify") {
    // SSF 1.0 §7.1.4.2: 204 on success; an error status is a failure.
    if (c.answer.status === 204) return { must: 0, why: "verification requested" };
    return ok ? {} : { must: 1, why: `verify answered ${c.answer.status}` };
  }
  if (c.command === "status") {
    if (!ok || !c.said) return { must: 1, why: "no status read" };
    // ssf.md: exit 1 when the stream is not enabled (ssf.test.ts); SSF 1.0 §7.1.2.1: enabled, paused, disabled.
    if (c.said.status !== "enabled") return { must: 1, why: `status ${JSON.stringify(c.said.status)}` };
    return {};
  }
  // create: SSF 1.0 §7.1.1.1 answers 201 with the stream's configuration (another 2xx: either).
  if (ok && c.answer.status !== 200 && c.answer.status !== 201) return {};
  if (!ok || !c.said) return { must: 1, why: `create answered ${c.answer.status} without a configuration` };
  const s = c.said;
  // ssf.md step 4: the stream's issuer checked; its aud must be the policy's audience.
  if (s.iss !== `${base}/s${c.id}`) return { must: 1, why: "stream iss not the issuer" };
  const aud = s.aud;
  if (Array.isArray(aud) ? !aud.includes(audience) : aud !== audience) return { must: 1, why: "aud not the policy's" };
  const warnOf = Array.isArray(s.events_delivered)
    ? REQUESTED.filter((_, i) => !(s.events_delivered as unknown[]).includes(requestedUri(i)))
    : undefined;
  if (Array.isArray(aud)) return { warnOf };
  // ssf.md step 4: a stream id not of RFC 3986's unreserved characters (SSF 1.0 §7.1.1 SHOULD) is refused, not
  // printed into the command to run next.
  if (typeof s.stream_id === "string" && !/^[A-Za-z0-9._~-]{1,256}$/.test(s.stream_id))
    return { must: 1, why: "stream_id not of unreserved characters" };
  if (!isObject(s.delivery) || typeof s.stream_id !== "string" || s.stream_id === "") return { warnOf };
  return { must: 0, why: "a stream created as asked", warnOf };
}

const requestedUri = (i: number) => REQUESTED_URIS[i]!;
