// A route's `websocket` setting, checked with the rest of the route (policy/validate/routes.ts calls this).
import type { Collector } from "../validate/collector.ts";
import type { Route } from "../schema.ts";

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
 * A byte budget a second below the route's largest message is raised to it (policy/websocket/limits.ts: a message
 * the route allows must pass), so what is written is not what applies.
 */
function checkRate(route: Route, at: string, out: Collector): void {
  const setting = route.websocket;
  if (typeof setting !== "object" || setting.maxBytesPerSecond === undefined || setting.maxMessageBytes === undefined)
    return;
  if (setting.maxBytesPerSecond >= setting.maxMessageBytes) return;
  out.add(
    "warning",
    "websocket-rate-below-message",
    `${at}.websocket.maxBytesPerSecond`,
    `route ${route.id} allows messages of ${setting.maxMessageBytes} bytes but ${setting.maxBytesPerSecond} bytes a second: Ward applies ${setting.maxMessageBytes} a second, so that one such message can pass`,
    `set maxBytesPerSecond to at least ${setting.maxMessageBytes}, or lower maxMessageBytes`,
  );
}
