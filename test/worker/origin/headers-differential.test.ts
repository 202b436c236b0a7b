// A generated, differential test of what Ward forwards to origins and what it passes back to clients. The oracle
// (header-oracle.ts) is written from the docs; the cases (header-cases.ts) from a seeded PRNG: a policy whose
// services and routes forward random names and set random headers, requests with the headers proxies, identity
// layers and frameworks read, and origin answers with the URLs and cookies an origin may leak. Compared twice:
// through forward() itself with a stand-in binding, for volume (what Ward hands the runtime, exactly), and through
// the real gateway with the recording origin (what reaches the origin on the wire, the decision log, the refusals).
// The seed is fixed, so a run is repeatable; WARD_HEADERS_SEED=<n> tries another, and is printed on failure.
// WARD_HEADERS_UNICODE=1 adds non-ASCII values, which the runtime accepts (sent as UTF-8) with a warning on
// the console for each, so they are left out of the default run. A failure counts the disagreements by kind, with
// where the docs were silent (the oracle's `open`), and shows the first WARD_HEADERS_SHOW (4) cases, those
// with a problem holding WARD_HEADERS_ONLY if set.
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { evaluate, findService, loadPolicy, type CompiledPolicy } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { forward } from "../../../worker/origin/forward.ts";
import { receivedHeaders } from "../../../worker/received-headers.ts";
import { prng } from "../../support/prng.ts";
import { activate, originSaw } from "../support/harness.ts";
import {
  answer,
  forwardCase,
  generatedPolicy,
  INTERNAL,
  pick,
  type Answer,
  type GeneratedRoute,
} from "./header-cases.ts";
import { checkAnswer, cookiePiecesOf, expectForward, holdsWardsToken, type ForwardCase } from "./header-oracle.ts";

const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_HEADERS_SEED ?? 20261206);
const UNICODE = wardEnv.WARD_HEADERS_UNICODE === "1";
const DIRECT_CASES = 4000;
const GATEWAY_CASES = 480;
const STRIP = env.STRIP_HEADERS ?? "";

/** What the origin's HTTP stack adds or manages itself, on either side of the wire: not Ward's to answer for. */
const REQUEST_TRANSPORT: ReadonlySet<string> = new Set(["host"]);
const ANSWER_TRANSPORT: ReadonlySet<string> = new Set(["content-length", "transfer-encoding", "date"]);

/** A case as a line of JSON, long strings cut: a failure's message stays readable. */
const brief = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === "string" && v.length > 80 ? `${v.slice(0, 80)}…` : v));

