// The line the gateway writes when a relayed WebSocket connection ends: one per connection, with the request id
// of its upgrade (whose decision line says `"outcome":"websocket-opened"`), so `ward why <request-id>` and a log
// search find both. One schema for the writer (worker/websocket/) and any reader.
import * as z from "zod";
import type { CloseCause } from "./close.ts";

export const websocketCloseLineSchema = z.object({
  level: z.literal("info"),
  event: z.literal("websocket-closed"),
  /** When the connection ended, ISO 8601. */
  time: z.string(),
  /** The upgrade's request id. */
  requestId: z.string(),
  principal: z.string(),
  service: z.string().nullable(),
  route: z.string().nullable(),
  /** A CloseCause (read as text: a newer Ward may have more). */
  cause: z.string(),
  /** The close code each side was sent, or the one the closing side sent. */
  code: z.number().int(),
  /** From the 101 to the close. */
  durationMs: z.number(),
  messagesFromClient: z.number().int(),
  messagesFromOrigin: z.number().int(),
});
export type WebSocketCloseLine = z.infer<typeof websocketCloseLineSchema>;

export interface WebSocketCloseRecord {
  requestId: string;
  principal: string;
  service?: string;
  route?: string;
  cause: CloseCause;
  code: number;
  /** When the connection opened and closed, ms since the epoch. */
  openedAt: number;
  closedAt: number;
  messagesFromClient: number;
  messagesFromOrigin: number;
}

export function websocketCloseLine(record: WebSocketCloseRecord): WebSocketCloseLine {
  return {
    level: "info",
    event: "websocket-closed",
    time: new Date(record.closedAt).toISOString(),
    requestId: record.requestId,
    principal: record.principal,
    service: record.service ?? null,
    route: record.route ?? null,
    cause: record.cause,
    code: record.code,
    durationMs: Math.max(0, record.closedAt - record.openedAt),
    messagesFromClient: record.messagesFromClient,
    messagesFromOrigin: record.messagesFromOrigin,
  };
}

/** A close event already parsed (e.g. out of a log export's wrapper), or undefined for anything else. */
export function asWebSocketCloseLine(value: unknown): WebSocketCloseLine | undefined {
  const parsed = websocketCloseLineSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** One log line's close event, or undefined for anything else. */
export function parseWebSocketCloseLine(text: string): WebSocketCloseLine | undefined {
  try {
    return asWebSocketCloseLine(JSON.parse(text));
  } catch {
    return undefined;
  }
}
