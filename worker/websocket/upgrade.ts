// A WebSocket upgrade the policy allowed, once its origin has switched protocols: Ward keeps both sockets
// (relay.ts), hands the client its end in a 101, watches the access that opened it (watch.ts), and logs the
// close with its cause and duration under the upgrade's request id.
import {
  readSetting,
  routeWebSocket,
  upgradeKind,
  websocketCloseLine,
  websocketLimits,
  wouldDenyClaim,
  type CompiledPolicy,
  type CredentialSeen,
  type Decision,
  type RequestFacts,
  type UpgradeKind,
} from "../../policy/index.ts";
import type { Env } from "../env.ts";
import type { ReceivedHeaders } from "../received-headers.ts";
import type { CertificateFacts } from "../identity/mtls.ts";
import { Relay } from "./relay.ts";
import { watchAccess } from "./watch.ts";

/** What the request asks for: no upgrade, a WebSocket one, or any other (refused: policy/websocket/upgrade.ts). */
export function upgradeOf(request: Request, headers: ReceivedHeaders): UpgradeKind {
  return upgradeKind(request.method, headers.upgrade, headers.connection);
}

const TOKEN_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/**
 * The subprotocols the client offers (Sec-WebSocket-Protocol), passed to the origin when they are a list of
 * tokens (RFC 6455 §4.1) of a sane length; anything else is not passed, and the origin chooses none.
 */
export function offeredProtocols(headers: ReceivedHeaders): string | undefined {
  const offered = headers.all.get("sec-websocket-protocol")?.trim();
  return offered && offered.length <= 1024 && TOKEN_LIST.test(offered) ? offered : undefined;
}

/** Fields of the origin's 101 that belong to the origin's connection, not the client's. */
const HANDSHAKE_ANSWER = [
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-extensions",
  "content-length",
];

export interface Upgraded {
  env: Env;
  /** The upgrade's request: the connection's checks identify its credentials again (watch.ts, reidentify). */
  request: Request;
  policy: CompiledPolicy;
  decision: Decision;
  facts: RequestFacts;
  certificate: CertificateFacts | undefined;
  /** When each verified credential stops being accepted (identify()). */
  expiresAt: Partial<Record<CredentialSeen["kind"], number>>;
  requestId: string;
  /**
   * When the denylist copy the upgrade's directory facts were checked against was read (denylistCopyReadAt):
   * a security event's directory refresh recorded after it makes them stale.
   */
  directoryAsOf: number;
  /** The origin's 101, with its socket. */
  origin: Response & { webSocket: WebSocket };
  waitUntil: (p: Promise<unknown>) => void;
}

/** Relays the origin's socket to the client; the 101 the client gets. */
export function openWebSocket(u: Upgraded): Response {
  const openedAt = Date.now();
  const setting = routeWebSocket(u.policy, u.decision.route) ?? true;
  const limits = websocketLimits(setting, {
    maxMessageBytes: readSetting("WEBSOCKET_MAX_MESSAGE_BYTES", u.env.WEBSOCKET_MAX_MESSAGE_BYTES),
    maxBytesPerSecond: readSetting("WEBSOCKET_MAX_BYTES_PER_SECOND", u.env.WEBSOCKET_MAX_BYTES_PER_SECOND),
    idleSeconds: readSetting("WEBSOCKET_IDLE_SECONDS", u.env.WEBSOCKET_IDLE_SECONDS),
  });
  const relay = new Relay(u.origin.webSocket, limits, openedAt, u.requestId);
  const expiries = Object.values(u.expiresAt);
  const wouldDeny = wouldDenyClaim(u.decision);
  watchAccess({
    env: u.env,
    relay,
    facts: u.facts,
    request: u.request,
    identifiedUnder: u.policy.version,
    // Identified a moment before, while the origin answered: the next identification is due a minute on.
    identifiedAt: openedAt,
    certificate: u.certificate,
    opened: {
      ...(expiries.length > 0 ? { credentialExpiresAt: Math.min(...expiries) } : {}),
      ...(u.decision.exception ? { grant: u.decision.exception } : {}),
      ...(u.decision.route ? { route: u.decision.route } : {}),
      ...(u.decision.service ? { service: u.decision.service } : {}),
      // What the origin was told besides (ward_would_deny): a re-decision that tells it otherwise ends it.
      ...(wouldDeny !== undefined ? { wouldDeny } : {}),
    },
    requestId: u.requestId,
    directoryAsOf: u.directoryAsOf,
    checkMs: readSetting("WEBSOCKET_CHECK_SECONDS", u.env.WEBSOCKET_CHECK_SECONDS)! * 1000,
    idleMs: limits.idleSeconds * 1000,
    waitUntil: u.waitUntil,
  });
  relay.onEnd((end) => {
    const line = websocketCloseLine({
      requestId: u.requestId,
      principal: u.decision.principal,
      ...(u.decision.service ? { service: u.decision.service } : {}),
      ...(u.decision.route ? { route: u.decision.route } : {}),
      cause: end.cause,
      code: end.code,
      openedAt,
      closedAt: end.at,
      messagesFromClient: end.messagesFromClient,
      messagesFromOrigin: end.messagesFromOrigin,
    });
    console.log(JSON.stringify(line));
  });
  // The origin's answer as for any forwarded request (its chosen subprotocol, cookies, the request id, the
  // rate limit's fields), less the handshake fields the runtime writes for the client's own connection.
  const headers = new Headers(u.origin.headers);
  for (const name of HANDSHAKE_ANSWER) headers.delete(name);
  return new Response(null, { status: 101, webSocket: relay.client, headers });
}
