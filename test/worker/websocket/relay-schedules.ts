// Random schedules for the relay differential (relay-differential.test.ts), from a seeded PRNG, and the policy
// that carries them: one WebSocket route per schedule on the demo wiki, for one person each, so that ending one
// schedule's access (a push, a revocation) leaves the others open. Limits are small and times short, so that a
// run of dozens fits in seconds; sizes lean on the edges (a message of exactly the largest size and one byte more,
// a second's budget spent to the byte and one byte past it), and inputs lean hostile: fragments, pings, text that
// is not UTF-8, close codes no endpoint may send, reasons of 123 to 125 bytes, floods of empty messages, a side
// that does not read.
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import {
  command,
  emittedMessages,
  limitsOf,
  NEW_WINDOW_MS,
  OVERHEAD,
  text,
  type AccessEnd,
  type Ending,
  type Payload,
  type RouteLimits,
  type Schedule,
  type Step,
  type Vars,
} from "./relay-oracle.ts";

export type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Characters of each UTF-8 width (never "!": a message starting with it would be a command to the origin). */
const WIDE = ["é", "ß", "€", "中", "😀", "🙂"];

/** A text message of exactly `bytes` bytes of UTF-8, multi-byte characters mixed in. */
export function textOf(r: Rand, bytes: number): Payload {
  let s = "";
  let left = bytes;
  while (left > 0) {
    const ch = r() < 0.3 ? pick(r, WIDE) : String.fromCharCode(int(r, 0x61, 0x7a));
    const size = new TextEncoder().encode(ch).length;
    if (size <= left) {
      s += ch;
      left -= size;
    } else {
      s += "a".repeat(left);
      left = 0;
    }
  }
  return text(s);
}

function binaryOf(r: Rand, bytes: number): Payload {
  return { binary: true, bytes: Uint8Array.from({ length: bytes }, () => int(r, 0, 255)) };
}

const message = (r: Rand, bytes: number): Payload => (r() < 0.35 ? binaryOf(r, bytes) : textOf(r, bytes));

const ANY_LENGTHS = [1, 2, 7, 16, 63, 64, 100, 123, 125, 126, 200, 256, 1000, 1024, 3000];

/** The close items an origin may send: codes any endpoint may send, and ones none may; reasons at and past the edge. */
function originCloseItem(r: Rand): string {
  const code = pick(r, [
    undefined,
    1000,
    1001,
    1003,
    1004,
    1005,
    1006,
    1011,
    1012,
    1014,
    1015,
    1016,
    2000,
    2999,
    3000,
    4000,
    4403,
    4999,
    0,
    999,
    5000,
    65535,
  ]);
  if (code === undefined) return r() < 0.7 ? "c" : "k01"; // no code, or one byte where a code would be
  // 1005 with a reason is not answered at all: the runtime fails echoing it (workerd's kj asserts that a 1005
  // has no reason), which is the runtime's, not the relay's, and logs an internal error.
  if (code === 1005) return "c1005";
  // Reason bytes as the origin's `!emit` reads them: hex, `HEX*N` for N times, parts joined by ".".
  const reason = pick(r, [
    "",
    `72*${int(r, 1, 40)}`,
    "72*122",
    "72*123",
    "72*124",
    "72*125",
    "72*121.c3a9", // 123 bytes, "é" last
    "72*121.e282ac", // 124 bytes: "€" does not fit, cut before it
    "72*120.f09f9880", // 124 bytes: "😀" does not fit
    `ff*${int(r, 1, 41)}`,
    "ff*42", // 126 bytes once each is U+FFFD
    `ff*${int(r, 43, 60)}`,
    "e282", // a cut-off "€"
    "eda080", // a surrogate, encoded
    "c0af", // an overlong "/"
    `72*${int(r, 0, 100)}.f09f98`, // a cut-off "😀" at the end
  ]);
  return reason === "" && r() < 0.5 ? `c${code}` : `c${code}:${reason}`;
}

