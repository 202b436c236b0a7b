// Ward in the middle of a WebSocket: the client's socket is one end of a WebSocketPair Ward holds, the origin's
// is the socket its binding returned, and every message passes through here. So Ward can close both the moment
// access ends, bound what a message may weigh and how fast either side sends, and see a connection go idle. Each
// end's close is passed on to the other; whatever ends the connection ends it once, and says why.
import {
  closeFrame,
  MESSAGE_OVERHEAD_BYTES,
  RATE_WINDOW_MS,
  type CloseCause,
  type WebSocketLimits,
} from "../../policy/index.ts";
import { logEvent } from "../log/events.ts";
import { utf8Length } from "../shared/utf8.ts";
import { closeSocket, passedOnReason } from "./close-socket.ts";

type Closer = Exclude<CloseCause, "client-closed" | "origin-closed">;

export interface RelayEnd {
  cause: CloseCause;
  /** The code both sides were sent (Ward's), or the code the closing side sent. */
  code: number;
  at: number;
  messagesFromClient: number;
  messagesFromOrigin: number;
}

type Message = string | ArrayBuffer | Blob;

/** What a message weighs in bytes, or undefined when it is over `max` (a longer string is not measured). */
function weight(data: Message, max: number): number | undefined {
  let bytes: number;
  if (data instanceof Blob) bytes = data.size;
  else if (typeof data !== "string") bytes = data.byteLength;
  else if (data.length > max)
    return undefined; // a UTF-16 unit is at least one byte in UTF-8
  else bytes = utf8Length(data);
  return bytes > max ? undefined : bytes;
}

/** Bytes one side sent in the current window, which began at `start` (ms). */
interface Window {
  start: number;
  bytes: number;
}

/**
 * A code one side closed with, as it can be sent to the other (RFC 6455 §7.4.1): 1005 (no code) is passed on as
 * no code, codes no endpoint may send (1006 abnormal, 1015 TLS, reserved ones) as 1001 "going away" (and without
 * the reason: closedBy).
 */
function passedOn(code: number): number | undefined {
  if (code === 1005) return undefined;
  const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return sendable ? code : 1001;
}

export class Relay {
  /** The end handed to the client in the 101 response. */
  readonly client: WebSocket;
  private readonly server: WebSocket;
  private lastMessageAt: number;
  private fromClient = 0;
  private fromOrigin = 0;
  /** Per direction: what each side sent in its current window (RATE_WINDOW_MS). */
  private readonly sent: Record<"client" | "origin", Window> = {
    client: { start: 0, bytes: 0 },
    origin: { start: 0, bytes: 0 },
  };
  private endedWith: RelayEnd | undefined;
  private readonly listeners: ((end: RelayEnd) => void)[] = [];
  private readonly origin: WebSocket;
  private readonly limits: WebSocketLimits;
  /** The upgrade's request id, for a close that could not be sent. */
  private readonly requestId: string;

  constructor(origin: WebSocket, limits: WebSocketLimits, openedAt: number, requestId: string) {
    this.origin = origin;
    this.limits = limits;
    this.requestId = requestId;
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.client = client;
    this.server = server;
    this.lastMessageAt = openedAt;
    // Binary messages as ArrayBuffers, held once (the standard default is Blob; both are measured).
    server.binaryType = "arraybuffer";
    origin.binaryType = "arraybuffer";
    server.accept();
    origin.accept();
    server.addEventListener("message", (event) => this.pass(event.data, origin, "client"));
    origin.addEventListener("message", (event) => this.pass(event.data, server, "origin"));
    server.addEventListener("close", (event) => this.closedBy("client-closed", event.code, event.reason));
    origin.addEventListener("close", (event) => this.closedBy("origin-closed", event.code, event.reason));
    // An error ends that side's connection: the other is told it went away.
    server.addEventListener("error", () => this.closedBy("client-closed", 1006, ""));
    origin.addEventListener("error", () => this.closedBy("origin-closed", 1006, ""));
  }

  /** Called once, when the connection ends, whoever ends it. */
  onEnd(listener: (end: RelayEnd) => void): void {
    if (this.endedWith) listener(this.endedWith);
    else this.listeners.push(listener);
  }

  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  /** How long no message has passed either way, at `now` (ms). */
  idleFor(now: number): number {
    return now - this.lastMessageAt;
  }

  /** Ward ends the connection: both sides get the same frame (closeFrame), and nothing more passes. */
  end(cause: Closer): void {
    if (this.endedWith) return;
    const { code, reason } = closeFrame(cause);
    this.finish(cause, code, code, reason);
  }

  private pass(data: Message, to: WebSocket, from: "client" | "origin"): void {
    if (this.endedWith) return;
    // Refused whole, never cut: a truncated message is a different message.
    const bytes = weight(data, this.limits.maxMessageBytes);
    if (bytes === undefined) {
      this.end("message-too-large");
      return;
    }
    const now = Date.now();
    // What waits behind a side that reads slowly cannot be seen (no bufferedAmount, no completion of send()):
    // a side sending faster than the budget ends the connection, which bounds how fast the isolate's memory
    // can grow, not how much it holds. A fixed window from the first message after the last one ended. Each
    // message costs its overhead too: empty ones are not free to relay or to hold.
    const window = this.sent[from];
    if (now - window.start >= RATE_WINDOW_MS) {
      window.start = now;
      window.bytes = 0;
    }
    window.bytes += bytes + MESSAGE_OVERHEAD_BYTES;
    if (window.bytes > this.limits.maxBytesPerSecond) {
      this.end("rate-exceeded");
      return;
    }
    if (from === "client") this.fromClient++;
    else this.fromOrigin++;
    this.lastMessageAt = now;
    try {
      // An ArrayBuffer (binaryType above): a Blob, were one to come, fails here and ends the connection.
      to.send(data as string | ArrayBuffer);
    } catch {
      this.closedBy(from === "client" ? "origin-closed" : "client-closed", 1006, "");
    }
  }

  /**
   * One side closed: the other is told with the same code and reason (the app's own words, not Ward's), the
   * reason cut to what a close frame holds. A code that cannot be passed on takes its reason with it: a 1006's is
   * the runtime's own account of a connection dropped without a close ("WebSocket disconnected without sending
   * Close frame."), not the other end's words, and a reason goes with the code it was sent with, not with 1001.
   */
  private closedBy(cause: "client-closed" | "origin-closed", code: number, reason: string): void {
    if (this.endedWith) return;
    const sent = passedOn(code);
    this.finish(cause, code, sent, sent === code ? passedOnReason(reason) : undefined);
  }

  /**
   * Ends the connection: nothing more passes, both sides are sent a close, and only then is it ended for the
   * listeners (the checks stop, the close is logged).
   * A close the runtime refuses in every form is logged, never passed over in silence.
   */
  private finish(cause: CloseCause, code: number, sent: number | undefined, reason: string | undefined): void {
    const end: RelayEnd = {
      cause,
      code,
      at: Date.now(),
      messagesFromClient: this.fromClient,
      messagesFromOrigin: this.fromOrigin,
    };
    this.endedWith = end;
    // The side that did not close first: it learns of the close; then the one that did, to complete the handshake.
    const sides = cause === "client-closed" ? (["origin", "client"] as const) : (["client", "origin"] as const);
    for (const side of sides) {
      const failure = closeSocket(side === "client" ? this.server : this.origin, sent, reason);
      if (failure !== undefined)
        logEvent("error", "websocket-close-failed", { requestId: this.requestId, side, cause, error: String(failure) });
    }
    for (const listener of this.listeners.splice(0)) listener(end);
  }
}
