// A generated, differential test of the denylist through the real gateway: entries added as operators add them
// (POST /.ward/admin/revocations, in any spelling the docs allow and some they do not), as security events add
// them (the Denylist object's applySignals, refusals and account-enabled lifts) and as Ward's quarantine adds them
// (the object's add), some lifted or released, some ending before the requests; then callers with any
// combination of a client certificate (made here: a SPIFFE ID in its SAN or from the registry, Cloudflare's
// issuer key identifier and serial in any spelling, CAs sent beside it, a chain Ward cannot read), a person's or a
// service token's Access token and a workload token (SPIRE, Kubernetes, GitHub Actions). Each answer is compared
// with the oracle written from the docs (test/unit/oracle/denylist.ts): whether the admin API takes each value;
// whether each caller is refused (403, the origin never called) or let through (200, the origin called), the
// decision line's principal, reason and entry. The pure matching is compared on tens of thousands of cases in
// test/unit/denylist-oracle.property.test.ts; this is the same through identify, the store and the copy.
//
// Deterministic by default (one seed); WARD_DENYLIST_SEED=<n> runs another, printed on a failure.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME, type DenyEntry } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { prng } from "../../support/prng.ts";
import {
  admitRevocation,
  countedCredentials,
  principalKey,
  principalParts,
  refusal,
  type OracleCaller,
  type OracleEntry,
} from "../../unit/oracle/denylist.ts";
import {
  ACCESS_SUBS,
  certificateMaterial,
  chance,
  EMAILS,
  hexSpelling,
  int,
  pick,
  randomCaller,
  randomQuarantine,
  randomRevocation,
  randomHex,
  serialSpelling,
  SPIFFE_IDS,
  TOKEN_ISSUER_NAMES,
  TRUST_DOMAIN_ID,
  type CertificateMaterial,
  type GenCertificate,
  type Random,
  type TokenIssuerName,
} from "../../unit/oracle/random-denylist.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, originSaw } from "../support/harness.ts";
import { makeCa, makeLeaf } from "../support/made-certificates.ts";
import { workloadToken } from "../support/workload-tokens.ts";

// The runner's WARD_* variables, through inject (docs/development.md).
const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_DENYLIST_SEED ?? 20261208);
const ROUNDS = Number(wardEnv.WARD_DENYLIST_ROUNDS ?? 20);
const CALLERS = 12;
const ENTRIES = 9;

const gatewayEnv = env as unknown as Env;
const store = () => gatewayEnv.DENYLIST.getByName(DENYLIST_NAME);
const signing = inject("accessPrivateJwk");
const HOST = "gen.localhost";
const CA_DN = "CN=Ward Generated CA,O=Ward Tests";
const REGISTERED = [TRUST_DOMAIN_ID, SPIFFE_IDS[1]];
const CONTEXT = { tokenIssuers: TOKEN_ISSUER_NAMES, registryIds: [TRUST_DOMAIN_ID, SPIFFE_IDS[1]] };
/** The fixture each issuer's tokens are made from (test/worker/support/workload-tokens.ts). */
const FIXTURE = { "demo-spire": "spire", "demo-cluster": "cluster", "github-actions": "github" } as const;

/** A certificate a caller presents: what the oracle reads, and what Cloudflare would put in tlsClientAuth. */
interface Presented extends GenCertificate {
  tlsClientAuth: Record<string, unknown>;
}

/**
 * The demo policy with Ward's own issuers (its admins, its token issuers), a CA pinned by name whose workloads are
 * the generated certificates (two by the registry, one of them a trust domain's own ID), and a service whose
 * routes let any identified caller through (`/app`) or anyone (`/pub`): what refuses a caller is the denylist.
 */