/** Codes the runtime lets a client close with (not 1004-1006, 1015, or outside 1000-4999); none too. */
const CLIENT_CODES = [
  undefined,
  1000,
  1001,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  1011,
  1012,
  1013,
  1014,
  1016,
  2000,
  2999,
  3000,
  3999,
  4000,
  4403,
  4999,
];

function clientReason(r: Rand): string {
  return pick(r, [
    "",
    "bye",
    textOfString(r, int(r, 1, 60)),
    textOfString(r, 123),
    "\ud800".repeat(int(r, 1, 41)), // lone surrogates: U+FFFD, three bytes each, on the wire
    `${"x".repeat(120)}\udc00`,
  ]);
}

const textOfString = (r: Rand, bytes: number) => new TextDecoder().decode(textOf(r, bytes).bytes);

/** Frames that break the protocol (RFC 6455 §5): the runtime fails the origin's connection. */
const BROKEN_FRAMES = [
  "830161", // a reserved opcode
  "c10161", // RSV1 (compression) never negotiated
  "090161", // a ping in fragments
];

/** What each side has sent in the current window, counted as Ward counts it (echoes count for the origin). */
interface Tally {
  client: number;
  origin: number;
}

/** Room left for what an ending sends after the steps (a command and its overhead). */
const RESERVE = 240;

const cost = (p: Payload) => p.bytes.length + OVERHEAD;
const costOf = (ps: Payload[]) => ps.reduce((sum, p) => sum + cost(p), 0);

/**
 * A burst of client data messages: `any` (a few, sizes at the edge, now and then one byte past the size), `tiny`
 * (many of 0 to 3 bytes), `fill` (the window's budget spent to the byte), `cross` (one byte past it), `past` (one
 * message one byte over the size). `room`: what the burst may spend (any and tiny).
 */
function burst(
  r: Rand,
  max: number,
  left: number,
  room: number,
  aim: "any" | "fill" | "cross" | "tiny" | "past",
): Payload[] {
  // A budget too large to spend in a few hundred messages: past the size instead.
  if ((aim === "fill" || aim === "cross") && left > 60_000) aim = "past";
  if (aim === "past") return [message(r, max + 1)];
  if (aim === "tiny") {
    const n = Math.min(int(r, 20, 320), Math.floor(room / (OVERHEAD + 3)));
    return Array.from({ length: Math.max(n, 0) }, () => message(r, int(r, 0, 3)));
  }
  if (aim === "fill" || aim === "cross") {
    const out: Payload[] = [];
    let rest = left + (aim === "cross" ? 1 : 0);
    while (rest >= OVERHEAD && out.length < 400) {
      const size = Math.min(max, rest - OVERHEAD, r() < 0.5 ? max : int(r, 0, max));
      out.push(message(r, size));
      rest -= size + OVERHEAD;
    }
    if (aim === "cross" && costOf(out) <= left) out.push(message(r, Math.min(max, Math.max(rest, 0) + int(r, 0, 3))));
    if (aim === "cross" && (costOf(out) <= left || out.length === 0)) out.push(message(r, max + 1));
    return out;
  }
  const out: Payload[] = [];
  for (let n = int(r, 1, 4); n > 0; n--) {
    if (r() < 0.02) return [...out, message(r, max + 1)];
    const size = pick(r, [max, 0, int(r, 0, max), int(r, 0, max), int(r, 0, Math.min(max, 40))]);
    if (costOf(out) + size + OVERHEAD > room) break;
    out.push(message(r, size));
  }
  return out;
}

