// The Security Event Token types Ward understands (OpenID CAEP 1.0, RISC 1.0, SSF 1.0), by the short name a
// policy subscribes with and the URI a SET carries. The vocabulary is closed: a SET with any other event type
// is refused whole, so a transmitter cannot slip an event Ward would misread past the subscription check.

import { TOKEN_ALGORITHMS } from "../token-issuers.ts";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC = "https://schemas.openid.net/secevent/risc/event-type/";
const SSF = "https://schemas.openid.net/secevent/ssf/event-type/";

/** The events a policy may subscribe to: each has an effect (docs/ssf.md). */
export const SSF_EVENT_NAMES = [
  "session-revoked",
  "credential-change",
  "token-claims-change",
  "device-compliance-change",
  "account-disabled",
  "account-enabled",
  "account-purged",
  "credential-compromise",
] as const;
export type SsfEventName = (typeof SSF_EVENT_NAMES)[number];

/** Stream management events: a transmitter may send them on any stream, subscribed or not (SSF 1.0 §8.1.4, §8.1.5). */
export const STREAM_EVENT_NAMES = ["verification", "stream-updated"] as const;
export type StreamEventName = (typeof STREAM_EVENT_NAMES)[number];

export type KnownEventName = SsfEventName | StreamEventName;

export const EVENT_URIS: Readonly<Record<KnownEventName, string>> = {
  "session-revoked": `${CAEP}session-revoked`,
  "credential-change": `${CAEP}credential-change`,
  "token-claims-change": `${CAEP}token-claims-change`,
  "device-compliance-change": `${CAEP}device-compliance-change`,
  "account-disabled": `${RISC}account-disabled`,
  "account-enabled": `${RISC}account-enabled`,
  "account-purged": `${RISC}account-purged`,
  "credential-compromise": `${RISC}credential-compromise`,
  verification: `${SSF}verification`,
  "stream-updated": `${SSF}stream-updated`,
};

const BY_URI: ReadonlyMap<string, KnownEventName> = new Map(
  Object.entries(EVENT_URIS).map(([name, uri]) => [uri, name as KnownEventName]),
);

/** The short name of an event type URI, exactly as written (URIs compare as strings, RFC 8417 §2.2). */
export const eventNameOf = (uri: string): KnownEventName | undefined => BY_URI.get(uri);

export const isStreamEvent = (name: KnownEventName): name is StreamEventName =>
  (STREAM_EVENT_NAMES as readonly string[]).includes(name);

/**
 * JWS algorithms a transmitter's key may sign with: asymmetric only. With a shared secret (HS256...) whoever
 * can check a SET can also forge one, and a key set published to all receivers would sign for all of them.
 */
export const ASYMMETRIC_ALGORITHMS = [
  ...TOKEN_ALGORITHMS,
  // RFC 9864's fully specified name for EdDSA over Ed25519, which a transmitter may publish.
  "Ed25519",
] as const;

/** The media type of a pushed SET (RFC 8935 §2) and the `typ` its header carries (RFC 8417 §2.3, SSF 1.0 §4.1.1). */
export const SET_MEDIA_TYPE = "application/secevent+jwt";
