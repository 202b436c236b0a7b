// A generated, differential test of the admin API and Ward's own paths (/.ward/..., /.well-known/ward/...). Cases
// from a seeded PRNG: every admin endpoint and own path, every method (odd-case and unknown ones included), the
// admin host and a service's host in every spelling (trailing dot, capitals, a port) and an invalid one, path
// spellings (trailing slash, doubled slash, percent-encoded letters and slashes, dot segments, `;` parameters,
// capitals), callers (none, an admin's Access token in the header or the cookie, a non-admin's, a revoked
// admin's, service tokens, an expired, wrong-audience or forged token, workload certificates, a workload token),
// bodies (valid, none, malformed, huge, duplicated members, `__proto__`) and browser headers (Fetch Metadata,
// Origin). The oracle is written from docs/operations.md ("The admin API"), docs/policy.md (where a token is
// taken from) and docs/architecture.md (Ward's own paths), not from the code. Asserted: the status; a refused
// call changes no state (the policy pointer, shadow and history, grants, the denylist) and reaches no origin;
// a refusal's body and headers are the generic ones, whoever asked; no 5xx. WARD_ADMIN_SEED=<n> tries another
// seed (WARD_ADMIN_CASES=<n> more cases); the seed is printed on failure.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { ACTIVE_KEY } from "../../../policy/index.ts";
import { prng } from "../../support/prng.ts";
import { activate, originSaw } from "../support/harness.ts";
import { fetchRaw } from "../support/raw-request.ts";
import { policyText, type Case, genCase, type Fixtures, token, requestOf } from "./admin-cases.ts";
import { type Expected, expected } from "./admin-oracle.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_ADMIN_SEED ?? 20260520);
const CASES = Number(wardEnv.WARD_ADMIN_CASES ?? 260);
const BATCH = 10;

// ---------------------------------------------------------------------------------------------- running

const ADMIN = "https://ward.localhost/.ward/admin";

async function asAdmin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", await token("admin"));
  if (init.body) headers.set("content-type", "application/json");
  return fetchRaw(new Request(`${ADMIN}${path}`, { ...init, headers }));
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

/** Everything a refused call must not change. */
async function snapshot(): Promise<string> {
  const policy = await json<Record<string, unknown>>(await asAdmin("/policy"));
  const grants = await json<{ grants: unknown[] }>(await asAdmin("/grants?all=1"));
  const denylist = await json<{ entries: unknown[] }>(await asAdmin("/denylist?all=1"));
  const pointer = await env.POLICY.get(ACTIVE_KEY);
  return JSON.stringify({ pointer, policy, grants: grants.grants, denylist: denylist.entries });
}

/** Fixtures a refused call could change: a shadow, a grant, a revocation; the active version. */
async function fixtures(f?: Fixtures): Promise<Fixtures> {
  const state = await json<{ active: string; shadow: string | null; history: { version: string }[] }>(
    await asAdmin("/policy"),
  );
  let shadow = state.shadow;
  if (!shadow) {
    const set = await asAdmin("/policy/shadow", {
      method: "PUT",
      body: JSON.stringify({ text: policyText(`fixture shadow ${Date.now()}`), message: "fixture" }),
    });
    if (set.status !== 200) throw new Error(`fixture shadow: ${set.status} ${await set.text()}`);
    shadow = (await json<{ entry: { version?: string; shadow?: string } }>(set)).entry.shadow ?? null;
    const again = await json<{ shadow: string | null }>(await asAdmin("/policy"));
    shadow = again.shadow;
  }
  const grants = await json<{ grants: { id: string; service: string; revokedAt?: unknown; status?: string }[] }>(
    await asAdmin("/grants?service=wiki"),
  );
  let grant = f?.grant;
  if (!grant || !grants.grants.some((g) => g.id === grant)) {
    const made = await asAdmin("/breakglass", {
      method: "POST",
      body: JSON.stringify({
        principal: { email: "grantee@example.com" },
        service: "wiki",
        minutes: 20,
        justification: "fixture grant of the differential",
      }),
    });
    if (made.status !== 201) throw new Error(`fixture grant: ${made.status} ${await made.text()}`);
    grant = (await json<{ grant: { id: string } }>(made)).grant.id;
  }
  const listed = await json<{ entries: { id: string }[] }>(await asAdmin("/denylist"));
  let revocation = f?.revocation;
  if (!revocation || !listed.entries.some((e) => e.id === revocation)) {
    const made = await asAdmin("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: `fixture-${Date.now()}@example.org`, reason: "fixture" }),
    });
    if (made.status !== 201) throw new Error(`fixture revocation: ${made.status} ${await made.text()}`);
    revocation = (await json<{ entry: { id: string } }>(made)).entry.id;
  }
  const history = state.history.map((h) => h.version);
  return { active: state.active, previous: history[1] ?? null, shadow, grant, revocation };
}

interface Outcome {
  c: Case;
  e: Expected;
  status: number;
  body: string;
  headers: string[];
  marker: string;
  url: string;
}

async function send(c: Case, f: Fixtures, run: string): Promise<Outcome> {
  const marker = `${run}-${c.i}`;
  const request = await requestOf(c, f, marker);
  const res = await fetchRaw(request);
  const body = await res.text();
  return {
    c,
    e: expected(c, f),
    status: res.status,
    body,
    headers: [...res.headers.keys()].sort(),
    marker,
    url: request.url,
  };
}

