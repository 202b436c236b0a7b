// WebSockets: which upgrades Ward carries, the limits of a relayed connection, and when it ends.
export {
  applyUpgrade,
  routeWebSocket,
  upgradeKind,
  WEBSOCKET_HANDSHAKE_HEADERS,
  WEBSOCKET_OPENED,
  type UpgradeKind,
  type WebSocketOutcome,
} from "./upgrade.ts";
export {
  DEFAULT_CHECK_SECONDS,
  MAX_CHECK_SECONDS,
  MIN_CHECK_SECONDS,
  DEFAULT_IDLE_SECONDS,
  DEFAULT_MAX_BYTES_PER_SECOND,
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_IDLE_SECONDS,
  MAX_BYTES_PER_SECOND_LIMIT,
  MAX_MESSAGE_BYTES_LIMIT,
  MESSAGE_OVERHEAD_BYTES,
  RATE_WINDOW_MS,
  websocketLimits,
  type RouteWebSocket,
  type WebSocketDefaults,
  type WebSocketLimits,
} from "./limits.ts";
export {
  ACCESS_ENDED_CODE,
  ACCESS_ENDED_REASON,
  accessEnded,
  CLOSE_CAUSES,
  closeCauseText,
  closeFrame,
  type AccessEnded,
  type CloseCause,
  type OpenedAccess,
} from "./close.ts";
export {
  asWebSocketCloseLine,
  parseWebSocketCloseLine,
  websocketCloseLine,
  websocketCloseLineSchema,
  type WebSocketCloseLine,
  type WebSocketCloseRecord,
} from "./close-line.ts";
export { stillNamesAll } from "./still-names.ts";
