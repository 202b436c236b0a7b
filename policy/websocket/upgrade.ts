// Which requests ask to switch protocols, and which of them Ward carries: a WebSocket upgrade (a GET with
// `Upgrade: websocket`), on a route whose `websocket` allows it, from a page of the app's own origin, for a
// caller the policy allows. Every other upgrade is refused, never forwarded without its Upgrade header: an
// origin that switched protocols on a request Ward took for plain HTTP (h2c smuggling) would carry whatever
// the client sent next with no decision at all.
import type { CompiledPolicy } from "../compile.ts";
import type { Decision } from "../decision.ts";
import { statusFor } from "../status.ts";
import { durationSeconds } from "../duration.ts";
import type { RouteWebSocket } from "./limits.ts";

/**
 * `none`: no upgrade asked for. `websocket`: a well-formed WebSocket upgrade. `other`: any other protocol
 * (h2c, TLS/1.0, a list of several), an Upgrade on a method other than GET, or `Connection: upgrade` without
 * an Upgrade header (half of an upgrade, which a proxy between Ward and the origin might complete).
 */
export type UpgradeKind = "none" | "websocket" | "other";

/** The decision log's outcome of an upgrade Ward relays (beside the delivery reasons of policy/status.ts). */
export const WEBSOCKET_OPENED = "websocket-opened";
export type WebSocketOutcome = typeof WEBSOCKET_OPENED;

/**
 * Request headers of a WebSocket handshake that the runtime makes anew for the origin's connection: not reported
 * as dropped (the decision log, `ward explain`), though the client's own values are not what the origin gets.
 */
export const WEBSOCKET_HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
]);

const namesUpgrade = (connection: string): boolean =>
  connection.split(",").some((token) => token.trim().toLowerCase() === "upgrade");

/** `upgrade`, `connection`: the request's headers of those names (null when absent). */
export function upgradeKind(method: string, upgrade: string | null, connection: string | null): UpgradeKind {
  if (upgrade === null) return connection !== null && namesUpgrade(connection) ? "other" : "none";
  // Exactly one protocol, named exactly (RFC 6455 §4.2.1: case-insensitive): a list lets the origin pick.
  return method === "GET" && upgrade.trim().toLowerCase() === "websocket" ? "websocket" : "other";
}

/** Each policy version's routes that allow upgrades, by qualified route id (built once per version, on demand). */
const byPolicy = new WeakMap<CompiledPolicy, ReadonlyMap<string, RouteWebSocket>>();

/** What the route says about upgrades: its setting, or undefined when it allows none. */
export function routeWebSocket(policy: CompiledPolicy, route: string | undefined): RouteWebSocket | undefined {
  if (route === undefined) return undefined;
  let routes = byPolicy.get(policy);
  if (!routes) {
    const found = new Map<string, RouteWebSocket>();
    for (const [service, { routes: list }] of Object.entries(policy.document.services)) {
      for (const r of list) {
        const setting = r.websocket;
        if (setting === undefined || setting === false) continue;
        found.set(
          `${service}/${r.id}`,
          setting === true
            ? true
            : {
                ...(setting.maxMessageBytes !== undefined ? { maxMessageBytes: setting.maxMessageBytes } : {}),
                ...(setting.maxBytesPerSecond !== undefined ? { maxBytesPerSecond: setting.maxBytesPerSecond } : {}),
                ...(setting.idleTimeout !== undefined ? { idleSeconds: durationSeconds(setting.idleTimeout) } : {}),
              },
        );
      }
    }
    byPolicy.set(policy, (routes = found));
  }
  return routes.get(route);
}

/**
 * The decision for a request that asks for an upgrade. A denial stands as it is (an anonymous caller is still
 * asked to sign in, and learns nothing about the route). An allowed one, audit mode included, is refused when
 * the upgrade is not a WebSocket one the route allows (`upgrade-not-allowed`), or when a browser made it for
 * another origin's page (`upgrade-cross-origin`: cross-site WebSocket hijacking, since the Access cookie goes
 * with the handshake and the page could then read the socket as the person).
 */
export function applyUpgrade(
  policy: CompiledPolicy,
  decision: Decision,
  kind: UpgradeKind,
  crossOrigin: () => boolean,
): Decision {
  if (kind === "none" || decision.effect === "deny") return decision;
  const hidden = decision.service !== undefined && policy.document.services[decision.service]?.hide === true;
  const allowed = kind === "websocket" && routeWebSocket(policy, decision.route) !== undefined;
  const reason = !allowed ? "upgrade-not-allowed" : crossOrigin() ? "upgrade-cross-origin" : undefined;
  if (!reason) return decision;
  // Not the allow rule's (or grant's) decision any more: the log names no rule, so none is blamed.
  const { wouldDeny: _wouldDeny, rule: _rule, exception: _exception, ...rest } = decision;
  return {
    ...rest,
    effect: "deny",
    status: statusFor(reason, hidden),
    reasons: [reason],
    obligations: { rateLimits: [], headers: {} },
  };
}
