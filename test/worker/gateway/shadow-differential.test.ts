// A generated, differential test of shadow policies end to end, through the real gateway in workerd with the
// recording origin, the real Denylist and Grants objects, and the decision log captured. Each generated pair
// (shadow-cases.ts) is an active policy and a candidate made from it by a few edits (or the same rules under
// another version, or the very same text); the candidate is put in shadow through the admin API as `ward shadow
// set` does (PUT /.ward/admin/policy/shadow), and generated callers (people with groups, workloads by client certificate or SPIRE
// JWT-SVID, a workload with a person's sign-in, nobody; some revoked, some holding a grant) ask. The oracle
// (shadow-oracle.ts, from the docs) says (a) what the caller gets and the origin sees, which must be the active
// policy's alone, and what the line's `shadow` member must say the candidate decided, and (b) what `ward shadow
// report` must count from those lines: newly denied and newly allowed per identity and route, the decisions of a
// grant or the denylist apart, the deny rules on trial. The report is read as the command reads a log file
// (parseDecisionLogs, then shadowReport and its text; the command's own argument parsing needs node:util's
// parseArgs, which workerd lacks). The seed is fixed, so a run is repeatable; WARD_SHADOW_SEED=<n> tries another
// (WARD_SHADOW_PAIRS and _CASES more of them) and is printed on failure, with the first WARD_SHADOW_SHOW (8)
// disagreements. Hand-made pairs (pinnedPairs in shadow-cases.ts) run first: the smallest cases of what it found.
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { parseDecisionLogs } from "../../../scripts/logs/parse.ts";
import { shadowReport, shadowReportText, type ShadowReport } from "../../../scripts/shadow/report.ts";
import { prng } from "../../support/prng.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";
import { signParts, FIXTURES, issuerKey } from "../support/workload-tokens.ts";
import {
  ADMIN_EMAIL,
  emails,
  genCase,
  genPair,
  pinnedPairs,
  policyYaml,
  type Case,
  type Grant,
  type Pair,
} from "./shadow-cases.ts";

type Pinned = ReturnType<typeof pinnedPairs>[number];
import {
  answer,
  evaluate,
  principalOf,
  reportOracle,
  tokenCounts,
  type Group,
  type Line,
  type PolicyDecision,
} from "./shadow-oracle.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_SHADOW_SEED ?? 20261207);
const PAIRS = Number(wardEnv.WARD_SHADOW_PAIRS ?? 6);
const CASES = Number(wardEnv.WARD_SHADOW_CASES ?? 50);
const BATCH = 10;
const signing = inject("accessPrivateJwk");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTSIDE = new Set([
  "allowed-by-exception",
  "allowed-by-break-glass",
  "revoked",
  "quarantined",
  "denylist-unavailable",
]);

async function admin(path: string, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  const token = await accessToken(signing, { email: ADMIN_EMAIL, identity_nonce: "n-shadow-admin" });
  const res = await exports.default.fetch(`https://ward.localhost/.ward/admin${path}`, {
    method,
    headers: { "cf-access-jwt-assertion": token, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

async function post(path: string, body: unknown): Promise<void> {
  const res = await admin(path, "POST", body);
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
}

/** `ward shadow set`: the admin API validates the candidate, stores it and names it in KV's shadow key. */
async function setShadow(text: string): Promise<{ status: number; version?: string; text: string }> {
  const res = await admin("/policy/shadow", "PUT", { text, message: "shadow differential" });
  const version =
    res.status === 200 ? (JSON.parse(res.text) as { entry: { version: string } }).entry.version : undefined;
  return { ...res, ...(version ? { version } : {}) };
}

/** Until the gateway decides with `active` and logs the candidate `shadow` (the isolate re-reads every 50 ms). */
async function untilShadowed(active: string, shadow: string, host: string): Promise<Record<string, unknown>[]> {
  let lines: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    lines = (await captured(async () => void (await (await exports.default.fetch(`https://${host}/`)).arrayBuffer())))
      .lines;
    if (lines.some((l) => l.policyVersion === active && (l.shadow as { version?: string })?.version === shadow))
      return [];
    await sleep(30);
  }
  return lines;
}

async function svid(spiffe: string, host: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    ...FIXTURES.spire.payload,
    sub: spiffe,
    aud: [`https://${host}`],
    iat: now,
    nbf: now,
    exp: now + 240,
  };
  return signParts(issuerKey("spire"), JSON.stringify(FIXTURES.spire.header), JSON.stringify(payload));
}

async function build(c: Case, query: string, i: number): Promise<[string, RequestInit & { cf?: unknown }]> {
  const host = c.host;
  const headers = new Headers();
  const w = c.who;
  if (w.kind === "person" || w.kind === "cert+person")
    headers.set(
      "cf-access-jwt-assertion",
      await accessToken(signing, { email: w.email, sub: `sub-${i}`, identity_nonce: `n-${w.email}` }),
    );
  if (w.kind === "svid") headers.set("authorization", `Bearer ${await svid(w.spiffe, host)}`);
  const cert = w.kind === "cert" || w.kind === "cert+person";
  return [
    `https://${host}${c.path}?${query}`,
    {
      method: c.method,
      headers,
      redirect: "manual",
      ...(["POST", "PUT", "PATCH"].includes(c.method) ? { body: "{}" } : {}),
      ...(cert ? { cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) } } : {}),
    },
  ];
}

