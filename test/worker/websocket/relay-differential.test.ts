// A generated, differential test of the WebSocket relay: random schedules (relay-schedules.ts) run through the
// real gateway in workerd, with the recording origin's echo endpoint behind the wiki's binding, and what each
// side received, how each was closed and what the close line says are compared with the oracle written from the
// docs (relay-oracle.ts). Schedules run a dozen at a time, each on its own route for its own person.
//
// Timing is the docs' own: a second's window, an idle limit, a check interval. A loaded machine can stretch what
// a schedule meant as one window over two, or a step's echo past a short idle limit; a disagreement that such a
// stretch explains (a window that took most of a second, a gap most of the idle limit, steps that ran into an
// expiry) is not counted as one, and `WARD_WEBSOCKET_STATS=1` says how many there were.
//
// The seed is fixed, so a run is repeatable; WARD_WEBSOCKET_SEED=<n> tries another (WARD_WEBSOCKET_SCHEDULES=<n>
// more schedules) and is printed on failure with the disagreements.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { asWebSocketCloseLine } from "../../../policy/index.ts";
import type { SeenRequest } from "../../support/recording-origin.ts";
import { prng } from "../../support/prng.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, originSaw } from "../support/harness.ts";
import { fetchRaw } from "../support/raw-request.ts";
import {
  command,
  described,
  emittedMessages,
  expectationOf,
  NEW_WINDOW_MS,
  type Expectation,
  type Outcome,
  type Payload,
  type Schedule,
} from "./relay-oracle.ts";
import { emailOf, genSchedule, relayPolicy, type RouteChange } from "./relay-schedules.ts";
import { captureLog, until } from "./support.ts";

const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_WEBSOCKET_SEED ?? 20261206);
const SCHEDULES = Number(wardEnv.WARD_WEBSOCKET_SCHEDULES ?? 72);
const AT_ONCE = 12;
const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
/** How long a close or an echo may take past when it is due, on a loaded machine (copies refresh every 0.05 s here). */
const SLACK_MS = 3000;

const r = prng(SEED);
const schedules = Array.from({ length: SCHEDULES }, (_, i) => genSchedule(r, i));
const run = `${SEED.toString(36)}${Date.now().toString(36)}`;
const changes = new Map<number, RouteChange>();
let pushing: Promise<unknown> = Promise.resolve();

/** Pushes one at a time, each with every change so far: another schedule's push leaves this route as it was. */
function push(index: number, change: RouteChange): Promise<void> {
  const next = pushing.then(async () => {
    changes.set(index, { ...changes.get(index), ...change });
    await activate(relayPolicy(schedules, run, changes));
  });
  pushing = next.catch(() => undefined);
  return next;
}

/**
 * An admin write, made again when another schedule's push landed while it was on its way: the admin API answers
 * that 409 (`authorisedFrom`, "try again") and changes nothing, as docs/operations.md says; a client tries again.
 */
async function admin(path: string, body: Record<string, unknown>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await exports.default.fetch(`${ADMIN}${path}`, {
      method: "POST",
      headers: {
        "cf-access-jwt-assertion": await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-adm" }),
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
    if (res.status !== 409 || attempt === 10) return res;
    const refused = (await res.clone().json()) as { authorisedFrom?: string };
    if (refused.authorisedFrom === undefined) return res;
  }
}

/** One side as the test holds it: what arrived, when, and how it closed. */
class Client {
  readonly messages: { data: string | ArrayBuffer; at: number }[] = [];
  closed: { code: number; reason: string; at: number } | undefined;
  readonly socket: WebSocket;
  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (event) => {
      this.messages.push({ data: event.data as string | ArrayBuffer, at: Date.now() });
    });
    socket.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason, at: Date.now() };
    });
  }
  send(p: Payload): void {
    this.socket.send(p.binary ? p.bytes.slice().buffer : new TextDecoder().decode(p.bytes));
  }
}