/** Emit items the origin sends: data at the edge of the size, text that is not UTF-8, fragments, pings. */
function emitItems(r: Rand, max: number): string[] {
  const n = int(r, 1, 3);
  const size = () => (r() < 0.03 ? max + 1 : pick(r, [max, int(r, 0, max), int(r, 0, Math.min(max, 30))]));
  return Array.from({ length: n }, () => {
    const kind = pick(r, ["t", "u", "b", "x", "f", "p"]);
    if (kind === "p") return `p${int(r, 0, 125)}`;
    if (kind === "x") return `x${r() < 0.1 ? Math.floor(max / 3) + 1 : pick(r, [Math.floor(max / 3), int(r, 1, 10)])}`;
    if (kind === "f") {
      const total = size();
      const a = int(r, 0, total);
      const b = int(r, 0, total - a);
      const parts = [a, b, total - a - b].map(String);
      if (r() < 0.5) parts.splice(int(r, 1, 2), 0, "p");
      return `f${pick(r, ["t", "b"])}:${parts.join("/")}`;
    }
    return `${kind}${size()}`;
  });
}

function limitsFor(r: Rand, idle: "short" | "long" | "any"): { websocket: true | RouteLimits; vars: Vars } {
  const max = r() < 0.07 ? pick(r, [1, 2, 7]) : pick(r, ANY_LENGTHS.slice(3));
  const floor = max + OVERHEAD;
  const budget = pick(r, [
    undefined,
    floor,
    int(r, 1, floor - 1),
    floor * int(r, 1, 6) + int(r, 0, 80),
    pick(r, [300, 1000, 4096, 20000]),
  ]);
  const idleRoute = idle === "long" ? pick(r, ["6s", "30s", "1m"]) : idle === "any" ? pick(r, ["3s", "5s"]) : "1s";
  const idleVar = idle === "short" ? pick(r, ["0.4", "0.6", "0.9"]) : idle === "long" ? pick(r, ["8", "20"]) : "4";
  const junk = () => pick(r, ["", "x", "0", "-3", "1e400"]);
  // Now and then one that is no positive number: checks every 2 s (the default), not 0.05.
  const check = r() < 0.1 ? pick(r, ["0", "-1", "x", ""]) : pick(r, ["0.05", "0.1", "0.001"]);
  const vars: Vars = { WEBSOCKET_CHECK_SECONDS: check };
  const mode = pick(r, ["route", "vars", "mixed"]);
  if (mode === "route") {
    const websocket: RouteLimits = { maxMessageBytes: max, idleTimeout: idleRoute };
    if (budget !== undefined) websocket.maxBytesPerSecond = budget;
    // Vars the route overrides, set anyway (sometimes to nonsense).
    if (r() < 0.5) vars.WEBSOCKET_MAX_MESSAGE_BYTES = pick(r, [String(int(r, 1, 5000)), junk()]);
    if (r() < 0.3) vars.WEBSOCKET_IDLE_SECONDS = "0.2";
    return { websocket, vars };
  }
  if (mode === "vars") {
    vars.WEBSOCKET_MAX_MESSAGE_BYTES = String(max);
    if (budget !== undefined) vars.WEBSOCKET_MAX_BYTES_PER_SECOND = String(budget);
    else if (r() < 0.3) vars.WEBSOCKET_MAX_BYTES_PER_SECOND = junk();
    vars.WEBSOCKET_IDLE_SECONDS = idleVar;
    return { websocket: true, vars };
  }
  // The route sets some, the vars the rest (and a junk var falls back to the default).
  const websocket: RouteLimits = r() < 0.5 ? { maxMessageBytes: max } : {};
  if (websocket.maxMessageBytes === undefined) vars.WEBSOCKET_MAX_MESSAGE_BYTES = String(max);
  if (budget !== undefined) {
    if (r() < 0.5) websocket.maxBytesPerSecond = budget;
    else vars.WEBSOCKET_MAX_BYTES_PER_SECOND = String(budget);
  }
  if (r() < 0.5) websocket.idleTimeout = idleRoute;
  else vars.WEBSOCKET_IDLE_SECONDS = idleVar;
  return { websocket: Object.keys(websocket).length === 0 ? true : websocket, vars };
}

