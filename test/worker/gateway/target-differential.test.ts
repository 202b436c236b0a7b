// A generated, differential test of request targets through the real gateway in workerd, with the recording
// origin. Small random policies (target-cases.ts: allow and deny rules for everyone on prefixes, exact paths and
// templates) and requests whose paths are spelt every way readers disagree on, sent as bare workerd hands them
// over (raw) or through the WHATWG parser (as `ward dev` and a normalising edge do). Two properties:
//
// 1. Ward decides each request as the evaluate oracle (test/unit/oracle/decide.ts, from docs/policy.md) decides
//    the path Ward received: the status, whether the origin saw it, and the route.
// 2. Whatever reached the origin, read the way common origins read it (origin-readings.ts: Node/Express's WHATWG
//    parse and decode, nginx's decode-then-normalise, Tomcat's `;` parameters, Spring's trimmed spaces, IIS's
//    trailing dots), is decided by the same route, and allowed: a path a deny rule covers (with the spellings deny
//    rules reach: trailing slash, format suffix, PATH_INFO, HEAD) never reaches the origin under another spelling.
//
// The seed is fixed, so a run is repeatable; WARD_TARGETS_SEED=<n> tries another (WARD_TARGETS_CASES=<n> more
// cases) and is printed on failure, with the disagreements counted by kind and the first few in full;
// WARD_TARGETS_STATS=1 prints how many were forwarded, refused, and climbed out of a route.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { loadPolicy, parseDecisionLine, type DecisionLine } from "../../../policy/index.ts";
import { prng } from "../../support/prng.ts";
import { oracle, patternOf } from "../../unit/oracle/decide.ts";
import type { GenPolicy } from "../../unit/oracle/random-policy.ts";
import { encodeDecoded, expectRawPath, foldedReading } from "../../unit/oracle/target.ts";
import type { SeenRequest } from "../../support/recording-origin.ts";
import { activate, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";
import { READINGS } from "./origin-readings.ts";
import { genCase, genTargetPolicy, policyText, type TargetCase } from "./target-cases.ts";

const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_TARGETS_SEED ?? 20260416);
const CASES = Number(wardEnv.WARD_TARGETS_CASES ?? 320);
const AT_ONCE = 8;

let generated: GenPolicy | undefined;

beforeAll(async () => {
  // The first generated policy that loads (two routes of a service may clash: duplicate-route).
  for (let attempt = 0; attempt < 100 && !generated; attempt++) {
    const g = genTargetPolicy(prng((SEED + attempt) >>> 0), 4);
    if ((await loadPolicy(policyText(g))).ok) generated = g;
  }
  if (!generated) throw new Error(`no generated policy loads (seed ${SEED})`);
  await activate(policyText(generated));
});

interface Sent {
  c: TargetCase;
  url: string;
  status: number;
  requestId: string;
}

async function send(c: TargetCase, url: string): Promise<Sent> {
  const res = c.raw
    ? await fetchRaw(rawRequest(url, { method: c.method }))
    : await exports.default.fetch(url, { method: c.method });
  await res.arrayBuffer();
  return { c, url, status: res.status, requestId: res.headers.get("ward-request-id") ?? "" };
}

/** Whether the route (`service/route`) has a literal holding letters an origin may fold (docs/policy.md). */
function ownFoldingLiteral(policy: GenPolicy, name: string | null | undefined): boolean {
  const [service, id] = (name ?? "").split("/");
  const route = policy.services.find((x) => x.name === service)?.routes.find((x) => x.id === id);
  return !!route && patternOf(route).some((seg) => seg.kind === "literal" && foldedReading(seg.value) !== seg.value);
}

/** The path as the gateway received it: raw, or as the WHATWG parser serialises the URL. */
function received(s: Sent): { host: string; path: string } {
  const url = s.c.raw ? s.url : new URL(s.url).href;
  return { host: new URL(url).host, path: expectRawPath(url) };
}