/** The disagreements, counted by kind (the text before the first ':' or value), and the first few in full. */
function summary(disagreements: { at: string; problems: string[] }[], open: string[] = []): string {
  const kinds = new Map<string, number>();
  for (const d of disagreements)
    for (const p of d.problems) {
      const kind = p.split(": ")[0]!.slice(0, 60);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  const counted = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}\t${k}`);
  const only = wardEnv.WARD_HEADERS_ONLY;
  const shown = disagreements
    .filter((d) => only === undefined || d.problems.some((p) => p.includes(only)))
    .slice(0, Number(wardEnv.WARD_HEADERS_SHOW ?? 4))
    .map((d) => `${d.at}\n  ${d.problems.join("\n  ")}`);
  const silences = new Map<string, number>();
  for (const o of open) silences.set(o, (silences.get(o) ?? 0) + 1);
  const silent = [...silences].map(([k, n]) => `${n}\t(open) ${k}`);
  return disagreements.length === 0 ? "" : [...counted, ...silent, "", ...shown].join("\n");
}

/** The payload of a compact JWS, or undefined. */
function claims(token: string | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(atob((token ?? "").split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
}

/**
 * The origin's headers against the oracle. `sent`: names in lower case, a name's fields joined with ", ".
 * `assertion`: checked as a signed one (through the gateway) or as the stand-in forward() was handed.
 */
function checkForwarded(
  c: ForwardCase,
  route: GeneratedRoute,
  sent: Map<string, string>,
  reportedDrops: readonly string[] | undefined,
  ids: { requestId: string; assertion?: string },
  transport: ReadonlySet<string>,
  exactly: boolean,
): string[] {
  const same = (a: string | undefined, b: string | undefined) => (exactly ? a === b : wire(a) === wire(b));
  const e = expectForward(c);
  if (!e.forwarded) return [`forwarded, though ${e.why}`];
  const problems: string[] = [];
  for (const [name, value] of e.exact)
    if (!same(sent.get(name), value))
      problems.push(`${name}: expected ${JSON.stringify(value)}, sent ${JSON.stringify(sent.get(name))}`);
  const cookie = sent.get("cookie");
  if (!e.cookie) {
    if (cookie !== undefined) problems.push(`Cookie: sent ${cookie}`);
  } else if (cookie === undefined) {
    if (exactly || e.cookie.pieces.length > 0) problems.push("Cookie: none sent");
  } else {
    if (e.cookie.asSent !== undefined && !same(cookie, e.cookie.asSent))
      problems.push(`Cookie: ${JSON.stringify(e.cookie.asSent)} sent as ${JSON.stringify(cookie)}`);
    if (JSON.stringify(cookiePiecesOf(cookie)) !== JSON.stringify(e.cookie.pieces))
      problems.push(`Cookie pieces: ${JSON.stringify(e.cookie.pieces)} sent as ${JSON.stringify(cookie)}`);
  }
  if (sent.get("ward-request-id") !== ids.requestId) problems.push(`Ward-Request-Id: ${sent.get("ward-request-id")}`);
  const assertion = sent.get("ward-assertion");
  if (ids.assertion !== undefined) {
    if (assertion !== ids.assertion) problems.push(`Ward-Assertion: ${assertion}`);
  } else {
    // docs/origin-assertion.md: aud the service, htm and htu the request (https, canonical path, no query).
    const payload = claims(assertion);
    const htu = `https://${c.host}${c.path}`;
    if (payload?.aud !== route.service || payload.htm !== "GET" || payload.htu !== htu || payload.sub !== "anonymous")
      problems.push(`Ward-Assertion: claims ${JSON.stringify(payload)}`);
  }
  for (const name of sent.keys())
    if (!e.exact.has(name) && !["cookie", "ward-assertion", "ward-request-id"].includes(name) && !transport.has(name))
      problems.push(`${name} forwarded: ${JSON.stringify(sent.get(name)).slice(0, 80)}`);
  const drops = new Set(reportedDrops ?? []);
  if (e.mustReport.size <= 32) {
    for (const name of e.mustReport) if (!drops.has(name)) problems.push(`droppedHeaders lacks: ${name}`);
  } else if (drops.size !== 32) problems.push(`droppedHeaders count: ${drops.size} of ${e.mustReport.size}`);
  for (const name of drops)
    if (!e.mustReport.has(name) && !e.mayReport.has(name)) problems.push(`droppedHeaders names: ${name}`);
  return problems;
}

function requestOf(c: ForwardCase): Request {
  const headers = new Headers();
  for (const [name, value] of c.fields) headers.append(name, value);
  return new Request(`${c.scheme}://${c.host}${c.path}${c.query ? `?${c.query}` : ""}`, {
    headers,
    redirect: "manual",
  });
}

function answerHeaders(a: Answer): Headers {
  const headers = new Headers();
  for (const [name, value] of a.fields) headers.append(name, value);
  return headers;
}

