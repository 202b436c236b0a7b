// What a relayed WebSocket connection does, written from the docs alone, never from worker/websocket/:
// docs/policy.md ("WebSockets": the route's `websocket` and its limits), docs/operations.md ("WebSockets": the
// causes, codes, reasons, the rate window, pings, closes passed on, the close line), docs/deployment.md (the
// WEBSOCKET_* vars) and docs/origin-assertion.md ("WebSockets": access that ends, would-deny). Given a route's
// limits and a schedule (messages either way, commands the echo origin obeys, quiet gaps, closes from either side,
// access that ends), it says what each side receives, how the connection closes (code, reason), and what the close
// line says. Where timing may order two things either way (an echo in flight when the client's next message
// crosses a limit), it gives every outcome the docs allow.
//
// What the runtime does before Ward sees a frame is taken as the runtime does it, and named where it is used: a
// fragmented message arrives whole, pings are answered by it, text that is not UTF-8 arrives with U+FFFD in place
// of each bad sequence (TextDecoder's reading), a close payload shorter than a code is a close without one, a frame
// that breaks the protocol or a connection dropped without a close arrive as code 1006, a close is answered with
// its own code (a 1005 without one), and of several pings not yet answered only the latest may be (RFC 6455 §5.5.3).
// The origin is test/support/websocket-origin.ts: it echoes each data message, and obeys (never echoes) commands.
import { emitted, reasonBytes, received } from "../../support/websocket-origin.ts";

/** docs/policy.md, "WebSockets": each message costs its bytes plus 64; the window is a second. */
export const OVERHEAD = 64;
/** A quiet gap at least this long starts a new window either way (a window lasts a second from its first message). */
export const NEW_WINDOW_MS = 1150;
const DEFAULT_MAX_MESSAGE = 1048576;
const DEFAULT_BUDGET = 16777216;
const MAX_BUDGET = 134217728;
const DEFAULT_IDLE_SECONDS = 600;

/** A message as the runtime hands it to Ward: text (its UTF-8) or binary. */
export interface Payload {
  binary: boolean;
  bytes: Uint8Array;
}

export const text = (s: string): Payload => ({ binary: false, bytes: new TextEncoder().encode(s) });

/** As the echo origin records what it received (websocket-origin.ts), so both sides read alike. */
export function described(p: Payload): string {
  return received(p.binary ? 2 : 1, Buffer.from(p.bytes));
}

export type Vars = Partial<
  Record<
    | "WEBSOCKET_MAX_MESSAGE_BYTES"
    | "WEBSOCKET_MAX_BYTES_PER_SECOND"
    | "WEBSOCKET_IDLE_SECONDS"
    | "WEBSOCKET_CHECK_SECONDS",
    string
  >
>;

export interface RouteLimits {
  maxMessageBytes?: number;
  maxBytesPerSecond?: number;
  /** A policy duration: "3s", "1m". */
  idleTimeout?: string;
}

export interface Limits {
  maxMessageBytes: number;
  budget: number;
  idleMs: number;
  checkMs: number;
}