describe("request targets through the gateway, against the docs and the origin's reading", () => {
  it("decides as the docs say, and forwards only paths every origin reads as the route that allowed them", async () => {
    const policy = generated!;
    const r = prng(SEED);
    const run = `t${SEED}x${Date.now().toString(36)}`;
    const cases = Array.from({ length: CASES }, () => genCase(r, policy));
    const lines: string[] = [];
    const keep = (line: unknown) => void lines.push(String(line));
    const log = vi.spyOn(console, "log").mockImplementation(keep);
    const error = vi.spyOn(console, "error").mockImplementation(keep);
    const sent: Sent[] = [];
    try {
      for (let i = 0; i < cases.length; i += AT_ONCE)
        sent.push(
          ...(await Promise.all(
            cases.slice(i, i + AT_ONCE).map((c, k) => send(c, `https://${c.host}${c.path}?${run}-${i + k}-`)),
          )),
        );
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    const decisions = new Map<string, DecisionLine>();
    for (const text of lines) {
      const line = parseDecisionLine(text);
      if (line) decisions.set(line.requestId, line);
    }
    const reached = new Map<number, SeenRequest[]>();
    for (const seen of await originSaw(run)) {
      const index = Number(new RegExp(`${run}-(\\d+)-`).exec(seen.url)?.[1]);
      reached.set(index, [...(reached.get(index) ?? []), seen]);
    }

    const found: { at: string; problems: string[] }[] = [];
    const tally = { forwarded: 0, refused: 0, walkedOut: 0 };
    sent.forEach((s, i) => {
      const problems: string[] = [];
      const line = decisions.get(s.requestId);
      const seen = reached.get(i) ?? [];
      const asReceived = received(s);
      const expected = oracle(policy, { method: s.c.method, ...asReceived, identity: {} });
      if (expected.effect === "allow") {
        tally.forwarded++;
        if (seen.length !== 1 || s.status !== 200)
          problems.push(`not forwarded as the docs allow: status ${s.status}, origin saw ${seen.length}`);
      } else {
        tally.refused++;
        if (seen.length > 0) problems.push(`forwarded, the docs refuse: ${expected.reasons}`);
        if (s.status !== expected.status)
          problems.push(`status: ${s.status}, docs ${expected.status} (${expected.reasons})`);
      }
      if (!line) problems.push("no decision line");
      else if ((line.route ?? undefined) !== expected.route)
        problems.push(`route: ${line.route}, docs ${expected.route}`);
      if (/\.\.|%2e/i.test(s.c.path) && seen.length > 0) tally.walkedOut++;
      for (const origin of seen) {
        // Virtual hosts are chosen by it: the service's host, as the policy names it.
        if (origin.headers.host !== s.c.service.hosts[0]) problems.push(`Host: ${origin.headers.host}`);
        for (const [reader, read] of Object.entries(READINGS)) {
          const segments = read(origin.url);
          if (!segments) {
            problems.push(`${reader} cannot read it: ${origin.url}`);
            continue;
          }
          const path = `/${segments.map(encodeDecoded).join("/")}`;
          const theirs = oracle(policy, { method: origin.method, host: asReceived.host, path, identity: {} });
          // "A route of its own whose literal holds such letters (`path: /café`) decides its path as written."
          if (reader === "normalising" && ownFoldingLiteral(policy, line?.route)) continue;
          if (theirs.effect !== "allow" || theirs.route !== line?.route)
            problems.push(
              `${reader} reads it otherwise: ${origin.url} as ${path}, ${theirs.reasons} by ${theirs.route ?? "no route"}` +
                ` (${theirs.rule ?? theirs.ruleAmong ?? ""}); Ward forwarded it by ${line?.route}`,
            );
        }
      }
      if (problems.length > 0)
        found.push({ at: `${s.c.method} ${s.url} (${s.c.raw ? "raw" : "WHATWG"}), Ward: ${s.status}`, problems });
    });
    if (found.length > 0) {
      const kinds = new Map<string, number>();
      for (const f of found)
        for (const p of f.problems) kinds.set(p.split(": ")[0]!, (kinds.get(p.split(": ")[0]!) ?? 0) + 1);
      const counted = [...kinds].map(([k, n]) => `${n}\t${k}`).join("\n");
      const shown = found
        .slice(0, 5)
        .map((f) => `${f.at}\n  ${f.problems.join("\n  ")}`)
        .join("\n");
      expect.fail(
        `${found.length} of ${CASES} disagree (replay: WARD_TARGETS_SEED=${SEED})\n${counted}\n\n${shown}\n\npolicy ${policyText(policy)}`,
      );
    }
    if (wardEnv.WARD_TARGETS_STATS) console.log(`seed ${SEED}, ${CASES} cases: ${JSON.stringify(tally)}`);
    // The run reaches both answers, and paths that climb out of a route, whatever the seed.
    expect(tally.forwarded, `seed ${SEED}`).toBeGreaterThan(CASES / 20);
    expect(tally.refused, `seed ${SEED}`).toBeGreaterThan(CASES / 8);
    expect(tally.walkedOut, `seed ${SEED}`).toBeGreaterThan(0);
  }, 60_000);
});