/** One schedule: limits, steps, an ending. */
export function genSchedule(r: Rand, index: number): Schedule {
  const kind = pick(r, [
    "client-close",
    "client-close",
    "origin-close",
    "origin-close",
    "origin-close",
    "origin-drop",
    "origin-breaks",
    "idle",
    "idle",
    "access",
    "access",
    "access",
    "origin-never-reads",
    "client-never-reads",
    "limit",
    "limit",
  ] as const);
  const how: AccessEnd = pick(r, ["revoke", "policy", "would-deny", "credential", "grant"]);
  const timed = kind === "access" && (how === "credential" || how === "grant");
  const { websocket, vars } = limitsFor(r, kind === "idle" ? "short" : kind === "access" ? "long" : "any");
  const limits = limitsOf(websocket, vars);
  const { maxMessageBytes: max, budget } = limits;
  const steps: Step[] = [];
  const tally: Tally = { client: 0, origin: 0 };
  const left = (from: keyof Tally) => budget - tally[from];
  const room = () => Math.min(left("client"), left("origin")) - RESERVE;
  // Not for a schedule whose access ends at an instant: it does what it does well before it.
  const longWaits = limits.idleMs >= 3000 && !timed;
  /** How long nothing will have passed, at the end of the steps so far: waits add up, a message clears it. */
  let quiet = 0;
  /** A long wait, when it leaves the idle limit 1.5 s of margin (else none). */
  const longWait = (): boolean => {
    const ms = int(r, NEW_WINDOW_MS, NEW_WINDOW_MS + 150);
    if (!longWaits || quiet + ms > limits.idleMs - 1500) return false;
    steps.push({ do: "wait", ms });
    quiet += ms;
    tally.client = 0;
    tally.origin = 0;
    return true;
  };
  /** Takes a step that fits the window (after a long wait, when one may start a new window); false when none. */
  const take = (step: Step, fromClient: Payload[], fromOrigin: Payload[]): boolean => {
    const fits = () => costOf(fromClient) <= room() && costOf(fromOrigin) <= room();
    if (!fits() && r() < 0.7) longWait();
    // One past the size crosses whatever the window holds: taken as it is.
    const past = [...fromClient, ...fromOrigin].some((p) => p.bytes.length > max);
    if (!fits() && !past) return false;
    steps.push(step);
    quiet = 0;
    tally.client += costOf(fromClient);
    tally.origin += costOf(fromOrigin);
    return true;
  };
  const stepCount = kind === "client-never-reads" ? 0 : timed ? int(r, 0, 2) : int(r, 0, 7);
  for (let k = 0; k < stepCount; k++) {
    const what = timed
      ? pick(r, ["send", "emit"] as const)
      : pick(r, ["send", "send", "send", "emit", "emit", "pause", "wait", "push-limits"] as const);
    if (what === "send") {
      const messages = burst(r, max, left("client"), room(), pick(r, ["any", "any", "any", "tiny"] as const));
      if (messages.length > 0) take({ do: "send", messages }, messages, messages);
    } else if (what === "emit") {
      const items = emitItems(r, max);
      take({ do: "emit", items }, [command.emit(items)], emittedMessages(items).messages);
    } else if (what === "pause") {
      const ms = int(r, 30, Math.min(250, limits.idleMs / 4));
      take({ do: "pause", ms }, [command.pause(ms)], []);
    } else if (what === "wait") {
      if (r() >= 0.5 || !longWait()) {
        const ms = int(r, 5, Math.min(80, limits.idleMs / 5));
        if (quiet + ms < limits.idleMs / 2) {
          steps.push({ do: "wait", ms });
          quiet += ms;
        }
      }
    } else if (longWaits) {
      // Limits a push gives the route: the open connection keeps its own.
      steps.push({ do: "push-limits", websocket: pick(r, [true, { maxMessageBytes: 1 }, { maxBytesPerSecond: 1 }]) });
    }
  }
  const quietEnding = kind === "client-close" || (kind === "access" && !timed);
  if (kind === "limit") {
    const aim = pick(r, ["cross", "cross", "cross", "past", "tiny"] as const);
    // Many tiny messages past the budget: as many as it takes, and a few more.
    const messages =
      aim === "tiny"
        ? burst(r, max, left("client"), left("client") + 400, aim)
        : burst(r, max, left("client"), room(), aim);
    steps.push({ do: "send", messages });
  } else if (quietEnding && r() < 0.4 && left("client") <= 60_000) {
    // The budget spent to the byte, and nothing after it in this window.
    const messages = burst(r, max, left("client"), room(), "fill");
    if (messages.length > 0) steps.push({ do: "send", messages });
  }
  return { index, websocket, vars, steps, ending: ending(r, kind, how, max, budget, tally) };
}

