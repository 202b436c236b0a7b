// The log readers (`ward why`, `ward metrics`, `ward shadow report`, `ward ssf delivered`) take Ward's lines
// only from where exports put a console line (scripts/logs/unwrap.ts). From a review: they searched every
// field of a wrapper, and a Tail Worker's trace item or a Workers Logs record also carries the request's
// headers, so a client's `X-Note: {"event":"decision",...}` was counted as one of Ward's decisions.
import { describe, expect, it } from "vitest";
import { decisionsInLine, parseDecisionLog, websocketClosesIn } from "../../scripts/logs/parse.ts";
import { ssfEventLines } from "../../scripts/ssf/delivered.ts";

const VERSION = "b".repeat(64);
const genuine = {
  level: "info",
  event: "decision",
  time: "2026-11-24T08:00:00.000Z",
  requestId: "real-1",
  principal: "user:mallory@example.com",
  method: "GET",
  host: "wiki.example.com",
  path: "/",
  service: "wiki",
  route: "wiki/read",
  rule: "wiki/read/r",
  effect: "allow",
  mode: "enforce",
  reasons: [],
  wouldDeny: null,
  status: 200,
  policyVersion: VERSION,
  latencyMs: 2,
  credential: null,
  exception: null,
};
/** What the client sent as a header's value on that request: a denial charged to someone else. */
const forged = {
  ...genuine,
  requestId: "forged-1",
  principal: "user:ceo@example.com",
  path: "/admin/keys",
  effect: "deny",
  reasons: ["no-matching-rule"],
  status: 403,
};
const forgedClose = {
  level: "info",
  event: "websocket-closed",
  time: genuine.time,
  requestId: "real-1",
  principal: genuine.principal,
  service: "wiki",
  route: "wiki/read",
  cause: "revoked",
  code: 4403,
  durationMs: 5,
  messagesFromClient: 0,
  messagesFromOrigin: 0,
};
const forgedSsf = {
  level: "info",
  event: "ssf-event",
  time: genuine.time,
  requestId: "ssf-forged",
  transmitter: "idp",
  status: 202,
  outcome: "applied",
  jti: "j-1",
  events: ["session-revoked"],
  facts: [],
};
const headers = { "x-note": JSON.stringify(forged), "user-agent": JSON.stringify(forgedClose) };

/** A Tail Worker's trace item: the request (headers and all) beside the console lines. */
const traceItem = {
  scriptName: "ward",
  outcome: "ok",
  eventTimestamp: 1795680000000,
  event: { request: { url: "https://wiki.example.com/", method: "GET", headers } },
  logs: [{ level: "log", timestamp: 1795680000000, message: [JSON.stringify(genuine)] }],
  exceptions: [],
};
/** A Workers Logs invocation record: the request's headers under `$workers`, no console line. */
const invocation = {
  source: {},
  dataset: "cloudflare-workers",
  timestamp: 1795680000000,
  $workers: { eventType: "fetch", event: { request: { url: "https://wiki.example.com/", method: "GET", headers } } },
};
/** Logpush `workers_trace_events`, with the request's headers in `Event`. */
const logpush = {
  Outcome: "ok",
  ScriptName: "ward",
  Event: {
    Request: { URL: "https://wiki.example.com/", Method: "GET", Headers: { "x-note": JSON.stringify(forged) } },
  },
  Logs: [{ Level: "log", Message: [JSON.stringify({ ...genuine, requestId: "real-2" })] }],
};

describe("log lines a client puts in a request header", () => {
  it("are not read out of a Tail Worker's trace item; Ward's own line in it is", () => {
    expect(decisionsInLine(JSON.stringify(traceItem)).map((r) => r.requestId)).toEqual(["real-1"]);
  });

  it("are not read out of a Workers Logs invocation record or a Logpush line's Event", () => {
    const text = [invocation, logpush].map((l) => JSON.stringify(l)).join("\n");
    expect(parseDecisionLog(text).records.map((r) => r.requestId)).toEqual(["real-2"]);
  });

  it("forge no WebSocket close (ward why) and no security event (ward ssf delivered)", () => {
    const withSsf = {
      ...traceItem,
      event: { request: { headers: { ...headers, cookie: JSON.stringify(forgedSsf) } } },
    };
    const text = JSON.stringify(withSsf);
    expect(websocketClosesIn(text)).toEqual([]);
    expect(ssfEventLines([text])).toEqual([]);
    // (Control: the same lines where an export puts a console line, each the one argument of its call, are read.)
    const logged = JSON.stringify({
      logs: [{ message: [JSON.stringify(forgedClose)] }, { message: [JSON.stringify(forgedSsf)] }],
    });
    expect(websocketClosesIn(logged).map((l) => l.cause)).toEqual(["revoked"]);
    expect(ssfEventLines([logged]).map((l) => l.requestId)).toEqual(["ssf-forged"]);
  });

  it("inside one of Ward's own lines are not unwrapped either", () => {
    // A line that names its event is a line: its fields are never searched for another, whatever its event.
    const line = { ...genuine, requestId: "real-3", message: JSON.stringify(forged), source: forged };
    expect(decisionsInLine(JSON.stringify(line)).map((r) => r.requestId)).toEqual(["real-3"]);
    const event = { level: "warn", event: "access-token-rejected", requestId: "x", message: JSON.stringify(forged) };
    expect(decisionsInLine(JSON.stringify(event))).toEqual([]);
    expect(decisionsInLine(JSON.stringify({ ...event, logs: [{ message: [JSON.stringify(forged)] }] }))).toEqual([]);
  });
});
