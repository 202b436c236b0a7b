// A generated differential test of the workload identity Ward takes from a client certificate. Real
// certificates (DER written byte by byte in cert-der.ts, signed with WebCrypto by CAs made here), hostile
// in the ways the X509-SVID standard and RFC 5280 care about, with the facts Cloudflare's edge would give (or
// facts that disagree with the DER); each goes through the real gateway. The oracle (cert-cases.ts) is
// written from the standards and docs/policy.md. Compared: status, whether the origin was reached, the decision
// log's principal, the assertion's sub and workload claims, /.ward/me for a third; never a 500.
// WARD_CERTS_SEED=<n> replays (printed on failure), WARD_CERTS_CASES sets the number.
import { exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { prng } from "../../support/prng.ts";
import { activate, originSaw } from "../support/harness.ts";
import { captured } from "../support/captured-log.ts";
import * as d from "./cert-der.ts";
import {
  buildCert,
  type Built,
  type Cas,
  DENIED,
  expectFor,
  generateCert,
  TD_A,
  TD_B,
  TD_R,
  TD_S,
  TD_X,
} from "./cert-cases.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const SEED = Number(wardEnv.WARD_CERTS_SEED ?? 5280);
const CASES = Number(wardEnv.WARD_CERTS_CASES ?? 240);
const HOST = "certs.rev.test";
const BATCH = 12;

async function untilActive(version: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const { lines } = await captured(async () => {
      const res = await exports.default.fetch(`https://${HOST}/__probe`);
      await res.arrayBuffer();
    });
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`policy ${version} never became active`);
}

function policyYaml(cas: Cas, registry: { fingerprintSha256: string; id: string }[]): string {
  return stringify({
    version: 1,
    metadata: { environment: "dev", trustDomains: [TD_A, TD_B, TD_S, TD_R, TD_X], owners: ["rev@example.com"] },
    identity: {
      mtls: {
        issuers: [
          { certificate: cas.A.pem, trustDomains: [TD_A] },
          { certificate: cas.B.pem, trustDomains: [TD_B] },
          { ski: cas.S.skiHex.match(/../g)!.join(":").toUpperCase(), trustDomains: [TD_S] },
        ],
        spiffe: true,
        ...(registry.length > 0 ? { registry } : {}),
      },
    },
    services: {
      certs: {
        hosts: [HOST],
        origin: { tunnel: "PAYMENTS_API" },
        owner: "rev@example.com",
        routes: [
          {
            id: "gen",
            methods: ["GET"],
            path: "/gen",
            rules: [
              { id: "deny-one", effect: "deny", principals: [{ spiffe: DENIED }] },
              {
                id: "workloads",
                effect: "allow",
                principals: [TD_A, TD_B, TD_S, TD_R, TD_X].map((trustDomain) => ({ trustDomain })),
              },
            ],
          },
        ],
      },
    },
  });
}

const brief = (b: Built) =>
  JSON.stringify({ ...b.cert, cf: { ...b.cf, certRFC9440: undefined } }, (_, v: unknown) =>
    typeof v === "string" && v.length > 90 ? `${v.slice(0, 90)}…(${v.length})` : v,
  );