function policy(registry: { fingerprintSha256: string; id: string }[]): string {
  const doc = parse(demoPolicy);
  doc.identity.mtls = { issuers: [{ dn: CA_DN, trustDomains: ["demo.ward.internal"] }], spiffe: true, registry };
  doc.services.generated = {
    hosts: [HOST],
    origin: { tunnel: "WIKI" },
    owner: "security@example.com",
    routes: [
      {
        id: "app",
        methods: ["GET"],
        pathPrefix: "/app",
        rules: [{ id: "identified", effect: "allow", principals: [{ authenticated: true }] }],
      },
      {
        id: "pub",
        methods: ["GET"],
        pathPrefix: "/pub",
        rules: [{ id: "anyone", effect: "allow", principals: [{ public: true }] }],
      },
    ],
  };
  return stringify(doc);
}

/** Certificates of the pinned CA: made with SPIFFE IDs in their SAN, or named by the registry. */
async function certificates(
  r: Random,
  material: CertificateMaterial,
): Promise<{ presented: Presented[]; registry: { fingerprintSha256: string; id: string }[] }> {
  const shared = pick(r, material.serials);
  const cas = await Promise.all(material.caKeys.map((ski) => makeCa(ski)));
  const presented: Presented[] = [];
  const registry: { fingerprintSha256: string; id: string }[] = [];
  for (let i = 0; i < 7; i++) {
    const issuer = material.issuerSkis[i % material.issuerSkis.length]!;
    const serial = i < 2 ? shared : pick(r, material.serials);
    const registered = i >= 5 ? REGISTERED[i - 5]! : undefined;
    const spiffeId = registered ?? SPIFFE_IDS[i % SPIFFE_IDS.length]!;
    const leaf = registered ? undefined : await makeLeaf(spiffeId, randomHex(r, 8));
    const fingerprint = leaf?.sha256 ?? randomHex(r, 32);
    // The registry's fingerprint in upper case with colons (policy.md: colons allowed, any case).
    if (registered)
      registry.push({ fingerprintSha256: fingerprint.toUpperCase().match(/../g)!.join(":"), id: registered });
    // CAs sent beside it (read for their key identifiers), or a chain Ward cannot read (over Cloudflare's bound, or
    // not DER); and one without an issuer key identifier, one without a serial, as Cloudflare may report them.
    const sent = cas.filter(() => chance(r, 0.4));
    const unread = i === 3 ? "too-large" : i === 4 ? "not-der" : undefined;
    const issuerSki = i === 6 ? "" : hexSpelling(r, issuer);
    const reportedSerial = i === 5 ? "" : serialSpelling(r, serial);
    const reportedFingerprint = chance(r, 0.3) ? fingerprint.toUpperCase() : fingerprint;
    presented.push({
      spiffeId,
      fingerprint: reportedFingerprint,
      issuerSki,
      serial: reportedSerial,
      caKeys: [
        ...(issuerSki ? [issuerSki] : []),
        ...(unread ? [] : sent.map((ca) => material.caKeys[cas.indexOf(ca)]!)),
      ],
      chainUnread: unread !== undefined,
      tlsClientAuth: {
        certPresented: "1",
        certVerified: "SUCCESS",
        certRevoked: "0",
        certIssuerSKI: issuerSki,
        certIssuerDNRFC2253: CA_DN,
        certSerial: reportedSerial,
        certNotBefore: "Jan  1 00:00:00 2020 GMT",
        certNotAfter: "Jan  1 00:00:00 2120 GMT",
        certFingerprintSHA256: reportedFingerprint,
        certRFC9440: leaf?.rfc9440 ?? "",
        certRFC9440TooLarge: false,
        certChainRFC9440: unread === "not-der" ? ":AAEC:" : unread ? "" : sent.map((ca) => ca.rfc9440).join(", "),
        certChainRFC9440TooLarge: unread === "too-large",
      },
    });
  }
  return { presented, registry };
}

let adminToken: string | undefined;
async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  adminToken ??= await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-generated-admin" });
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", adminToken);
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`https://ward.localhost/.ward/admin${path}`, { ...init, headers });
}