const describedData = (data: string | ArrayBuffer): string =>
  described(
    typeof data === "string"
      ? { binary: false, bytes: new TextEncoder().encode(data) }
      : { binary: true, bytes: new Uint8Array(data) },
  );

interface Observed {
  schedule: Schedule;
  expected: Expectation;
  status: number;
  requestId: string;
  client: string[];
  clientClosed?: { code: number; reason: string; at: number };
  origin?: SeenRequest;
  closeLine?: Record<string, unknown>;
  otherLines: Record<string, unknown>[];
  decision?: Record<string, unknown>;
  /** Timings that explain a disagreement, when they do. */
  slowWindow: boolean;
  longestGapMs: number;
  lastSendAt: number;
  /** When the test asked for the upgrade (the gateway's 101, and its first check's timer, come later). */
  openedAt: number;
  /** For time-bound access: the instant, when the upgrade was answered, and when the steps had done. */
  instant?: number;
  upgradedAt: number;
  stepsDoneAt: number;
  originClosedBeforeClient?: boolean;
  error?: string;
}

let log: ReturnType<typeof captureLog>;

async function upgrade(s: Schedule, token: string, m: string): Promise<Response> {
  const emit = s.ending.by === "client-never-reads" ? `&emit=${s.ending.atOnce.join(",")}` : "";
  const request = () =>
    new Request(`https://wiki.localhost/g/${s.index}?${m}${emit}`, {
      headers: { upgrade: "websocket", "cf-access-jwt-assertion": token },
    });
  // The isolate's copies (policy, grants) refresh every 0.05 s here: the first upgrade may come before.
  let res = await fetchRaw(request(), { ...env, ...s.vars } as typeof env);
  for (let i = 0; i < 60 && res.status !== 101; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    res = await fetchRaw(request(), { ...env, ...s.vars } as typeof env);
  }
  return res;
}