/** Until the gateway decides with `version`. */
async function untilActive(version: string, host: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const { lines } = await captured(
      async () => void (await (await exports.default.fetch(`https://${host}/`)).arrayBuffer()),
    );
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await sleep(30);
  }
  throw new Error(`policy ${version} never became active`);
}

/** Directory answers for the run's people, their revocations and grants, before any case is sent. */
async function prepare(cases: Case[]): Promise<Grant[]> {
  const soon = new Date(Date.now() + 86_400_000).toISOString();
  const grants: Grant[] = [];
  for (const c of cases) {
    const w = c.who;
    if (w.kind === "person" || w.kind === "cert+person")
      await fetch("https://directory.ward-demo.test/answer", {
        method: "PUT",
        body: JSON.stringify({
          email: w.email,
          answer: { email: w.email, groups: w.groups.map((g) => ({ id: `id-${g}`, name: g })), devicePosture: {} },
        }),
      });
    if (c.revoked && "email" in w)
      await post("/revocations", { match: "email", value: w.email, reason: "shadow differential" });
    const g = c.grant;
    if (!g) continue;
    await post("/exceptions", {
      principal: { email: g.email },
      service: g.service,
      ...(g.routes ? { routes: g.routes } : {}),
      ...(g.methods ? { methods: g.methods } : {}),
      notAfter: soon,
      reason: "shadow differential",
      ticket: "SHD-1",
      requestedBy: "a@example.com",
      approvedBy: "b@example.com",
    });
    grants.push(g);
  }
  return grants;
}

const json = (v: unknown, keys?: string[]) => JSON.stringify(v, keys);

/** (a) One line against the oracle: the answer and origin calls the active policy's, `shadow` the candidate's. */
function compareLine(
  pair: Pair,
  c: Case,
  want: ReturnType<typeof answer>,
  shadow: PolicyDecision,
  versions: { active: string; candidate: string },
  got: { status: number; seen: number; line?: Record<string, unknown> },
): string[] {
  const problems: string[] = [];
  if (got.status !== want.status) problems.push(`status: ${got.status}, expected ${want.status}`);
  if (got.seen !== (want.forwarded ? 1 : 0))
    problems.push(`origin called: ${got.seen}, expected ${want.forwarded ? 1 : 0}`);
  const l = got.line;
  if (!l) return [...problems, "decision line: none"];
  if (l.policyVersion !== versions.active) problems.push(`policyVersion: ${l.policyVersion}`);
  const service = pair.active.services.find((s) => s.host === c.host);
  const principal = principalOf(c.who, !!service && tokenCounts(service, c));
  if (l.principal !== principal) problems.push(`principal: ${l.principal}, expected ${principal}`);
  if (l.effect !== want.effect) problems.push(`effect: ${l.effect}, expected ${want.effect}`);
  if (json(l.reasons) !== json(want.reasons))
    problems.push(`reasons: ${json(l.reasons)}, expected ${json(want.reasons)}`);
  if (!want.outside || want.effect === "allow") {
    if (want.reasons[0] !== "revoked" && (l.rule ?? null) !== want.rule)
      problems.push(`rule: ${l.rule}, expected ${want.rule}`);
    const w = l.wouldDeny as { status: number; reasons: string[]; rule?: string | null } | null | undefined;
    const gotWould = w ? { status: w.status, reasons: w.reasons, ...(w.rule ? { rule: w.rule } : {}) } : null;
    if (json(gotWould) !== json(want.wouldDeny))
      problems.push(`wouldDeny: ${json(gotWould)}, expected ${json(want.wouldDeny)}`);
  }
  const s = l.shadow as Record<string, unknown> | undefined;
  const expected = {
    version: versions.candidate,
    effect: shadow.effect,
    status: shadow.status,
    route: shadow.route,
    rule: shadow.rule,
    reasons: shadow.reasons,
  };
  const keys = Object.keys(expected);
  if (json(s, keys) !== json(expected, keys))
    problems.push(`shadow: ${json(s, keys)}, expected ${json(expected, keys)}`);
  return problems;
}

