// A route's `websocket` setting, checked with the rest of the route (policy/validate/routes.ts calls this).
import type { Collector } from "../validate/collector.ts";
import type { Route } from "../schema.ts";

/** An upgrade is a GET (RFC 6455 §4.1): `websocket` on a route that does not take GET could never apply. */
export function checkWebSocket(route: Route, at: string, out: Collector): void {
  if (route.websocket === undefined || route.websocket === false) return;
  if (route.methods.includes("GET") || route.methods.includes("*")) return;
  out.add(
    "error",
    "websocket-without-get",
    `${at}.websocket`,
    `route ${route.id} allows WebSocket upgrades but not GET, the only method an upgrade comes with`,
    "add GET to methods, or move websocket to the route that takes GET for this path",
  );
}