/** A var as a number: docs/deployment.md; one that is not a positive number is as if unset (the default). */
function setting(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

const DURATION_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** The route's own limit, else the var, else the default; the budget never below the largest message plus 64. */
export function limitsOf(route: true | RouteLimits, vars: Vars): Limits {
  const own = route === true ? {} : route;
  const maxMessageBytes = own.maxMessageBytes ?? setting(vars.WEBSOCKET_MAX_MESSAGE_BYTES) ?? DEFAULT_MAX_MESSAGE;
  const budget = Math.min(
    own.maxBytesPerSecond ?? setting(vars.WEBSOCKET_MAX_BYTES_PER_SECOND) ?? DEFAULT_BUDGET,
    MAX_BUDGET,
  );
  const idle = own.idleTimeout
    ? Number(own.idleTimeout.slice(0, -1)) * DURATION_SECONDS[own.idleTimeout.slice(-1) as "s"]
    : (setting(vars.WEBSOCKET_IDLE_SECONDS) ?? DEFAULT_IDLE_SECONDS);
  const check = Math.min(Math.max(setting(vars.WEBSOCKET_CHECK_SECONDS) ?? 2, 0.05), 60);
  return {
    maxMessageBytes,
    budget: Math.max(budget, maxMessageBytes + OVERHEAD),
    idleMs: idle * 1000,
    checkMs: check * 1000,
  };
}

/** One thing the schedule does while the connection is open. */
export type Step =
  /** Messages from the client, sent at once (data never starts with "!", so the origin echoes each). */
  | { do: "send"; messages: Payload[] }
  /** The client sends "!emit ITEMS" (one text message); the origin then writes those frames (websocket-origin.ts). */
  | { do: "emit"; items: string[] }
  /** The client sends "!pause MS": the origin reads nothing for that long (what it is sent waits). */
  | { do: "pause"; ms: number }
  /** Nothing for a while: at least NEW_WINDOW_MS starts a new window, else it is short of the idle limit. */
  | { do: "wait"; ms: number }
  /** A push changes this route's limits: the connection keeps the limits it was opened with. */
  | { do: "push-limits"; websocket: true | RouteLimits };

export type AccessEnd = "revoke" | "policy" | "would-deny" | "credential" | "grant";

/** How the schedule ends the connection, unless a limit ends it first. */
export type Ending =
  | { by: "client-close"; code?: number; reason?: string }
  /** The client sends "!emit ITEM", ITEM a close (`c`, `cCODE`, `cCODE:REASON`, `kHEX`). */
  | { by: "origin-close"; item: string }
  /** The client sends "!drop": the origin's TCP connection ends without a close. */
  | { by: "origin-drop" }
  /** The client sends "!emit rHEX": a frame that breaks the protocol. */
  | { by: "origin-breaks"; hex: string }
  /** Nothing passes until the idle limit; with `pings`, the client first sends "!pings MS COUNT". */
  | { by: "idle"; pings?: { everyMs: number; count: number } }
  | { by: "access"; how: AccessEnd }
  /** The client sends "!pause MS", then `flood` at once, which crosses a limit while the origin reads nothing. */
  | { by: "origin-never-reads"; pauseMs: number; flood: Payload[] }
  /** The origin sends `atOnce` unasked before the client reads at all (the schedule has no steps). */
  | { by: "client-never-reads"; atOnce: string[] };

export interface Schedule {
  index: number;
  websocket: true | RouteLimits;
  vars: Vars;
  steps: Step[];
  ending: Ending;
}

/** The close one side receives. */
export interface CloseSeen {
  code: number;
  reason: string;
}

/** What the origin's close frame must be: a code (null: none) with a reason, a code alone, any, or none at all. */
export type OriginClose =
  | { code: number | null; reason?: Uint8Array }
  | "any" // the runtime's own answer to a broken frame
  | "none"; // its connection was dropped

export interface Outcome {
  /** What the client receives: a prefix of `messages`, at least `atLeast` of them. */
  client: { messages: Payload[]; atLeast: number };
  /** The data messages (commands included) the origin receives, likewise. */
  origin: { messages: Payload[]; atLeast: number };
  toClient: CloseSeen;
  toOrigin: OriginClose;
  cause: string;
  logCode: number;
  /** Pongs (payload hex) the origin must have got: to the last ping of each step that left the connection open. */
  pongs: string[];
}

export interface Expectation {
  limits: Limits;
  /** After each step the connection survives: how many messages the client has received by then, all told. */
  checkpoints: number[];
  /** The index of the step that ends it (steps.length: the ending). */
  endsAt: number;
  alternatives: Outcome[];
  /** Whether the ending's effect was reached (else a limit ended the connection first). */
  endingReached: boolean;
}

const RFC_SENDABLE = (code: number) =>
  (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

/** The longest prefix within 123 bytes of UTF-8, cut between characters (docs/operations.md). */
export function cutReason(reason: string): string {
  let out = "";
  let bytes = 0;
  for (const ch of reason) {
    const size = new TextEncoder().encode(ch).length;
    if (bytes + size > 123) break;
    out += ch;
    bytes += size;
  }
  return out;
}

/**
 * A close one side sent, as the other is sent it (docs/operations.md): with its code and its reason cut to 123
 * bytes; one without a code (1005) without one; one with a code no endpoint may send (RFC 6455 §7.4: 1004, 1006,
 * 1015, the reserved 1016-2999, anything outside 1000-4999) as 1001 "going away", without its reason.
 */
export function passedOn(code: number | undefined, reason: string): CloseSeen {
  if (code === undefined || code === 1005) return { code: 1005, reason: "" };
  return RFC_SENDABLE(code) ? { code, reason: cutReason(reason) } : { code: 1001, reason: "" };
}

const WARD_CLOSES = {
  idle: { code: 1001, reason: "idle timeout" },
  "message-too-large": { code: 1009, reason: "message too large" },
  "rate-exceeded": { code: 1008, reason: "message rate too high" },
  access: { code: 4403, reason: "access ended" },
} as const;

const ACCESS_CAUSE: Record<AccessEnd, string> = {
  revoke: "revoked",
  policy: "policy",
  "would-deny": "policy",
  credential: "credential-expired",
  grant: "grant-expired",
};

/** The data messages (and the pings) the origin writes for an `!emit` spec, as the runtime hands them over. */
export function emittedMessages(items: string[]): { messages: Payload[]; pings: string[]; close?: Uint8Array } {
  const messages: Payload[] = [];
  const pings: string[] = [];
  let close: Uint8Array | undefined;
  for (const item of items) {
    const m = /^([tubxp])(\d+)$/.exec(item);
    if (m) {
      const n = Number(m[2]);
      if (m[1] === "p") pings.push("61".repeat(n));
      else if (m[1] === "t") messages.push(text("a".repeat(n)));
      else if (m[1] === "u") messages.push(text(`${"é".repeat(Math.floor(n / 2))}${n % 2 ? "a" : ""}`));
      else if (m[1] === "b") messages.push({ binary: true, bytes: new Uint8Array(n).fill(0x62) });
      // Not UTF-8: each 0xff arrives as U+FFFD, three bytes.
      else messages.push(text("\ufffd".repeat(n)));
      continue;
    }
    const f = /^f([tb]):([0-9p/]+)$/.exec(item);
    if (f) {
      const parts = f[2]!.split("/");
      const total = parts.filter((p) => p !== "p").reduce((sum, p) => sum + Number(p), 0);
      for (const p of parts) if (p === "p") pings.push("6d6964"); // "mid"
      messages.push({ binary: f[1] === "b", bytes: new Uint8Array(total).fill(0x61) });
      continue;
    }
    const frames = emitted(item);
    if (!frames?.closes) throw new Error(`oracle: unknown emit item ${item}`);
    close = closePayload(item);
  }
  return { messages, pings, close };
}

/** The payload of a close item (`c`, `cCODE`, `cCODE:REASON`, `kHEX`). */
export function closePayload(item: string): Uint8Array {
  if (item.startsWith("k")) return Buffer.from(item.slice(1), "hex");
  const m = /^c(?:(\d+)(?::([0-9a-f*.]*))?)?$/.exec(item);
  if (!m) throw new Error(`oracle: not a close item ${item}`);
  if (m[1] === undefined) return new Uint8Array(0);
  const code = Buffer.alloc(2);
  code.writeUInt16BE(Number(m[1]) & 0xffff);
  return Buffer.concat([code, reasonBytes(m[2] ?? "")]);
}

/** A close payload as the runtime reads it: a code when it has two bytes, the rest as UTF-8 (U+FFFD for bad bytes). */
function readClose(payload: Uint8Array): { code: number | undefined; reason: string } {
  if (payload.length < 2) return { code: undefined, reason: "" };
  return { code: (payload[0]! << 8) | payload[1]!, reason: new TextDecoder().decode(payload.subarray(2)) };
}

export const command = {
  emit: (items: string[]) => text(`!emit ${items.join(",")}`),
  pause: (ms: number) => text(`!pause ${ms}`),
  pings: (everyMs: number, count: number) => text(`!pings ${everyMs} ${count}`),
  drop: text("!drop"),
};

type Crossing = "message-too-large" | "rate-exceeded";

/** Runs the schedule on the model: each direction's window, what has passed, and where a limit ends it. */
export function expectationOf(s: Schedule): Expectation {
  const limits = limitsOf(s.websocket, s.vars);
  const { maxMessageBytes: max, budget } = limits;
  const toClient: Payload[] = [];
  const toOrigin: Payload[] = [];
  const pongs: string[] = [];
  const window = { client: 0, origin: 0 };
  const checkpoints: number[] = [];
  /** The first of `messages` that crosses a limit in `from`'s window, and the window after the ones that pass. */
  const crossing = (from: "client" | "origin", messages: Payload[]) => {
    let w = window[from];
    for (let i = 0; i < messages.length; i++) {
      const size = messages[i]!.bytes.length;
      if (size > max) return { at: i, cause: "message-too-large" as Crossing, w };
      if (w + size + OVERHEAD > budget) return { at: i, cause: "rate-exceeded" as Crossing, w };
      w += size + OVERHEAD;
    }
    return { at: undefined, cause: undefined, w };
  };
  const wardClose = (cause: Crossing | "idle"): Pick<Outcome, "toClient" | "toOrigin" | "cause" | "logCode"> => {
    const { code, reason } = WARD_CLOSES[cause];
    return { toClient: { code, reason }, toOrigin: { code, reason: text(reason).bytes }, cause, logCode: code };
  };
  const ended = (endsAt: number, alternatives: Outcome[], endingReached = false): Expectation => ({
    limits,
    checkpoints,
    endsAt,
    alternatives,
    endingReached,
  });
  /** Client messages (one command, or data the origin echoes) at once: every outcome, or undefined while open. */
  const fromClient = (messages: Payload[], echoed: boolean): Outcome[] | undefined => {
    const c = crossing("client", messages);
    const passed = c.at ?? messages.length;
    const e = echoed ? crossing("origin", messages.slice(0, passed)) : { at: undefined, cause: undefined, w: 0 };
    if (c.at === undefined && e.at === undefined) {
      window.client = c.w;
      toOrigin.push(...messages);
      if (echoed) {
        window.origin = e.w;
        toClient.push(...messages);
      }
      return undefined;
    }
    const outcomes: Outcome[] = [];
    if (c.at !== undefined) {
      // The client's message crosses first: the echoes still in flight may or may not have passed.
      const echoes = echoed ? messages.slice(0, e.at ?? c.at) : [];
      outcomes.push({
        client: { messages: [...toClient, ...echoes], atLeast: toClient.length },
        origin: { messages: [...toOrigin, ...messages.slice(0, c.at)], atLeast: toOrigin.length + c.at },
        ...wardClose(c.cause!),
        pongs: [...pongs],
      });
    }
    if (e.at !== undefined) {
      // An echo crosses the origin's budget before that (or no client message does): the client's messages
      // after the one echoed may or may not have passed.
      outcomes.push({
        client: { messages: [...toClient, ...messages.slice(0, e.at)], atLeast: toClient.length + e.at },
        origin: { messages: [...toOrigin, ...messages.slice(0, passed)], atLeast: toOrigin.length + e.at + 1 },
        ...wardClose(e.cause!),
        pongs: [...pongs],
      });
    }
    return outcomes;
  };
  /** Messages the origin writes, in order (nothing else moves meanwhile). */
  const fromOrigin = (messages: Payload[]): Outcome[] | undefined => {
    const e = crossing("origin", messages);
    if (e.at === undefined) {
      window.origin = e.w;
      toClient.push(...messages);
      return undefined;
    }
    const client = [...toClient, ...messages.slice(0, e.at)];
    return [
      {
        client: { messages: client, atLeast: client.length },
        origin: { messages: [...toOrigin], atLeast: toOrigin.length },
        ...wardClose(e.cause!),
        pongs: [...pongs],
      },
    ];
  };
  const now = (): Pick<Outcome, "client" | "origin" | "pongs"> => ({
    client: { messages: [...toClient], atLeast: toClient.length },
    origin: { messages: [...toOrigin], atLeast: toOrigin.length },
    pongs: [...pongs],
  });

  if (s.ending.by === "client-never-reads") {
    const out = fromOrigin(emittedMessages(s.ending.atOnce).messages);
    if (!out) throw new Error("oracle: client-never-reads must cross a limit");
    return ended(0, out, true);
  }
  for (let k = 0; k < s.steps.length; k++) {
    const step = s.steps[k]!;
    let out: Outcome[] | undefined;
    if (step.do === "send") out = fromClient(step.messages, true);
    else if (step.do === "pause") out = fromClient([command.pause(step.ms)], false);
    else if (step.do === "emit") {
      out = fromClient([command.emit(step.items)], false);
      if (!out) {
        const { messages, pings } = emittedMessages(step.items);
        out = fromOrigin(messages);
        // RFC 6455 §5.5.3: an end may answer only the latest of the pings it has not answered yet.
        if (!out && pings.length > 0) pongs.push(pings.at(-1)!);
      }
    } else if (step.do === "wait" && step.ms >= NEW_WINDOW_MS) {
      window.client = 0;
      window.origin = 0;
    }
    if (out) return ended(k, out);
    checkpoints.push(toClient.length);
  }
  const endsAt = s.steps.length;
  const e = s.ending;
  const commandFirst = (message: Payload) => fromClient([message], false);
  if (e.by === "client-close") {
    const sent = new TextDecoder().decode(new TextEncoder().encode(e.reason ?? ""));
    const back = e.code === undefined ? { code: 1005, reason: "" } : { code: e.code, reason: sent };
    const on = passedOn(e.code, sent);
    return ended(
      endsAt,
      [
        {
          ...now(),
          // The client's own close comes back to it (RFC 6455 §5.5.1: the answer echoes the code).
          toClient: back,
          toOrigin: { code: on.code === 1005 ? null : on.code, reason: text(on.reason).bytes },
          cause: "client-closed",
          logCode: e.code ?? 1005,
        },
      ],
      true,
    );
  }
  if (e.by === "origin-close") {
    const out = commandFirst(command.emit([e.item]));
    if (out) return ended(endsAt, out);
    const read = readClose(closePayload(e.item));
    return ended(
      endsAt,
      [
        {
          ...now(),
          toClient: passedOn(read.code, read.reason),
          // The runtime answers the origin's close with its code (a 1005, "no code", without one).
          toOrigin: { code: read.code === undefined || read.code === 1005 ? null : read.code },
          cause: "origin-closed",
          logCode: read.code ?? 1005,
        },
      ],
      true,
    );
  }
  if (e.by === "origin-drop" || e.by === "origin-breaks") {
    const out = commandFirst(e.by === "origin-drop" ? command.drop : command.emit([`r${e.hex}`]));
    if (out) return ended(endsAt, out);
    return ended(
      endsAt,
      [
        {
          ...now(),
          toClient: { code: 1001, reason: "" },
          toOrigin: e.by === "origin-drop" ? "none" : "any",
          cause: "origin-closed",
          logCode: 1006,
        },
      ],
      true,
    );
  }
  if (e.by === "idle") {
    if (e.pings) {
      const out = commandFirst(command.pings(e.pings.everyMs, e.pings.count));
      if (out) return ended(endsAt, out);
    }
    return ended(endsAt, [{ ...now(), ...wardClose("idle") }], true);
  }
  if (e.by === "access") {
    const { code, reason } = WARD_CLOSES.access;
    return ended(
      endsAt,
      [
        {
          ...now(),
          toClient: { code, reason },
          toOrigin: { code, reason: text(reason).bytes },
          cause: ACCESS_CAUSE[e.how],
          logCode: code,
        },
      ],
      true,
    );
  }
  // origin-never-reads: its pause command, then the flood; nothing is echoed while it reads nothing.
  const paused = commandFirst(command.pause(e.pauseMs));
  if (paused) return ended(endsAt, paused);
  const out = fromClient(e.flood, false);
  if (!out) throw new Error("oracle: origin-never-reads must cross a limit");
  return ended(endsAt, out, true);
}