/** The request a caller makes: its Access token, its workload token, its certificate. */
async function send(caller: OracleCaller, path: string): Promise<Response> {
  const headers = new Headers();
  if (caller.person)
    headers.set(
      "cf-access-jwt-assertion",
      await accessToken(signing, {
        email: caller.person.email,
        ...(caller.person.sub !== undefined ? { sub: caller.person.sub } : {}),
        identity_nonce: `n-gen-${caller.person.email}-${caller.person.sub ?? ""}`,
      }),
    );
  else if (caller.serviceToken)
    headers.set(
      "cf-access-jwt-assertion",
      await accessToken(signing, { common_name: caller.serviceToken, sub: "", email: undefined }),
    );
  const token = caller.workloadToken;
  if (token) {
    const issuer = token.issuer as TokenIssuerName;
    const claims: Record<string, unknown> = { sub: token.sub, aud: `https://${HOST}` };
    if (issuer === "demo-cluster") {
      const [, , namespace, name] = token.sub.split(":");
      claims["kubernetes.io"] = { namespace, serviceaccount: { name, uid: "a709ef71-30e2-489a-bd19-ade97031b9db" } };
    }
    headers.set("authorization", `Bearer ${await workloadToken({ issuer: FIXTURE[issuer], claims })}`);
  }
  const certificate = caller.certificate as Presented | undefined;
  return exports.default.fetch(`https://${HOST}${path}`, {
    headers,
    ...(certificate ? { cf: { tlsClientAuth: certificate.tlsClientAuth } } : {}),
  });
}

/** What the test did, for the oracle, with the store's id of each entry (for the decision line's `listedBy`). */
interface Tracked {
  oracle: OracleEntry;
  storeId: string;
}