function ending(r: Rand, kind: string, how: AccessEnd, max: number, budget: number, tally: Tally): Ending {
  if (kind === "origin-close") return { by: "origin-close", item: originCloseItem(r) };
  if (kind === "origin-drop") return { by: "origin-drop" };
  if (kind === "origin-breaks") return { by: "origin-breaks", hex: pick(r, BROKEN_FRAMES) };
  if (kind === "idle")
    return r() < 0.5 ? { by: "idle" } : { by: "idle", pings: { everyMs: pick(r, [50, 80]), count: 100 } };
  if (kind === "access") return { by: "access", how };
  if (kind === "origin-never-reads") {
    const pauseMs = 2000;
    tally.client += cost(command.pause(pauseMs));
    // Past the budget when it is small enough to cross with a few hundred messages, else past the size.
    const flood = burst(r, max, budget - tally.client, 0, "cross");
    return { by: "origin-never-reads", pauseMs, flood };
  }
  if (kind === "client-never-reads") {
    // What the origin sends before the client reads: past the budget, else past the size.
    const each = Math.min(max, 3000);
    const count = Math.ceil((budget + 1) / (each + OVERHEAD));
    const atOnce = count <= 300 ? Array.from({ length: count }, () => `t${each}`) : [`t${max + 1}`];
    return { by: "client-never-reads", atOnce };
  }
  const code = pick(r, CLIENT_CODES);
  return code === undefined ? { by: "client-close" } : { by: "client-close", code, reason: clientReason(r) };
}

export const emailOf = (run: string, index: number) => `w${run}-${index}@example.com`;

/** What a push has done to a schedule's route. */
export interface RouteChange {
  /** The rule no longer names the person. */
  removed?: boolean;
  /** A deny rule on trial (mode: audit) names the person. */
  wouldDeny?: boolean;
  websocket?: true | RouteLimits;
}

function websocketYaml(w: true | RouteLimits): string {
  if (w === true) return "true";
  const fields = Object.entries(w).map(([k, v]) => `${k}: ${v}`);
  return `{ ${fields.join(", ")} }`;
}

/** The demo policy with one route per schedule on the wiki, changed as pushes have changed them. */
export function relayPolicy(schedules: Schedule[], run: string, changes: Map<number, RouteChange>): string {
  const routes = schedules.map((s) => {
    const change = changes.get(s.index) ?? {};
    const email = emailOf(run, s.index);
    const granted = s.ending.by === "access" && s.ending.how === "grant";
    const principal = change.removed
      ? `{ email: nobody-${run}-${s.index}@example.com }`
      : granted
        ? "{ group: sre }"
        : `{ email: ${email} }`;
    const trial = change.wouldDeny
      ? `          - id: t${s.index}\n            effect: deny\n            mode: audit\n            principals: [{ email: ${email} }]\n`
      : "";
    return `      - id: g${s.index}
        methods: [GET]
        path: /g/${s.index}
        websocket: ${websocketYaml(change.websocket ?? s.websocket)}
        rules:
${trial}          - id: r${s.index}
            effect: allow
            principals: [${principal}]
`;
  });
  const anchor = "      - id: read\n        methods: [GET, HEAD]\n        pathPrefix: /\n";
  if (!demoPolicy.includes(anchor)) throw new Error("the demo policy changed: the relay routes have no anchor");
  return demoPolicy.replace(anchor, `${routes.join("")}${anchor}`);
}