const GENERIC_HEADERS = ["cache-control", "content-type", "ward-request-id"];
const TITLES: Record<number, string> = {
  400: "bad request",
  401: "authentication required",
  403: "forbidden",
  404: "not found",
};

function problemsOf(o: Outcome, seen: number): string[] {
  const p: string[] = [];
  const { e } = o;
  if (o.status >= 500) p.push(`5xx: ${o.status} ${o.body.slice(0, 200)}`);
  if (e.statuses.length > 0 && !e.statuses.includes(o.status))
    p.push(`status: ${o.status}, expected ${e.statuses.join("|")} (${e.why})`);
  if (seen > 0 && !e.mayForward) p.push(`origin: reached ${seen} times (${e.why})`);
  if (e.refused && e.statuses.includes(o.status) && [400, 401, 403, 404].includes(o.status)) {
    const want = o.status === 401 ? [...GENERIC_HEADERS, "www-authenticate"].sort() : GENERIC_HEADERS;
    if (JSON.stringify(o.headers) !== JSON.stringify(want)) p.push(`refusal headers: ${o.headers.join(",")}`);
    if (o.c.method !== "HEAD") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(o.body);
      } catch {
        parsed = o.body;
      }
      const keys = parsed && typeof parsed === "object" ? Object.keys(parsed).sort().join(",") : "";
      if (keys !== "error,requestId" || (parsed as { error: string }).error !== TITLES[o.status])
        p.push(`refusal body: ${o.body.slice(0, 160)}`);
    }
  }
  return p;
}

const brief = (c: Case) =>
  `#${c.i} ${c.method} ${c.host.host} ${c.endpoint.name}/${c.spelling} caller=${c.caller} browser=${c.browser} body=${c.body}`;

describe("the admin API and Ward's own paths, against the docs", () => {
  beforeAll(async () => {
    await activate(policyText("bootstrap"));
    // A revoked admin (by group ward-admins: every admin@... is one).
    const revoked = await asAdmin("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "admin@revoked.example", reason: "laptop stolen" }),
    });
    if (revoked.status !== 201) throw new Error(`revoked admin: ${revoked.status} ${await revoked.text()}`);
  });

  it(`answers as the docs say, changes nothing when it refuses, and reaches no origin (seed ${SEED})`, async () => {
    const spies = (["log", "error", "warn", "info"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(() => undefined),
    );
    const r = prng(SEED);
    const run = `adm${SEED}x${Date.now().toString(36)}`;
    const cases = Array.from({ length: CASES }, (_, i) => genCase(r, SEED, i));
    const problems: string[] = [];
    const notes = new Map<string, number>();
    const note = (k: string) => notes.set(k, (notes.get(k) ?? 0) + 1);
    try {
      let f = await fixtures();
      // Refused (and read-only) cases in batches between two snapshots; admitted writes one at a time.
      const writes = cases.filter((c) => expected(c, f).mayChange);
      const others = cases.filter((c) => !expected(c, f).mayChange);
      for (let at = 0; at < others.length; at += BATCH) {
        const batch = others.slice(at, at + BATCH);
        const before = await snapshot();
        const outcomes = await Promise.all(batch.map((c) => send(c, f, run)));
        const after = await snapshot();
        if (before !== after) {
          // Which one: replay each alone.
          problems.push(`state changed in batch ${batch.map((c) => `#${c.i}`).join(" ")}`);
        }
        for (const o of outcomes) {
          note(`${o.e.why} -> ${o.status}`);
          const seen = (await originSaw(o.marker)).filter((s) => s.url.includes(`${o.marker}`)).length;
          const p = problemsOf(o, seen);
          if (o.e.mayForward) note(`forwarded-or-not ${o.c.spelling} -> ${o.status}${seen ? " (origin)" : ""}`);
          if (o.c.body === "duplicate" && o.status < 300 && o.e.statuses.length)
            note(`duplicate member taken ${o.c.endpoint.name}`);
          if (p.length) problems.push(`${brief(o.c)}\n    ${o.url}\n    ${p.join("\n    ")}`);
        }
      }
      for (const c of writes) {
        const before = await snapshot();
        const o = await send(c, f, run);
        const after = await snapshot();
        const seen = (await originSaw(o.marker)).length;
        const p = problemsOf(o, seen);
        note(`${o.e.why} -> ${o.status}`);
        if (before !== after && o.status >= 300) p.push(`state changed on a ${o.status}`);
        if (c.body === "duplicate" && o.status < 300) note(`duplicate member taken ${c.endpoint.name}`);
        if (p.length) problems.push(`${brief(c)}\n    ${o.url}\n    ${p.join("\n    ")}`);
        if (o.status < 300) f = await fixtures(f);
      }
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const summary = [...notes].map(([k, n]) => `${n}\t${k}`).join("\n");
    if (wardEnv.WARD_ADMIN_STATS) console.log(summary);
    expect(
      problems,
      `seed ${SEED}: ${problems.length} disagreements\n${problems.slice(0, 25).join("\n")}\n${summary}`,
    ).toEqual([]);
  }, 300_000);
});