async function runSchedule(s: Schedule): Promise<Observed> {
  const expected = expectationOf(s);
  const email = emailOf(run, s.index);
  const e = s.ending;
  // Ended, so that the origin's log (filtered by what a URL contains) tells schedule 1 from 12.
  const m = `m-${run}-${s.index}-m`;
  let instant: number | undefined;
  let token: string;
  if (e.by === "access" && e.how === "credential") {
    // Accepted until exp plus the 30 s clock skew: one to two seconds from now.
    const issued = Date.now() - 60_000;
    token = await accessToken(signing, { email, identity_nonce: `n-${m}` }, { now: issued, ttl: 32 });
    instant = (Math.floor(issued / 1000) + 32 + 30) * 1000;
  } else token = await accessToken(signing, { email, identity_nonce: `n-${m}` });
  if (e.by === "access" && e.how === "grant") {
    instant = Date.now() + 1800;
    const granted = await admin("/exceptions", {
      principal: { email },
      service: "wiki",
      routes: [`g${s.index}`],
      methods: ["GET"],
      reason: "a generated schedule",
      ticket: `GEN-${s.index}`,
      requestedBy: email,
      approvedBy: "sre-lead@example.com",
      notAfter: new Date(instant).toISOString(),
    });
    if (granted.status !== 201) throw new Error(`grant refused: ${granted.status} ${await granted.text()}`);
  }
  const openedAt = Date.now();
  const res = await upgrade(s, token, m);
  const upgradedAt = Date.now();
  const requestId = res.headers.get("ward-request-id") ?? "";
  const observed: Observed = {
    schedule: s,
    expected,
    status: res.status,
    requestId,
    client: [],
    otherLines: [],
    slowWindow: false,
    longestGapMs: 0,
    lastSendAt: openedAt,
    openedAt,
    upgradedAt,
    stepsDoneAt: openedAt,
    ...(instant !== undefined ? { instant } : {}),
  };
  if (res.status !== 101 || !res.webSocket) return { ...observed, error: `upgrade answered ${res.status}` };
  const client = new Client(res.webSocket);
  const lateReader = e.by === "client-never-reads";
  if (!lateReader) client.socket.accept();
  let windowStart = Date.now();
  let lastActivity = Date.now();
  const activity = () => {
    const now = Date.now();
    observed.longestGapMs = Math.max(observed.longestGapMs, now - lastActivity);
    lastActivity = now;
  };
  const send = (p: Payload) => {
    client.send(p);
    observed.lastSendAt = Date.now();
    activity();
  };
  const settle = async (count: number) => {
    await until(() => client.messages.length >= count || client.closed !== undefined, SLACK_MS);
    activity();
    if (Date.now() - windowStart > 850) observed.slowWindow = true;
  };
  try {
    for (let k = 0; k < Math.min(expected.endsAt + 1, s.steps.length) && !client.closed; k++) {
      const step = s.steps[k]!;
      if (step.do === "send") for (const p of step.messages) send(p);
      else if (step.do === "emit") send(command.emit(step.items));
      else if (step.do === "pause") send(command.pause(step.ms));
      else if (step.do === "wait") {
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        if (step.ms >= NEW_WINDOW_MS) windowStart = Date.now();
        else activity();
      } else await push(s.index, { websocket: step.websocket });
      if (k < expected.endsAt) await settle(expected.checkpoints[k]!);
      // The runtime answers the origin's pings (the latest of them, at least): its pong is in before the next
      // step, which might close the connection first.
      const pings = step.do === "emit" && k < expected.endsAt ? emittedMessages(step.items).pings.slice(-1) : [];
      if (pings.length > 0) {
        const deadline = Date.now() + SLACK_MS;
        const answered = async () => {
          const got = (await originSaw(m))[0]?.websocketReceived ?? [];
          return pings.every((p) => got.includes(`pong ${p}`));
        };
        while (!(await answered()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    observed.stepsDoneAt = Date.now();
    let closeBy = Date.now() + SLACK_MS;
    if (expected.endsAt === s.steps.length && !client.closed) {
      if (e.by === "client-close") {
        if (e.code === undefined) client.socket.close();
        else client.socket.close(e.code, e.reason);
      } else if (e.by === "origin-close") send(command.emit([e.item]));
      else if (e.by === "origin-drop") send(command.drop);
      else if (e.by === "origin-breaks") send(command.emit([`r${e.hex}`]));
      else if (e.by === "idle") {
        if (e.pings) send(command.pings(e.pings.everyMs, e.pings.count));
        closeBy = Date.now() + expected.limits.idleMs + expected.limits.checkMs + SLACK_MS;
      } else if (e.by === "access") {
        if (e.how === "revoke") {
          const revoked = await admin("/revocations", { match: "email", value: email, reason: "a generated schedule" });
          if (revoked.status !== 201) throw new Error(`revocation refused: ${revoked.status}`);
        } else if (e.how === "policy") await push(s.index, { removed: true });
        else if (e.how === "would-deny") await push(s.index, { wouldDeny: true });
        closeBy = Math.max(Date.now(), instant ?? 0) + expected.limits.checkMs + SLACK_MS;
      } else if (e.by === "origin-never-reads") {
        send(command.pause(e.pauseMs));
        for (const p of e.flood) send(p);
      }
    }
    if (lateReader) {
      // The origin is closed while the client has read nothing; then the client reads what waited for it.
      const deadline = Date.now() + SLACK_MS;
      while ((await originSaw(m))[0]?.websocketClosed === undefined && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      client.socket.accept();
    }
    const endingSentAt = Date.now();
    await until(() => client.closed !== undefined, closeBy - Date.now());
    if (e.by === "origin-never-reads" && expected.endingReached && client.closed) {
      observed.originClosedBeforeClient = (await originSaw(m))[0]?.websocketClosed !== undefined;
      // A close that took most of the pause (an isolate stalled that long) says nothing about waiting for it.
      if (client.closed.at - endingSentAt > e.pauseMs - 500) observed.slowWindow = true;
    }
    // The window's messages were all sent by the ending: it lasted until the close came, or at least until then.
    const windowEnd = e.by === "idle" || e.by === "access" ? endingSentAt : (client.closed?.at ?? endingSentAt);
    if (windowEnd - windowStart > 850) observed.slowWindow = true;
  } catch (error) {
    observed.error = String(error);
  }
  if (!client.closed) {
    try {
      client.socket.close(1000, "test over");
    } catch {
      // already closing
    }
  }
  observed.clientClosed = client.closed;
  observed.client = client.messages.map((x) => describedData(x.data));
  const line = () => log.lines.find((l) => l.event === "websocket-closed" && l.requestId === requestId);
  await until(() => line() !== undefined, SLACK_MS);
  observed.closeLine = line();
  // The origin's close, once it came (after its pause, when it paused); none when it dropped its connection.
  const originDeadline = Date.now() + SLACK_MS;
  for (;;) {
    observed.origin = (await originSaw(m))[0];
    if (observed.origin?.websocketClosed !== undefined || e.by === "origin-drop" || Date.now() > originDeadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  observed.decision = log.lines.find((l) => l.event === "decision" && l.requestId === requestId);
  observed.otherLines = log.lines.filter(
    (l) => l.requestId === requestId && l.event !== "decision" && l.event !== "websocket-closed",
  );
  return observed;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Why `o` is not `outcome`, or undefined when it is. */
function mismatch(o: Observed, outcome: Outcome): string | undefined {
  const prefix = (seen: string[], want: Payload[], atLeast: number, side: string) => {
    const wanted = want.map(described);
    if (seen.length < atLeast || seen.length > wanted.length || seen.some((x, i) => x !== wanted[i]))
      return `${side} received ${seen.length} messages [${seen.slice(0, 4).join("; ")}${seen.length > 4 ? "; ..." : ""}], expected a prefix of ${wanted.length} [${wanted.slice(0, 4).join("; ")}${wanted.length > 4 ? "; ..." : ""}] of at least ${atLeast}${firstDiff(seen, wanted)}`;
    return undefined;
  };
  const originData = (o.origin?.websocketReceived ?? []).filter((x) => !x.startsWith("pong "));
  const pongs = (o.origin?.websocketReceived ?? []).filter((x) => x.startsWith("pong ")).map((x) => x.slice(5));
  const problems = [
    prefix(o.client, outcome.client.messages, outcome.client.atLeast, "the client"),
    prefix(originData, outcome.origin.messages, outcome.origin.atLeast, "the origin"),
  ];
  if (!o.clientClosed) problems.push("the client was never closed");
  else if (o.clientClosed.code !== outcome.toClient.code || o.clientClosed.reason !== outcome.toClient.reason)
    problems.push(
      `the client was closed with ${o.clientClosed.code} ${JSON.stringify(o.clientClosed.reason)}, expected ${outcome.toClient.code} ${JSON.stringify(outcome.toClient.reason)}`,
    );
  const want = outcome.toOrigin;
  const got = o.origin?.websocketClosed;
  if (want === "none") {
    if (got !== undefined) problems.push(`the origin got a close (${got}) on a connection it dropped`);
  } else if (want === "any") {
    if (got === undefined) problems.push("the origin got no close");
  } else if (got !== want.code || (want.reason !== undefined && o.origin?.websocketCloseReason !== hex(want.reason)))
    problems.push(
      `the origin was closed with ${got} ${o.origin?.websocketCloseReason}, expected ${want.code} ${want.reason ? hex(want.reason) : "(any reason)"}`,
    );
  for (const pong of outcome.pongs) if (!pongs.includes(pong)) problems.push(`the origin's ping ${pong} got no pong`);
  const line = o.closeLine;
  if (!line) problems.push("no websocket-closed line");
  else {
    if (line.cause !== outcome.cause || line.code !== outcome.logCode)
      problems.push(`the close line says ${line.cause} ${line.code}, expected ${outcome.cause} ${outcome.logCode}`);
    if (line.messagesFromClient !== originData.length || line.messagesFromOrigin !== o.client.length)
      problems.push(
        `the close line counts ${line.messagesFromClient} from the client and ${line.messagesFromOrigin} from the origin; the origin got ${originData.length}, the client ${o.client.length}`,
      );
    const duration = Number(line.durationMs);
    if (
      duration > closedAtOf(o) - o.openedAt + 50 ||
      (outcome.cause === "idle" && duration < o.expected.limits.idleMs - 5)
    )
      problems.push(`the close line says it lasted ${duration} ms`);
    if (
      line.principal !== `user:${emailOf(run, o.schedule.index)}` ||
      line.service !== "wiki" ||
      line.route !== `wiki/g${o.schedule.index}` ||
      JSON.stringify(asWebSocketCloseLine(line)) !== JSON.stringify(line)
    )
      problems.push(`the close line is not the connection's: ${JSON.stringify(line)}`);
  }
  if (o.otherLines.length > 0) problems.push(`also logged: ${JSON.stringify(o.otherLines)}`);
  if (o.decision?.status !== 101 || o.decision?.outcome !== "websocket-opened")
    problems.push(`the upgrade's decision line: ${JSON.stringify(o.decision)}`);
  // Timing the docs promise, measured so that load can only make it hold more easily.
  const closedAt = closedAtOf(o);
  if (outcome.cause === "idle" && closedAt < o.lastSendAt + o.expected.limits.idleMs - 10)
    problems.push(
      `closed as idle ${closedAt - o.lastSendAt} ms after the last message (limit ${o.expected.limits.idleMs})`,
    );
  if (
    o.instant !== undefined &&
    ["credential-expired", "grant-expired"].includes(outcome.cause) &&
    closedAt < o.instant
  )
    problems.push(`closed ${o.instant - closedAt} ms before access ended`);
  // Those are found by the checks, the first of which runs one interval after the 101.
  const checked = ["idle", "credential-expired", "grant-expired"].includes(outcome.cause);
  if (checked && closedAt < o.openedAt + o.expected.limits.checkMs - 5)
    problems.push(
      `closed ${closedAt - o.openedAt} ms after opening, before the first check (${o.expected.limits.checkMs} ms)`,
    );
  if (o.originClosedBeforeClient) problems.push("the client was closed only once the origin read again");
  const found = problems.filter((p) => p !== undefined);
  return found.length > 0 ? found.join("; ") : undefined;
}

const closedAtOf = (o: Observed) => o.clientClosed?.at ?? Number.POSITIVE_INFINITY;

function firstDiff(seen: string[], wanted: string[]): string {
  const i = seen.findIndex((x, k) => x !== wanted[k]);
  return i === -1 ? "" : ` (first difference at ${i}: ${seen[i]} vs ${wanted[i]})`;
}

/** Whether load explains a disagreement: a window stretched over a second, a gap near the idle limit, a late step. */
function explainedByLoad(o: Observed): boolean {
  const cause = o.closeLine?.cause;
  if (o.slowWindow) return true;
  if (cause === "idle" && o.longestGapMs >= o.expected.limits.idleMs / 2) return true;
  if (o.instant !== undefined && o.stepsDoneAt > o.instant - 300) return true;
  // Access that ends 1-2 s after the schedule starts (its grant made, its upgrade retried while the copies
  // refresh): an upgrade answered only about then may be refused for the ending itself.
  if (o.instant !== undefined && o.upgradedAt > o.instant - 300 && o.status !== 101) return true;
  return false;
}

function summary(o: Observed): string {
  const s = o.schedule;
  const steps = s.steps.map((step) =>
    step.do === "send"
      ? `send ${step.messages.length}×[${step.messages
          .slice(0, 3)
          .map((p) => `${p.binary ? "b" : "t"}${p.bytes.length}`)
          .join(",")}${step.messages.length > 3 ? ",..." : ""}]`
      : step.do === "emit"
        ? `emit ${step.items.join(",")}`.slice(0, 80)
        : step.do === "push-limits"
          ? `push ${JSON.stringify(step.websocket)}`
          : `${step.do} ${step.ms}`,
  );
  const ending = JSON.stringify(s.ending, (k, v) => (k === "flood" ? `${(v as unknown[]).length} messages` : v));
  return `#${s.index} websocket ${JSON.stringify(s.websocket)} vars ${JSON.stringify(s.vars)} limits ${JSON.stringify(o.expected.limits)}\n  steps: ${steps.join(" | ") || "none"}\n  ending: ${ending.slice(0, 200)}`;
}

/** About how long a schedule takes: its waits and pauses, and what its ending waits for. */
function expectedMs(s: Schedule): number {
  const e = s.ending;
  const steps = s.steps.reduce((sum, step) => sum + (step.do === "wait" || step.do === "pause" ? step.ms : 20), 0);
  const timed = e.by === "access" && (e.how === "credential" || e.how === "grant");
  const ending =
    e.by === "origin-never-reads" ? e.pauseMs : e.by === "idle" ? expectationOf(s).limits.idleMs : timed ? 1800 : 100;
  return steps + ending;
}

describe("the WebSocket relay, on generated schedules, against the docs", () => {
  beforeAll(async () => {
    await activate(relayPolicy(schedules, run, changes));
  });

  it("relays, limits and closes each connection as the docs say", async () => {
    log = captureLog();
    const observed: Observed[] = [];
    try {
      // The longest first, so that the run ends with short ones.
      const queue = schedules.toSorted((a, b) => expectedMs(b) - expectedMs(a));
      const worker = async () => {
        for (let s = queue.shift(); s; s = queue.shift()) observed.push(await runSchedule(s));
      };
      await Promise.all(Array.from({ length: AT_ONCE }, worker));
    } finally {
      log.stop();
    }
    const disagreements: string[] = [];
    const tally: Record<string, number> = {};
    const count = (key: string) => void (tally[key] = (tally[key] ?? 0) + 1);
    for (const o of observed.sort((a, b) => a.schedule.index - b.schedule.index)) {
      const whyNot = o.expected.alternatives.map((a) => mismatch(o, a));
      const why = o.error ?? (whyNot.includes(undefined) ? undefined : whyNot.join("\n  or: "));
      count(`cause ${String(o.closeLine?.cause)}`);
      if (o.expected.endingReached) count(`ending ${o.schedule.ending.by}`);
      else count(`${o.closeLine?.cause} at ${o.schedule.steps[o.expected.endsAt]?.do ?? o.schedule.ending.by}`);
      if (o.expected.alternatives.length > 1) count("alternatives");
      if (why === undefined) continue;
      if ((!o.error || o.error.startsWith("upgrade answered")) && explainedByLoad(o)) {
        count("explained by load");
        if (wardEnv.WARD_WEBSOCKET_STATS) console.log(`explained by load: ${summary(o)}\n  ${why}`);
        continue;
      }
      disagreements.push(`${summary(o)}\n  ${why}`);
    }
    if (wardEnv.WARD_WEBSOCKET_STATS) console.log(`seed ${SEED}, ${SCHEDULES} schedules: ${JSON.stringify(tally)}`);
    if (disagreements.length > 0)
      throw new Error(
        `${disagreements.length} of ${SCHEDULES} schedules disagree with the docs (replay: WARD_WEBSOCKET_SEED=${SEED})\n\n${disagreements.slice(0, 6).join("\n\n")}`,
      );
    // Whatever the seed, the run closes connections in most of the ways there are.
    expect(Object.keys(tally).filter((k) => k.startsWith("cause ")).length, `seed ${SEED}`).toBeGreaterThan(5);
  }, 120_000);
});