/** One case through forward() itself, the binding a stand-in that records what it is handed and answers `a`. */
async function throughForward(policy: CompiledPolicy, route: GeneratedRoute, c: ForwardCase, a: Answer) {
  const request = requestOf(c);
  const received = new URL(request.url);
  const decision = evaluate(
    policy,
    { method: "GET", host: received.host, path: received.pathname, identity: {} },
    Date.now(),
  );
  const service = findService(policy, received.host);
  if (decision.effect !== "allow" || !service) return { problems: [`not allowed: ${decision.reasons}`] };
  let handed: Request | undefined;
  const binding = {
    fetch: async (outgoing: Request) => {
      handed = outgoing;
      return new Response(null, { status: a.status, headers: answerHeaders(a) });
    },
  };
  const bindings = { STRIP_HEADERS: c.strip, [route.tunnel]: binding } as unknown as Env;
  const requestId = crypto.randomUUID();
  const result = await forward(
    request,
    received,
    service,
    decision,
    bindings,
    requestId,
    "a.stand-in.assertion",
    1000,
    receivedHeaders(request),
    undefined,
    // What the gateway's identify step consumed (worker/identity/): here, as the docs say it does.
    holdsWardsToken(request.headers.get("authorization") ?? "", c.issuers) ? ["authorization"] : undefined,
  );
  const problems: string[] = [];
  if (!handed) return { problems: ["the origin was not called"] };
  const target = new URL(handed.url);
  if (target.host !== c.host || target.pathname !== c.path) problems.push(`sent to ${handed.url}`);
  problems.push(
    ...checkForwarded(
      c,
      route,
      new Map(handed.headers),
      result.dropped,
      { requestId, assertion: "a.stand-in.assertion" },
      new Set(),
      true,
    ),
  );
  const open: string[] = [];
  const got = result.ok
    ? { status: result.response.status, headers: result.response.headers }
    : { status: 502, headers: new Headers() };
  problems.push(
    ...checkAnswer({ asked: received, status: a.status, fields: a.fields }, got, new Set(), open, INTERNAL),
  );
  return { problems, open };
}

/**
 * A value as it survives the wire, for comparing what was sent with what arrived: the runtime sends a field with an
 * empty value as none, and Node's parser trims each field; what forward() itself hands over is compared exactly.
 */
const wire = (value: string | undefined): string =>
  (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean)
    .join(",");

/** The fields a Node origin received, as the runtime would join them: lower-case names, ", " between fields. */
function onTheWire(raw: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // Node reads header bytes as Latin-1; the runtime sent UTF-8.
    const value = new TextDecoder().decode(Uint8Array.from(raw[i + 1]!, (ch) => ch.charCodeAt(0)));
    out.set(name, out.has(name) ? `${out.get(name)}, ${value}` : value);
  }
  return out;
}