describe("client certificates, generated, against the standards and the docs", () => {
  it(`${CASES} generated certificates through the gateway`, { timeout: 120_000 }, async () => {
    const r = prng(SEED);
    const cas: Cas = {
      A: await d.makeCa("Rev CA A"),
      B: await d.makeCa("Rev CA"),
      S: await d.makeCa("Rev CA S"),
      U: await d.makeCa("Rev CA U"),
      F: await d.makeCa("Rev CA A"), // A's look-alike: same name, its own key
    };
    const leafKey = await d.newKey();
    const nowSecond = Math.floor(Date.now() / 1000);
    const oracleNow = nowSecond * 1000 + 1;
    const gens = Array.from({ length: CASES }, (_, n) => generateCert(r, n));
    const built = await Promise.all(gens.map((g) => buildCert(g, cas, leafKey, nowSecond)));
    const registry = built
      .filter((b) => b.cert.registered)
      .map((b) => ({
        fingerprintSha256:
          b.cert.registrySpelling === "lower" ? b.sha256 : b.sha256.toUpperCase().match(/../g)!.join(":"),
        id: `spiffe://${TD_R}/reg/${b.cert.n}`,
      }));
    const registryIds = new Map(
      built.filter((b) => b.cert.registered).map((b) => [b.sha256, `spiffe://${TD_R}/reg/${b.cert.n}`]),
    );
    const version = await activate(policyYaml(cas, registry));
    await untilActive(version);
    const run = `m-${crypto.randomUUID()}`;

    const { result: answers, lines } = await captured(async () => {
      const out: { status: number; requestId: string; me?: { status: number; body: string } }[] = [];
      for (let at = 0; at < built.length; at += BATCH)
        out.push(
          ...(await Promise.all(
            built.slice(at, at + BATCH).map(async (b, k) => {
              const i = at + k;
              const res = await exports.default.fetch(`https://${HOST}/gen?${run}-${i}x`, {
                cf: { tlsClientAuth: b.cf },
              } as RequestInit);
              await res.arrayBuffer();
              let me: { status: number; body: string } | undefined;
              if (i % 3 === 0) {
                const m = await exports.default.fetch(`https://${HOST}/.ward/me`, {
                  headers: { accept: "application/json" },
                  cf: { tlsClientAuth: b.cf },
                } as RequestInit);
                me = { status: m.status, body: await m.text() };
              }
              return { status: res.status, requestId: res.headers.get("ward-request-id") ?? "", ...(me ? { me } : {}) };
            }),
          )),
        );
      return out;
    });
    const decisions = new Map<string, Record<string, unknown>>();
    const problemsLogged = new Map<string, string>();
    for (const line of lines) {
      if (line.event === "decision") decisions.set(String(line.requestId), line);
      if (line.event === "client-certificate-rejected")
        problemsLogged.set(String(line.requestId), String(line.problem));
    }
    const seen = await originSaw(run);
    const disagreements: string[] = [];
    const tally = new Map<string, number>();
    for (const [i, b] of built.entries()) {
      const e = expectFor(b, cas, oracleNow, registryIds);
      tally.set(
        e.id ? "identified" : e.why.split(" (")[0]!,
        (tally.get(e.id ? "identified" : e.why.split(" (")[0]!) ?? 0) + 1,
      );
      const got = answers[i]!;
      const decision = decisions.get(got.requestId);
      const atOrigin = seen.filter((s) => s.url.endsWith(`${run}-${i}x`));
      const problems: string[] = [];
      const principal = e.id ? `workload:${e.id}` : "anonymous";
      const allowed = e.id !== undefined && e.id !== DENIED;
      if (got.status >= 500) problems.push(`status ${got.status}`);
      if (allowed !== (got.status === 200))
        problems.push(`status ${got.status}, expected ${allowed ? 200 : "a refusal"}`);
      if (atOrigin.length !== (allowed ? 1 : 0)) problems.push(`origin reached ${atOrigin.length} times`);
      if (decision?.principal !== principal)
        problems.push(`principal ${String(decision?.principal)}, expected ${principal}`);
      const seenAt = atOrigin[0] as unknown as { headers: Record<string, unknown> } | undefined;
      if (seenAt && allowed) {
        const claims = decodeJwt(String(seenAt.headers["ward-assertion"]));
        if (claims.sub !== principal) problems.push(`assertion sub ${String(claims.sub)}`);
        if (claims.workload !== e.id) problems.push(`assertion workload ${String(claims.workload)}`);
        const cnf = (claims.cnf as Record<string, string> | undefined)?.["x5t#S256"];
        const want = btoa(String.fromCharCode(...d.hexBytes(b.sha256)))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
        if (cnf !== want) problems.push(`assertion cnf ${cnf}, expected ${want}`);
      }
      if (got.me) {
        if (got.me.status >= 500) problems.push(`/.ward/me ${got.me.status}`);
        else if (e.id) {
          const body =
            got.me.status === 200 ? (JSON.parse(got.me.body) as { principal?: string; workload?: { id: string } }) : {};
          if (body.principal !== principal || body.workload?.id !== e.id)
            problems.push(`/.ward/me ${got.me.status} ${got.me.body.slice(0, 160)}`);
        } else if (got.me.status !== 401) problems.push(`/.ward/me ${got.me.status}, expected 401`);
      }
      if (problems.length > 0)
        disagreements.push(
          `case ${i} (${e.why}; Ward logged ${problemsLogged.get(got.requestId) ?? "nothing"}): ${problems.join("; ")}\n    ${brief(b)}`,
        );
    }
    if (wardEnv.WARD_CERTS_STATS) console.info(`seed ${SEED}: ${JSON.stringify(Object.fromEntries(tally))}`);
    expect(
      disagreements.slice(0, Number(wardEnv.WARD_CERTS_SHOW ?? 6)).join("\n"),
      `${disagreements.length} of ${CASES} disagree (replay: WARD_CERTS_SEED=${SEED})`,
    ).toBe("");
  });
});
