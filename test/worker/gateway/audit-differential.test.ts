// A generated, differential test of audit mode and of what counts toward quarantine, through the real gateway in
// workerd with the recording origin and the real Denylist, DenialCounter and Grants objects. Small random
// policies (audit-cases.ts: two services in enforce or audit mode, nested routes, allow and deny rules, some deny
// rules on trial) quarantine after one denial, and each generated caller holds an identity of its own (a person,
// a service token, a GitHub Actions token, a person with such a token, or nobody), some revoked, some holding an
// exception or a break-glass grant, sending a browser's Fetch Metadata headers or none. The oracle
// (audit-oracle.ts, from the docs) says the status, whether the origin was called, the decision log's reasons,
// rule and wouldDeny, and whom one request each gets quarantined; then every caller quarantined asks again, at an
// audit-mode service where there is one, and must be refused (a quarantine is never audited away). The seed is
// fixed, so a run is repeatable; WARD_AUDIT_SEED=<n> tries another (WARD_AUDIT_POLICIES and _CASES more of them)
// and is printed on failure, with the first WARD_AUDIT_SHOW (6) disagreeing cases.
import { exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, inject, it } from "vitest";
import type { SeenRequest } from "../../support/recording-origin.ts";
import { prng } from "../../support/prng.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";
import { workloadToken } from "../support/workload-tokens.ts";
import {
  ADMIN_EMAIL,
  GITHUB,
  genCase,
  genPolicy,
  names,
  otherCase,
  policyYaml,
  type Case,
  type GenPolicy,
  type Grant,
} from "./audit-cases.ts";
import { effective, expectFor, principalOf, type Assertion, type Expected } from "./audit-oracle.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_AUDIT_SEED ?? 20261206);
const POLICIES = Number(wardEnv.WARD_AUDIT_POLICIES ?? 3);
const CASES = Number(wardEnv.WARD_AUDIT_CASES ?? 70);
const BATCH = 10;
const signing = inject("accessPrivateJwk");

interface Disagreement {
  at: string;
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(
    "cf-access-jwt-assertion",
    await accessToken(signing, { email: ADMIN_EMAIL, identity_nonce: "n-audit-admin" }),
  );
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`https://ward.localhost/.ward/admin${path}`, { ...init, headers });
}

