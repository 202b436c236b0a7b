// What bounds a relayed WebSocket connection: the largest message Ward relays, how many bytes a second it relays
// each way, how long a connection may carry nothing, and how often an open connection's access is checked again.
// Defaults here, settable per route (`websocket: { maxMessageBytes, maxBytesPerSecond, idleTimeout }`) and for
// the whole gateway by environment variables.

/**
 * 1 MiB: what Cloudflare documents as the largest WebSocket message a Worker receives (a larger one is closed
 * by the runtime itself with 1009), so a larger default would promise what the platform may not deliver.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** The most a route may set: a relayed message is held whole in memory (an isolate has 128 MB). */
export const MAX_MESSAGE_BYTES_LIMIT = 32 * 1024 * 1024;
/**
 * 16 MiB a second each way: sixteen messages of the default largest size. Ward cannot see how much waits behind
 * a side that reads slowly (the runtime has no bufferedAmount, and send() says nothing of delivery), so a sender
 * at full speed would have the isolate hold all of it; this bounds how fast that can grow, not how much is held.
 * About 134 Mbit/s sustained over one socket: above what interactive use (chat, feeds, terminals, editors)
 * sends, and an eighth of an isolate's 128 MB in any one second.
 */
export const DEFAULT_MAX_BYTES_PER_SECOND = 16 * 1024 * 1024;
/** The most a route may set: 128 MiB a second, an isolate's whole memory; a larger budget bounds nothing. */
export const MAX_BYTES_PER_SECOND_LIMIT = 128 * 1024 * 1024;
/** The window the rate is counted over, per connection and direction (ms). */
export const RATE_WINDOW_MS = 1000;
/**
 * What a message costs the budget besides its payload (bytes). An empty message is not free: on the wire it is a
 * frame header (2 to 14 bytes), and in the isolate an event, its data and an entry in the other side's send queue,
 * some tens of bytes each, and a dispatch on the thread every request shares. Counted by payload alone, 20,000
 * empty messages passed in under a second on a route with a budget of 4,096 bytes a second. 64 is of the order of
 * what each holds: a side sending nothing but empty messages gets budget / 64 a second, while a message of a
 * kilobyte is counted within a few per cent of its size.
 */
export const MESSAGE_OVERHEAD_BYTES = 64;
/** Ten minutes without a message either way: a forgotten browser tab does not hold an origin connection for good. */
export const DEFAULT_IDLE_SECONDS = 600;
/** The longest idle time a route may set (a day). */
export const MAX_IDLE_SECONDS = 86_400;
/**
 * Every open connection's access is checked this often (seconds). Together with how often the isolate re-reads
 * its copies (denylist 2 s, policy 5 s), it bounds how long access outlives its end: operations.md.
 */
export const DEFAULT_CHECK_SECONDS = 2;
/**
 * The longest interval WEBSOCKET_CHECK_SECONDS is read as (a minute): access outlives its end by up to this, and
 * a timer's delay past 2^31 ms would fire at once, over and over, instead of never.
 */
export const MAX_CHECK_SECONDS = 60;
/**
 * The shortest (50 ms): each open connection's check is a timer and a decision, and `0.001` would run a thousand
 * a second per connection, on the isolate every request shares.
 */
export const MIN_CHECK_SECONDS = 0.05;

/** A route's `websocket` setting as the gateway applies it. */
export interface WebSocketLimits {
  maxMessageBytes: number;
  /**
   * Bytes relayed each way per RATE_WINDOW_MS, each message counted with MESSAGE_OVERHEAD_BYTES more; never less
   * than maxMessageBytes plus that, so that a message the route allows passes.
   */
  maxBytesPerSecond: number;
  idleSeconds: number;
}

/** Gateway-wide settings (environment variables), each already a number or absent when unset or unusable. */
export interface WebSocketDefaults {
  maxMessageBytes?: number;
  maxBytesPerSecond?: number;
  idleSeconds?: number;
}

/** What a route says: `true`, or limits of its own (any may be left out). */
export type RouteWebSocket = true | { maxMessageBytes?: number; maxBytesPerSecond?: number; idleSeconds?: number };

/** The limits of one connection: the route's, else the gateway's, else the defaults; never above the caps. */
export function websocketLimits(route: RouteWebSocket, defaults: WebSocketDefaults = {}): WebSocketLimits {
  const own = route === true ? {} : route;
  const maxMessageBytes = Math.min(
    own.maxMessageBytes ?? defaults.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    MAX_MESSAGE_BYTES_LIMIT,
  );
  const maxBytesPerSecond = Math.min(
    own.maxBytesPerSecond ?? defaults.maxBytesPerSecond ?? DEFAULT_MAX_BYTES_PER_SECOND,
    MAX_BYTES_PER_SECOND_LIMIT,
  );
  return {
    maxMessageBytes,
    maxBytesPerSecond: Math.max(maxBytesPerSecond, maxMessageBytes + MESSAGE_OVERHEAD_BYTES),
    idleSeconds: Math.min(own.idleSeconds ?? defaults.idleSeconds ?? DEFAULT_IDLE_SECONDS, MAX_IDLE_SECONDS),
  };
}