interface Disagreement {
  round: number;
  what: string;
  [detail: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One round: entries added and lifted, the copy read afresh, every caller's request compared. */
/** What the generated requests came to: the comparison proves little unless both answers are common. */
interface Tally {
  refused: number;
  admitted: number;
  requests: number;
}

async function round(
  r: Random,
  index: number,
  certs: Presented[],
  disagreements: Disagreement[],
  tally: Tally,
): Promise<void> {
  const callers = Array.from({ length: CALLERS }, () => randomCaller(r, certs));
  const tracked: Tracked[] = [];
  /** Security events' open refusals: one per transmitter, person and event ("extends the one entry"). */
  const signals = new Map<string, Tracked>();
  let endsBy = 0;
  const short = () => {
    const until = Date.now() + 150 + int(r, 150);
    endsBy = Math.max(endsBy, until);
    return until;
  };
  for (let i = 0; i < ENTRIES; i++) {
    const source = r();
    if (source < 0.65) {
      const asked = randomRevocation(r, callers, material);
      const until = chance(r, 0.15) ? short() : chance(r, 0.2) ? Date.now() + 3_600_000 : null;
      const res = await admin("/revocations", {
        method: "POST",
        body: JSON.stringify({
          ...asked,
          reason: "generated",
          ...(until !== null ? { until: new Date(until).toISOString() } : {}),
        }),
      });
      const admitted = admitRevocation(asked.match, asked.value, CONTEXT);
      // A short entry's `until` passed before a loaded machine's call was answered: refused as in the past, as the
      // docs say (a seed sweep beside other tests saw it), which is no disagreement about the value.
      const late = res.status === 422 && until !== null && until <= Date.now();
      if (late && ((await res.json()) as { error: string }).error === "until is in the past") continue;
      if ((res.status === 201) !== (admitted !== undefined) || (res.status !== 201 && res.status !== 422)) {
        disagreements.push({ round: index, what: "admit", asked, status: res.status, oracle: admitted ?? "422" });
        if (res.status === 201)
          await store().release(((await res.json()) as { entry: DenyEntry }).entry.id, "t", Date.now());
        continue;
      }
      if (res.status !== 201) continue;
      const { entry } = (await res.json()) as { entry: DenyEntry };
      tracked.push({
        oracle: {
          id: entry.id,
          kind: "revocation",
          match: asked.match,
          value: admitted!,
          expiresAt: until,
          liftedAt: null,
        },
        storeId: entry.id,
      });
    } else if (source < 0.85) {
      // A security event: a refusal of a person by e-mail (in any case: "case ignored") or Access sub, or an
      // account-enabled lifting what account-disabled from the same transmitter put there.
      const transmitter = pick(r, ["okta", "google"]);
      const fact = chance(r, 0.6)
        ? { match: "email" as const, value: pick(r, EMAILS) }
        : { match: "sub" as const, value: pick(r, ACCESS_SUBS) };
      const person = `${fact.match} ${fact.match === "email" ? fact.value.toLowerCase() : fact.value}`;
      const issuedAt = Math.floor(Date.now() / 1000);
      const from = { transmitter, jti: `gen-${index}-${i}` };
      const event = pick(r, ["session-revoked", "account-disabled", "account-enabled"] as const);
      const key = `${transmitter} ${person} ${event}`;
      if (event === "account-enabled") {
        await store().applySignals(from, [{ op: "lift", fact, event: "account-disabled", issuedAt }], Date.now());
        const lifted = signals.get(`${transmitter} ${person} account-disabled`);
        if (lifted && lifted.oracle.liftedAt === null) lifted.oracle.liftedAt = Date.now();
        signals.delete(`${transmitter} ${person} account-disabled`);
        continue;
      }
      const until = chance(r, 0.2) ? short() : Date.now() + (event === "account-disabled" ? 30 : 1) * 86_400_000;
      await store().applySignals(
        from,
        [{ op: "refuse", fact, event, until, reason: `${event} (generated)`, issuedAt }],
        Date.now(),
      );
      const open = signals.get(key);
      if (open && (open.oracle.expiresAt ?? Infinity) > Date.now()) {
        open.oracle.expiresAt = Math.max(open.oracle.expiresAt ?? Infinity, until);
        continue;
      }
      const id = `${key} ${i}`;
      const listed = (await store().list(false, Date.now())).find(
        (e) => e.createdBy === `ssf:${transmitter}` && `${e.match} ${e.value}` === person && e.signal?.event === event,
      );
      const entry: Tracked = {
        oracle: { id, kind: "revocation", match: fact.match, value: fact.value, expiresAt: until, liftedAt: null },
        storeId: listed?.id ?? "(not stored)",
      };
      tracked.push(entry);
      signals.set(key, entry);
    } else {
      // Ward's quarantine: one credential of a caller (or, as an earlier release wrote them, all of them).
      const value = randomQuarantine(r, callers, (c) => principalParts(countedCredentials(c)));
      const until = chance(r, 0.2) ? short() : Date.now() + 3_600_000;
      const entry = await store().add(
        { kind: "quarantine", match: "principal", value, reason: "generated", expiresAt: until },
        "ward (quarantine)",
        Date.now(),
      );
      // "Quarantining an identity already quarantined extends nothing: the first entry stands until it ends."
      if (tracked.some((t) => t.storeId === entry.id)) continue;
      tracked.push({
        oracle: { id: entry.id, kind: "quarantine", match: "principal", value, expiresAt: until, liftedAt: null },
        storeId: entry.id,
      });
    }
  }
  // Some entries lifted (a revocation) or released (a quarantine), by the command for each kind.
  for (const entry of tracked) {
    if (entry.oracle.liftedAt !== null || !chance(r, 0.2) || entry.storeId === "(not stored)") continue;
    const res = await admin(`/denylist/${entry.storeId}?kind=${entry.oracle.kind}`, { method: "DELETE" });
    if (res.status !== 200) disagreements.push({ round: index, what: "lift", id: entry.storeId, status: res.status });
    entry.oracle.liftedAt = Date.now();
  }
  // The short entries have ended, well before the requests (their edges are the unit test's).
  await sleep(Math.max(0, endsBy + 20 - Date.now()));
  resetDenylistCache();

  const mark = `m-gen-${SEED}-${index}-${crypto.randomUUID()}`;
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  const asked = await Promise.all(
    callers.map(async (caller, i) => {
      const path = `/${chance(r, 0.7) ? "app" : "pub"}/${mark}-c${i}-end`;
      const at = Date.now();
      const res = await send(caller, path);
      await res.arrayBuffer();
      return { caller, path, at, status: res.status };
    }),
  ).finally(() => spy.mockRestore());
  const seen = await originSaw(mark);
  const decisions = lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      return parsed.event === "decision" ? [parsed] : [];
    } catch {
      return [];
    }
  });
  const oracleEntries = tracked.map((t) => t.oracle);
  for (const { caller, path, at, status } of asked) {
    const verdict = refusal(oracleEntries, caller, at);
    const principal = principalKey(countedCredentials(caller));
    const anonymous = principal === "anonymous";
    const want = verdict.refused ? 403 : anonymous && path.startsWith("/app") ? 401 : 200;
    tally.requests++;
    if (want === 403) tally.refused++;
    if (want === 200) tally.admitted++;
    const reached = seen.filter((s) => s.url.includes(`${path}`)).length;
    const line = decisions.find((d) => d.path === path);
    const problems: string[] = [];
    if (status !== want) problems.push(`status ${status}, want ${want}`);
    if (reached !== (want === 200 ? 1 : 0)) problems.push(`origin saw it ${reached} times`);
    if (line?.principal !== principal) problems.push(`principal ${String(line?.principal)}, want ${principal}`);
    if (verdict.refused) {
      const listedBy = (line?.listedBy as { entry?: string } | undefined)?.entry;
      const allowed = tracked.filter((t) => verdict.by.has(t.oracle.id)).map((t) => t.storeId);
      if (!listedBy || !allowed.includes(listedBy)) problems.push(`listed by ${listedBy}, want one of ${allowed}`);
      const reason = (line?.reasons as string[] | undefined)?.[0];
      if (!verdict.reasons.has(reason as "revoked")) problems.push(`reason ${reason}`);
    }
    if (problems.length > 0)
      disagreements.push({
        round: index,
        what: "request",
        problems,
        caller: JSON.stringify(caller),
        refusedBy: [...verdict.by],
        entries: oracleEntries.map(
          (e) =>
            `${e.id} ${e.kind} ${e.match} ${JSON.stringify(e.value)} ends ${e.expiresAt} lifted ${e.liftedAt} at ${at}`,
        ),
      });
  }
  // Every open entry of the round ends with it: the next round starts from an empty list.
  for (const entry of await store().list(false, Date.now())) await store().release(entry.id, "test", Date.now());
}

/** The certificates' key identifiers and serials, which the entries name too: where they collide. */
let material: CertificateMaterial;
let certs: Presented[];
beforeAll(async () => {
  const r = prng(SEED);
  material = certificateMaterial(r);
  const made = await certificates(r, material);
  certs = made.presented;
  await activate(policy(made.registry));
});

describe("the denylist through the gateway, against the docs' oracle", () => {
  it(`refuses exactly whom the docs say, and takes only the spellings they allow (seed ${SEED})`, {
    timeout: 60_000,
  }, async () => {
    const r = prng(SEED ^ 0x5eed);
    const disagreements: Disagreement[] = [];
    const tally: Tally = { refused: 0, admitted: 0, requests: 0 };
    for (let i = 0; i < ROUNDS && disagreements.length < 8; i++) await round(r, i, certs, disagreements, tally);
    expect(disagreements, `seed ${SEED} (replay: WARD_DENYLIST_SEED=${SEED})`).toEqual([]);
    expect(tally.requests).toBe(ROUNDS * CALLERS);
    expect(tally.refused).toBeGreaterThan(tally.requests / 5);
    expect(tally.admitted).toBeGreaterThan(tally.requests / 5);
  });
});