async function post(path: string, body: unknown): Promise<void> {
  const res = await admin(path, { method: "POST", body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} ${JSON.stringify(body)}: ${res.status} ${text}`);
}

async function quarantined(): Promise<Set<string>> {
  const res = await admin("/denylist?kind=quarantine&all=1");
  const { entries } = (await res.json()) as { entries: { value: string }[] };
  return new Set(entries.map((e) => e.value));
}

/** Until the gateway decides with `version` (its isolate re-reads the active pointer every 50 ms). */
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

/** `spelling`: the e-mail the person's token writes, when not the case's own (the same address in other case). */
async function build(
  p: GenPolicy,
  c: Case,
  i: number,
  query: string,
  spelling?: string,
): Promise<[string, RequestInit]> {
  const path = c.path;
  const host = p.services[c.service]!.host;
  const url = `https://${host}${path}?${query}`;
  const headers = new Headers();
  const w = c.who;
  if (w.kind === "person" || w.kind === "person+github")
    headers.set(
      "cf-access-jwt-assertion",
      await accessToken(signing, { email: spelling ?? w.spelt, sub: `sub-${i}`, identity_nonce: `n-${w.email}` }),
    );
  if (w.kind === "service")
    headers.set("cf-access-jwt-assertion", await accessToken(signing, { common_name: w.clientId, sub: "" }));
  if (w.kind === "github" || w.kind === "person+github")
    headers.set(
      "authorization",
      `Bearer ${await workloadToken({ issuer: "github", claims: { sub: w.sub, repository: w.repository, aud: `https://${host}` } })}`,
    );
  const b = c.browser;
  if (b.site) headers.set("sec-fetch-site", b.site);
  if (b.mode) headers.set("sec-fetch-mode", b.mode);
  if (b.dest) headers.set("sec-fetch-dest", b.dest);
  if (b.user) headers.set("sec-fetch-user", b.user);
  if (b.purpose) headers.set("sec-purpose", b.purpose);
  if (c.upgrade) {
    headers.set("upgrade", "websocket");
    headers.set("connection", "Upgrade");
    headers.set("sec-websocket-version", "13");
    headers.set("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
  }
  if (b.origin)
    headers.set(
      "origin",
      b.origin === "own" ? `https://${host}` : b.origin === "null" ? "null" : "https://elsewhere.example",
    );
  return [
    url,
    {
      method: c.method,
      headers,
      redirect: "manual",
      ...(["POST", "PUT", "PATCH"].includes(c.method) ? { body: "{}" } : {}),
    },
  ];
}

/**
 * Every other quarantined caller asks again with one more credential of its own: a person with a new CI token, a
 * CI token with a new person's sign-in. The quarantine refuses every request carrying the credential it names.
 */
function withMore(c: Case, i: number): Case {
  const w = c.who;
  if (i % 2 === 1) return c;
  const fresh = `again${i}-${crypto.randomUUID().slice(0, 8)}`;
  if (w.kind === "person")
    return {
      ...c,
      who: {
        ...w,
        kind: "person+github",
        sub: `repo:ward-demo/${fresh}:ref:refs/heads/main`,
        repository: "ward-demo/r1",
      },
    };
  if (w.kind === "github") {
    const email = `${fresh}@example.com`;
    return { ...c, who: { ...w, kind: "person+github", email, spelt: email, groups: [] } };
  }
  return c;
}

/** Grants, revocations and the directory's answers about the run's people, before any case is sent. */
async function prepare(p: GenPolicy, cases: Case[]): Promise<void> {
  const soon = new Date(Date.now() + 86_400_000).toISOString();
  for (const c of cases) {
    const w = c.who;
    if (w.kind === "person" || w.kind === "person+github")
      for (const email of new Set([w.email, w.spelt, otherCase(w.email).toUpperCase()]))
        await fetch("https://directory.ward-demo.test/answer", {
          method: "PUT",
          body: JSON.stringify({
            email,
            answer: { email, groups: w.groups.map((g) => ({ id: `id-${g}`, name: g })), devicePosture: {} },
          }),
        });
    if (c.revoked) {
      const [match, value] =
        w.kind === "service"
          ? ["token", w.clientId]
          : w.kind === "github"
            ? ["subject", `${GITHUB}/${w.sub}`]
            : ["email", "email" in w ? w.email : ""];
      await post("/revocations", { match, value, reason: "audit differential" });
    }
    const g = c.grant;
    if (!g) continue;
    const scope = {
      principal: g.principal.startsWith("token:")
        ? { serviceToken: g.principal.slice(6) }
        : g.principal.startsWith("group:")
          ? { group: g.principal.slice(6) }
          : { email: g.principal },
      service: p.services[g.service]!.name,
      ...(g.routes ? { routes: g.routes } : {}),
      ...(g.methods ? { methods: g.methods } : {}),
    };
    if (g.kind === "break-glass")
      await post("/breakglass", { ...scope, minutes: 15, justification: "audit differential" });
    else
      await post("/exceptions", {
        ...scope,
        notAfter: soon,
        reason: "audit differential",
        ticket: "AUD-1",
        requestedBy: "a@example.com",
        approvedBy: "b@example.com",
      });
  }
}

/** The decision claims of the assertion the origin received. */
function assertionOf(seen: SeenRequest): Assertion {
  const claims = decodeJwt(String(seen.headers["ward-assertion"]));
  const exception = typeof claims.ward_exception === "string" ? claims.ward_exception.split(":")[0] : undefined;
  const out: Record<string, unknown> = {
    ward_route: claims.ward_route ?? undefined,
    ward_rule: claims.ward_rule ?? undefined,
    ward_mode: claims.ward_mode,
    ward_exception: exception,
    ward_would_deny: claims.ward_would_deny ?? undefined,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as Assertion;
}

function compare(
  e: Expected,
  mode: string,
  status: number,
  atOrigin: SeenRequest[],
  line: Record<string, unknown> | undefined,
): string[] {
  const seen = atOrigin.length;
  if (e.assertion && atOrigin[0]) {
    const got = assertionOf(atOrigin[0]);
    const want = e.assertion;
    if (
      JSON.stringify(got, Object.keys(want).concat(Object.keys(got)).sort()) !==
      JSON.stringify(want, Object.keys(want).concat(Object.keys(got)).sort())
    )
      return [
        `assertion: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
        ...compare({ ...e, assertion: undefined }, mode, status, atOrigin, line),
      ];
  }
  const problems: string[] = [];
  if (e.or && status === e.or.status && JSON.stringify(line?.reasons) === JSON.stringify(e.or.reasons))
    e = { ...e, ...e.or };
  if (status !== e.status) problems.push(`status: ${status}, expected ${e.status}`);
  if (seen !== (e.forwarded ? 1 : 0)) problems.push(`origin called: ${seen} times, expected ${e.forwarded ? 1 : 0}`);
  if (!line) return [...problems, "decision line: none"];
  if (line.status !== status) problems.push(`log status: ${line.status}, answered ${status}`);
  if (line.mode !== (e.mode ?? mode)) problems.push(`log mode: ${line.mode}, expected ${e.mode ?? mode}`);
  if (e.upgradeRefused) {
    if (!(line.reasons as string[]).includes("upgrade-not-allowed"))
      problems.push(`reasons: ${JSON.stringify(line.reasons)}, expected upgrade-not-allowed among them`);
    return problems;
  }
  if (JSON.stringify(line.reasons) !== JSON.stringify(e.reasons))
    problems.push(
      `reasons: ${JSON.stringify(line.reasons)}, expected ${JSON.stringify(e.reasons)}${line.exception ? ` (grant ${JSON.stringify(line.exception)})` : ""}`,
    );
  if (e.reasons[0] !== "revoked") {
    if ((line.rule ?? undefined) !== e.rule) problems.push(`rule: ${line.rule}, expected ${e.rule}`);
    const w = line.wouldDeny as { status: number; reasons: string[]; rule?: string | null } | null;
    const got = w ? { status: w.status, reasons: w.reasons, ...(w.rule ? { rule: w.rule } : {}) } : null;
    if (JSON.stringify(got) !== JSON.stringify(e.wouldDeny))
      problems.push(`wouldDeny: ${JSON.stringify(got)}, expected ${JSON.stringify(e.wouldDeny)}`);
  }
  return problems;
}

/** `earlier`: the grants of the policies before, which stay in force (grants are kept per service name). */
/** What a run exercised, so that a generator that stopped producing counted denials or trials fails. */
const exercised = { counted: 0, askedAgain: 0, trial: 0, audited: 0, granted: 0 };

async function runPolicy(k: number, nonce: string, earlier: Grant[], found: Disagreement[]): Promise<void> {
  const r = prng((SEED + k) >>> 0);
  const n = names(`${nonce}${k}`, CASES);
  const p = genPolicy(r, n, `${nonce}${k}`);
  const cases = Array.from({ length: CASES }, (_, i) => genCase(r, p, n, i));
  const yaml = policyYaml(p);
  await untilActive(await activate(yaml), p.services[0]!.host);
  await prepare(p, cases);
  await sleep(300); // the isolate's copies of the denylist and the grants refresh every 50 ms
  const run = `m-${crypto.randomUUID()}`;
  earlier.push(...cases.flatMap((c) => (c.grant ? [c.grant] : [])));
  const grants = earlier;
  const expected = cases.map((c) => expectFor(p, c, grants));
  const label = (i: number) =>
    `policy ${k} case ${i}: ${JSON.stringify(cases[i])}\n  service ${JSON.stringify(p.services[cases[i]!.service])}`;

  const { result: answers, lines } = await captured(async () => {
    const out: { status: number; id: string }[] = [];
    for (let at = 0; at < cases.length; at += BATCH)
      out.push(
        ...(await Promise.all(
          cases.slice(at, at + BATCH).map(async (c, j) => {
            const [url, init] = await build(p, c, at + j, `${run}-${at + j}x`);
            const res = c.body
              ? await fetchRaw(rawRequest(url, { method: c.method, headers: init.headers as Headers, body: "" }))
              : await exports.default.fetch(url, init);
            await res.arrayBuffer();
            return { status: res.status, id: res.headers.get("ward-request-id") ?? "" };
          }),
        )),
      );
    return out;
  });
  if (wardEnv.WARD_AUDIT_STATS) {
    const tally = new Map<string, number>();
    for (const e of expected) {
      const key = `${e.status} ${e.reasons.join(",")}${e.counted && e.counted !== "unknown" ? " counted" : ""}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    console.warn(
      `policy ${k}:\n${[...tally]
        .sort()
        .map(([key, count]) => `${count}\t${key}`)
        .join("\n")}`,
    );
  }
  for (const e of expected) {
    if (e.counted && e.counted !== "unknown") exercised.counted++;
    if (e.reasons[0] === "audit-would-deny") exercised.audited++;
    else if (e.reasons.includes("audit-would-deny")) exercised.trial++;
    if (e.assertion?.ward_exception) exercised.granted++;
  }
  const decisions = new Map(lines.filter((l) => l.event === "decision").map((l) => [String(l.requestId), l]));
  const seen = await originSaw(run);
  cases.forEach((_, i) => {
    const a = answers[i]!;
    const at = seen.filter((s) => s.url.endsWith(`${run}-${i}x`));
    const problems = compare(expected[i]!, p.services[cases[i]!.service]!.mode, a.status, at, decisions.get(a.id));
    if (problems.length > 0) found.push({ at: label(i), problems });
  });

  // Who is quarantined: exactly the callers whose one denial counted (revoked callers left out).
  const want = new Set(expected.flatMap((e) => (e.counted && e.counted !== "unknown" ? [e.counted] : [])));
  const ours = (i: number) => principalOf(effective(cases[i]!).who).split("+")[0]!;
  let listed = await quarantined();
  for (let t = 0; t < 60 && [...want].some((v) => !listed.has(v)); t++) {
    await sleep(50);
    listed = await quarantined();
  }
  await sleep(200); // and a moment for any that should not come
  listed = await quarantined();
  cases.forEach((c, i) => {
    if (effective(c).who.kind === "anonymous" || c.revoked) return;
    const key = ours(i);
    const e = expected[i]!;
    // A person with a workload token is counted as the person, never as the token's subject.
    const also = principalOf(effective(c).who)
      .split("+")
      .slice(1)
      .filter((part) => listed.has(part));
    if (also.length > 0) found.push({ at: label(i), problems: [`quarantine: also ${also.join(", ")}`] });
    if (listed.has(key) !== (e.counted === key))
      found.push({
        at: label(i),
        problems: [
          `quarantine: ${listed.has(key) ? "quarantined" : "not quarantined"}, expected ${e.counted === key ? "quarantined" : "not"} (answered ${answers[i]!.status} ${JSON.stringify(e.reasons)})`,
        ],
      });
  });

  // A quarantined caller is refused everywhere, at a service in audit mode too.
  await sleep(300);
  const audit = p.services.findIndex((s) => s.mode === "audit");
  const again = cases.flatMap((c, i) =>
    effective(c).who.kind !== "anonymous" && !c.revoked && listed.has(ours(i))
      ? [{ c: { ...withMore(effective(c), i), method: "GET" as const, service: audit >= 0 ? audit : c.service }, i }]
      : [],
  );
  for (const { c } of again)
    if (c.who.kind === "person+github")
      await fetch("https://directory.ward-demo.test/answer", {
        method: "PUT",
        body: JSON.stringify({ email: c.who.email, answer: { email: c.who.email, groups: [], devicePosture: {} } }),
      });
  exercised.askedAgain += again.length;
  const { result: refused, lines: later } = await captured(() =>
    Promise.all(
      again.map(async ({ c, i }) => {
        // A person asks again with the address in other letter case: the quarantine names the person, not a spelling.
        const other = "email" in c.who ? otherCase(c.who.email).toUpperCase() : undefined;
        const res = await exports.default.fetch(...(await build(p, c, i, `${run}-again-${i}x`, other)));
        await res.arrayBuffer();
        return { status: res.status, id: res.headers.get("ward-request-id") ?? "" };
      }),
    ),
  );
  const laterDecisions = new Map(later.filter((l) => l.event === "decision").map((l) => [String(l.requestId), l]));
  const seenAgain = await originSaw(`${run}-again-`);
  again.forEach(({ i }, j) => {
    const a = refused[j]!;
    const at = seenAgain.filter((s) => s.url.endsWith(`${run}-again-${i}x`)).length;
    const reasons = laterDecisions.get(a.id)?.reasons;
    // At a service that requires a certificate, its 401 is a refusal too.
    const certificate =
      p.services[again[j]!.c.service]!.requireCertificate &&
      a.status === 401 &&
      JSON.stringify(reasons) === '["certificate-required"]';
    if (at !== 0 || (!certificate && (a.status !== 403 || JSON.stringify(reasons) !== '["quarantined"]')))
      found.push({
        at: `${label(i)} (asking again, quarantined, at ${p.services[again[j]!.c.service]!.name})`,
        problems: [`quarantined caller: ${a.status}, origin called ${at} times, reasons ${JSON.stringify(reasons)}`],
      });
  });
}

describe("audit mode, deny rules on trial and what counts toward quarantine, against the docs", () => {
  it(`${POLICIES} generated policies, ${CASES} generated callers each, through the gateway`, {
    timeout: 90_000,
  }, async () => {
    const nonce = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
    const found: Disagreement[] = [];
    const grants: Grant[] = [];
    for (let k = 0; k < POLICIES; k++) await runPolicy(k, nonce, grants, found);
    const kinds = new Map<string, number>();
    for (const d of found)
      for (const q of d.problems) kinds.set(q.split(":")[0]!, (kinds.get(q.split(":")[0]!) ?? 0) + 1);
    const summary = [
      ...[...kinds].map(([kind, count]) => `${count}\t${kind}`),
      ...found.slice(0, Number(wardEnv.WARD_AUDIT_SHOW ?? 6)).map((d) => `${d.at}\n  ${d.problems.join("\n  ")}`),
    ].join("\n");
    expect(summary, `${found.length} cases disagree (replay: WARD_AUDIT_SEED=${SEED})`).toBe("");
    for (const [what, count] of Object.entries(exercised))
      expect(count, `${what}: none generated (seed ${SEED})`).toBeGreaterThan(0);
  });
});