describe("what origins are sent and clients given back, against the docs", () => {
  // One stream each for the policy and for each test's cases: either test replays alone (`-t`) as it runs with the other.
  const { yaml, routes } = generatedPolicy(prng(SEED), 6);
  const replay = `(replay: WARD_HEADERS_SEED=${SEED})`;

  // Some seconds of work, more on a loaded machine (5.9 s once in a seed sweep beside other tests): not a bound.
  it(`forward() itself: ${DIRECT_CASES} generated requests and answers`, { timeout: 60_000 }, async () => {
    const loaded = await loadPolicy(yaml);
    if (!loaded.ok) throw new Error(`${replay} the generated policy is refused: ${JSON.stringify(loaded.issues)}`);
    const r = prng(SEED + 1);
    const disagreements: { at: string; problems: string[] }[] = [];
    const silences: string[] = [];
    for (let i = 0; i < DIRECT_CASES; i++) {
      const route = pick(r, routes);
      // Here STRIP_HEADERS varies too: forward() reads it from the bindings it is given.
      const strip = pick(r, [
        STRIP,
        "",
        "x-forwarded-for",
        "X-Forwarded-Proto, referer",
        " cookie ,x-tenant-id",
        "x-by-rule,accept",
      ]);
      const c = forwardCase(r, route, strip, UNICODE);
      const a = answer(r, c.host);
      if (!expectForward(c).forwarded) continue;
      const { problems, open } = await throughForward(loaded.policy, route, c, a);
      silences.push(...(open ?? []));
      if (problems.length > 0) disagreements.push({ at: `case ${i} ${brief({ route: route.route, c, a })}`, problems });
    }
    expect(summary(disagreements, silences), `${disagreements.length} cases disagree ${replay}`).toBe("");
  });

  it(`the gateway, on the wire: ${GATEWAY_CASES} generated requests and answers`, { timeout: 60_000 }, async () => {
    await activate(yaml);
    const run = `m-${crypto.randomUUID()}`;
    // Fields with empty values do not survive the wire, on either hop (forward() itself is given them, above).
    const nonEmpty = (fields: [string, string][]) => fields.filter(([, v]) => v.trim() !== "");
    const r = prng(SEED + 2);
    const cases = Array.from({ length: GATEWAY_CASES }, (_, i) => {
      const route = pick(r, routes);
      const generated = forwardCase(r, route, STRIP, UNICODE);
      const c = { ...generated, fields: nonEmpty(generated.fields) };
      const generatedAnswer = answer(r, c.host);
      const a = { status: generatedAnswer.status, fields: nonEmpty(generatedAnswer.fields) };
      const fields = btoa(JSON.stringify(a.fields)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      return { i, route, a, c: { ...c, query: `fields=${fields}&status=${a.status}&${run}-${i}x` } };
    });
    const lines: string[] = [];
    // Decision lines: console.log, and console.error for an answer Ward gave itself (a 502).
    const spies = (["log", "error"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((line: string) => void lines.push(line)),
    );
    const answered: { status: number; headers: Headers }[] = [];
    try {
      for (let at = 0; at < cases.length; at += 12) {
        const batch = cases.slice(at, at + 12);
        answered.push(
          ...(await Promise.all(
            batch.map(async ({ c }) => {
              const res = await exports.default.fetch(requestOf(c));
              await res.arrayBuffer();
              return { status: res.status, headers: res.headers };
            }),
          )),
        );
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const decisions = new Map<string, Record<string, unknown>>();
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.event === "decision" && parsed.requestId) decisions.set(String(parsed.requestId), parsed);
    }
    const seen = await originSaw(run);
    const disagreements: { at: string; problems: string[] }[] = [];
    for (const { i, route, c, a } of cases) {
      const got = answered[i]!;
      const atOrigin = seen.filter((s) => s.url.endsWith(`${run}-${i}x`));
      const e = expectForward(c);
      const problems: string[] = [];
      const requestId = got.headers.get("ward-request-id") ?? "";
      if (!e.forwarded) {
        if (got.status !== 403) problems.push(`${e.why}: answered ${got.status}, not 403`);
        if (atOrigin.length > 0) problems.push(`${e.why}: reached the origin`);
      } else if (atOrigin.length !== 1) problems.push(`reached the origin ${atOrigin.length} times (${got.status})`);
      else {
        const sent = onTheWire(atOrigin[0]!.rawHeaders);
        if (sent.get("host") !== c.host) problems.push(`Host: ${sent.get("host")}`);
        const dropped = decisions.get(requestId)?.droppedHeaders as string[] | undefined;
        problems.push(...checkForwarded(c, route, sent, dropped, { requestId }, REQUEST_TRANSPORT, false));
        const asked = new URL(`${c.scheme}://${c.host}${c.path}?${c.query}`);
        problems.push(
          ...checkAnswer({ asked, status: a.status, fields: a.fields }, got, ANSWER_TRANSPORT, [], INTERNAL),
        );
      }
      if (problems.length > 0) disagreements.push({ at: `case ${i} ${brief({ route: route.route, c, a })}`, problems });
    }
    expect(summary(disagreements), `${disagreements.length} cases disagree ${replay}`).toBe("");
  });
});