/** A line as read back, for the report's oracle: the docs' reading of the fields the report uses. */
function lineOf(l: Record<string, unknown>): Line {
  const reasons = l.reasons as string[];
  const s = l.shadow as PolicyDecision & { version: string };
  return {
    principal: String(l.principal),
    method: String(l.method),
    host: String(l.host),
    path: String(l.path),
    version: s.version,
    shadow: s,
    active: {
      effect: l.effect as "allow" | "deny",
      status: Number(l.status),
      reasons,
      route: (l.route as string | null) ?? null,
      rule: (l.rule as string | null) ?? null,
      wouldDeny: (l.wouldDeny as PolicyDecision["wouldDeny"]) ?? null,
      forwarded: l.effect === "allow",
      outside: reasons.some((r) => OUTSIDE.has(r)),
    },
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function compareGroups(
  what: string,
  got: ShadowReport["newlyDenied"]["identities"],
  want: Map<string, Group>,
): string[] {
  const problems: string[] = [];
  const names = (xs: Iterable<string>) => [...xs].sort().join(", ");
  if (names(got.map((g) => g.principal)) !== names(want.keys()))
    problems.push(`${what} identities: [${names(got.map((g) => g.principal))}], expected [${names(want.keys())}]`);
  for (const g of got) {
    const w = want.get(g.principal);
    if (!w) continue;
    if (g.requests !== w.requests)
      problems.push(`${what} ${g.principal}: ${g.requests} requests, expected ${w.requests}`);
    const extra = g.routes.filter((r) => !w.routes.has(r));
    if (extra.length > 0 || g.routes.length === 0)
      problems.push(`${what} ${g.principal}: routes ${json(g.routes)}, expected among ${json([...w.routes])}`);
    const foreign = g.examples.filter((e) => !w.asked.has(e));
    if (foreign.length > 0 || g.examples.length === 0 || g.examples.length > Math.min(3, w.requests))
      problems.push(`${what} ${g.principal}: examples ${json(g.examples)}, asked ${json([...w.asked])}`);
  }
  return problems;
}

/** (b) The report of the pair's log against the oracle's counts from the same lines. */
function compareReport(lines: Record<string, unknown>[], versions: { active: string; candidate: string }): string[] {
  const text = lines.map((l) => JSON.stringify(l)).join("\n");
  const { records } = parseDecisionLogs([text]);
  const report = shadowReport(records, versions.candidate);
  const want = reportOracle(lines.filter((l) => l.shadow).map(lineOf));
  const problems: string[] = [];
  if (report.shadow !== versions.candidate) problems.push(`report shadow: ${report.shadow}`);
  for (const k of ["compared", "unchanged", "decidedOutsideThePolicy"] as const)
    if (report[k] !== want[k]) problems.push(`report ${k}: ${report[k]}, expected ${want[k]}`);
  const sum = (m: Map<string, Group>) => [...m.values()].reduce((n, g) => n + g.requests, 0);
  if (report.newlyDenied.requests !== sum(want.newlyDenied))
    problems.push(`report newlyDenied: ${report.newlyDenied.requests}, expected ${sum(want.newlyDenied)}`);
  if (report.newlyAllowed.requests !== sum(want.newlyAllowed))
    problems.push(`report newlyAllowed: ${report.newlyAllowed.requests}, expected ${sum(want.newlyAllowed)}`);
  problems.push(...compareGroups("newly denied", report.newlyDenied.identities, want.newlyDenied));
  problems.push(...compareGroups("newly allowed", report.newlyAllowed.identities, want.newlyAllowed));
  const trials = (xs: Iterable<string>) => [...xs].sort().join(", ");
  if (trials(report.rulesOnTrial.map((t) => t.rule)) !== trials(want.rulesOnTrial.keys()))
    problems.push(
      `rules on trial: [${trials(report.rulesOnTrial.map((t) => t.rule))}], expected [${trials(want.rulesOnTrial.keys())}]`,
    );
  for (const t of report.rulesOnTrial) {
    const w = want.rulesOnTrial.get(t.rule);
    if (!w) continue;
    if (t.requests !== sum(w)) problems.push(`rule on trial ${t.rule}: ${t.requests} requests, expected ${sum(w)}`);
    problems.push(...compareGroups(`trial ${t.rule}`, t.identities, w));
  }
  // The text says the same figures.
  const out = shadowReportText(report);
  const outside = want.decidedOutsideThePolicy;
  const head = `shadow ${versions.candidate.slice(0, 12)} against active ${versions.active.slice(0, 12)}: ${plural(want.compared, "decision", "decisions")} compared, ${want.unchanged} unchanged${outside > 0 ? ` (${outside} decided by a grant or the denylist, not compared)` : ""}`;
  if (out[0] !== head) problems.push(`report text: ${json(out[0])}, expected ${json(head)}`);
  for (const [what, m] of [
    ["would newly deny", want.newlyDenied],
    ["would newly allow", want.newlyAllowed],
  ] as const) {
    const l = `${what}: ${plural(sum(m), "request", "requests")} from ${plural(m.size, "identity", "identities")}`;
    if (!out.includes(l)) problems.push(`report text: no line ${json(l)}`);
  }
  for (const [rule, m] of want.rulesOnTrial) {
    const l = `deny rule ${rule} (mode: audit) would deny: ${plural(sum(m), "request", "requests")} from ${plural(m.size, "identity", "identities")}`;
    if (!out.includes(l)) problems.push(`report text: no line ${json(l)}`);
  }
  return problems;
}

interface Disagreement {
  at: string;
  problems: string[];
}

const exercised = { newlyDenied: 0, newlyAllowed: 0, outside: 0, trial: 0, shadowAudit: 0, sameText: 0, sameRules: 0 };

async function runPair(k: number, nonce: string, found: Disagreement[], pinned?: Pinned): Promise<void> {
  const r = prng((SEED ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0);
  const label = `v${nonce}${k}`;
  const people = emails(label, CASES);
  const pair = pinned?.pair ?? genPair(r, people, label);
  const cases = pinned?.cases(people) ?? Array.from({ length: CASES }, (_, i) => genCase(r, pair, people, i));
  const activeText = policyYaml(pair.active);
  const active = await activate(activeText);
  await untilActive(active, pair.active.services[0]!.host);
  const set = await setShadow(pair.how === "same-text" ? activeText : policyYaml(pair.candidate));
  if (pair.how === "same-text") exercised.sameText++;
  if (pair.how === "same-rules") exercised.sameRules++;
  // The candidate may be refused only when it is the active version (as a promote or rollback to it is, 409).
  if (!set.version) {
    if (pair.how !== "same-text")
      found.push({ at: `pair ${k} (${pair.how})`, problems: [`shadow set: ${set.status} ${set.text.slice(0, 300)}`] });
    return;
  }
  const candidate = set.version;
  const versions = { active, candidate };
  try {
    const unshadowed = await untilShadowed(active, candidate, pair.active.services[0]!.host);
    if (unshadowed.length > 0) {
      // operations.md: once shadow set answers, every request is decided by the candidate too and its line says so.
      found.push({
        at: `pair ${k} (${pair.how}): shadow set answered ${set.status}, active ${active.slice(0, 12)}, candidate ${candidate.slice(0, 12)}`,
        problems: [
          `shadow: no decision line carries the candidate: ${json(unshadowed.find((l) => l.event === "decision"))}`,
        ],
      });
      return;
    }
    const grants = await prepare(cases);
    await sleep(300); // the isolate's copies of the denylist and the grants refresh every 50 ms
    const run = `m-${crypto.randomUUID()}`;
    const { result: answers, lines } = await captured(async () => {
      const out: { status: number; id: string }[] = [];
      for (let at = 0; at < cases.length; at += BATCH)
        out.push(
          ...(await Promise.all(
            cases.slice(at, at + BATCH).map(async (c, j) => {
              const [url, init] = await build(c, `${run}-${at + j}x`, at + j);
              const res = c.body
                ? await fetchRaw(
                    rawRequest(url, {
                      method: c.method,
                      headers: init.headers as Headers,
                      body: "",
                      ...(init.cf ? { cf: init.cf } : {}),
                    }),
                  )
                : await exports.default.fetch(url, init);
              await res.arrayBuffer();
              return { status: res.status, id: res.headers.get("ward-request-id") ?? "" };
            }),
          )),
        );
      // A line waits for groups only the candidate reads: give every request's line time to be written.
      await sleep(300);
      return out;
    });
    const decisions = new Map(lines.filter((l) => l.event === "decision").map((l) => [String(l.requestId), l]));
    const seen = await originSaw(run);
    const mine: Record<string, unknown>[] = [];
    const label2 = (i: number) =>
      `pair ${k} (${pair.how} ${json(pair.edits)}) case ${i}: ${json(cases[i])}\n  active ${json(pair.active.services.find((s) => s.host === cases[i]!.host))}\n  candidate ${json(pair.candidate.services.find((s) => s.host === cases[i]!.host))}`;
    cases.forEach((c, i) => {
      const want = answer(pair.active, c, grants);
      const shadow = evaluate(pair.candidate, c);
      const a = answers[i]!;
      const line = decisions.get(a.id);
      if (line) mine.push(line);
      const at = seen.filter((s) => s.url.endsWith(`${run}-${i}x`)).length;
      const problems = compareLine(pair, c, want, shadow, versions, { status: a.status, seen: at, line });
      if (problems.length > 0) found.push({ at: label2(i), problems });
      if (want.outside) exercised.outside++;
      if (!want.outside && want.effect === "allow" && shadow.effect === "deny") exercised.newlyDenied++;
      if (!want.outside && want.effect === "deny" && shadow.effect === "allow") exercised.newlyAllowed++;
      if (want.wouldDeny?.rule && want.reasons[0] !== "audit-would-deny") exercised.trial++;
      if (shadow.reasons[0] === "audit-would-deny") exercised.shadowAudit++;
    });
    const problems = compareReport(mine, versions);
    if (problems.length > 0)
      found.push({ at: `pair ${k} (${pair.how} ${json(pair.edits)}): ward shadow report`, problems });
  } finally {
    await admin("/policy/shadow", "DELETE");
  }
}

describe("shadow candidates and ward shadow report, against the docs", () => {
  it(`${PAIRS} generated policy pairs, ${CASES} generated callers each, through the gateway`, {
    timeout: 120_000,
  }, async () => {
    const nonce = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
    const found: Disagreement[] = [];
    const pinned = pinnedPairs((k) => `v${nonce}${k}`);
    for (const [j, p] of pinned.entries()) await runPair(100 + j, nonce, found, p);
    for (let k = 0; k < PAIRS; k++) await runPair(k, nonce, found);
    const kinds = new Map<string, number>();
    for (const d of found)
      for (const q of d.problems) kinds.set(q.split(":")[0]!, (kinds.get(q.split(":")[0]!) ?? 0) + 1);
    const summary = [
      ...[...kinds].map(([kind, count]) => `${count}\t${kind}`),
      ...found.slice(0, Number(wardEnv.WARD_SHADOW_SHOW ?? 8)).map((d) => `${d.at}\n  ${d.problems.join("\n  ")}`),
    ].join("\n");
    if (wardEnv.WARD_SHADOW_STATS) console.warn(json(exercised));
    expect(summary, `${found.length} cases disagree (replay: WARD_SHADOW_SEED=${SEED})`).toBe("");
    for (const [what, count] of Object.entries(exercised))
      if (what !== "sameText" && what !== "sameRules")
        expect(count, `${what}: none generated (seed ${SEED})`).toBeGreaterThan(0);
  });
});
