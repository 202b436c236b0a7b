// A route's `websocket` setting, checked with the rest of the route (policy/validate/routes.ts calls this).
import type { Collector } from "../validate/collector.ts";
import type { Route } from "../schema.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, MESSAGE_OVERHEAD_BYTES } from "./limits.ts";

/** An upgrade is a GET (RFC 6455 §4.1): `websocket` on a route that does not take GET could never apply. */
export function checkWebSocket(route: Route, at: string, out: Collector): void {
  if (route.websocket === undefined || route.websocket === false) return;
  checkRate(route, at, out);
  if (route.methods.includes("GET") || route.methods.includes("*")) return;
  out.add(
    "error",
    "websocket-without-get",
    `${at}.websocket`,
    `route ${route.id} allows WebSocket upgrades but not GET, the only method an upgrade comes with`,
    "add GET to methods, or move websocket to the route that takes GET for this path",
  );
}

/**
 * A byte budget a second below what the route's largest message costs (its bytes and MESSAGE_OVERHEAD_BYTES) is
 * raised to it (policy/websocket/limits.ts: a message the route allows must pass), so what is written is not
 * what applies.
 */
function checkRate(route: Route, at: string, out: Collector): void {
  const setting = route.websocket;
  if (typeof setting !== "object" || setting.maxBytesPerSecond === undefined) return;
  // Without its own, the default (WEBSOCKET_MAX_MESSAGE_BYTES may set another, which validation cannot see).
  const message = setting.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const costs = message + MESSAGE_OVERHEAD_BYTES;
  if (setting.maxBytesPerSecond >= costs) return;
  const whose = setting.maxMessageBytes === undefined ? " (the default)" : "";
  out.add(
    "warning",
    "websocket-rate-below-message",
    `${at}.websocket.maxBytesPerSecond`,
    `route ${route.id} allows messages of ${message} bytes${whose} but ${setting.maxBytesPerSecond} bytes a second: Ward applies ${costs} a second (a message counts ${MESSAGE_OVERHEAD_BYTES} bytes besides its own), so that one such message can pass`,
    `set maxBytesPerSecond to at least ${costs}, or lower maxMessageBytes`,
  );
}
