// The denylist's matching (policy/denylist.ts: indexDenylist, deniedBy) against an oracle written from the docs
// (oracle/denylist.ts), on generated entries and callers whose values collide (oracle/random-denylist.ts). The
// entries are given to the index as the store holds them: what the admin API, a security event or a quarantine
// stored, in force when the isolate's copy was read (a lifted one is not sent, one that expired since is still
// held, its end compared at the request). The callers' facts are given as the gateway passes them: Cloudflare's
// certIssuerSKI and certSerial as reported, the fingerprint and CA keys as worker/identity/mtls.ts normalises them,
// a certificate and a workload token naming two workloads neither counted (worker/identity/identify.ts).
// The admin API's spellings and the gateway's own reading of certificates are compared in workerd
// (test/worker/denylist/generated.test.ts).
//
// Deterministic by default; WARD_DENYLIST_ORACLE_SEED=<n> tries another seed (printed on a failure), and
// WARD_DENYLIST_ORACLE_WORLDS=<n> more (or fewer) worlds of entries and callers than 3,000.
import { describe, expect, it } from "vitest";
import { deniedBy, indexDenylist, type DenyEntry } from "../../policy/denylist.ts";
import { principalKey as codePrincipalKey, type Identity } from "../../policy/identity.ts";
import type { TokenKind } from "../../policy/token-issuers.ts";
import { prng } from "../support/prng.ts";
import {
  admitRevocation,
  countedCredentials,
  principalParts,
  refusal,
  type OracleCaller,
  type OracleEntry,
} from "./oracle/denylist.ts";
import {
  certificateMaterial,
  chance,
  EMAILS,
  ACCESS_SUBS,
  hexSpelling,
  int,
  pick,
  randomCaller,
  randomExpiry,
  randomQuarantine,
  randomRevocation,
  serialSpelling,
  SPIFFE_IDS,
  TOKEN_ISSUER_NAMES,
  TOKEN_ISSUERS,
  TRUST_DOMAIN_ID,
  type CertificateMaterial,
  type GenCertificate,
  type Random,
} from "./oracle/random-denylist.ts";

const SEED = Number(process.env.WARD_DENYLIST_ORACLE_SEED ?? 20261208);
const WORLDS = Number(process.env.WARD_DENYLIST_ORACLE_WORLDS ?? 3000);
const CALLERS = 10;
const NOW = Date.UTC(2026, 11, 8, 12, 0, 0);
const CONTEXT = { tokenIssuers: TOKEN_ISSUER_NAMES, registryIds: [TRUST_DOMAIN_ID] };

/** Certificates a pinned issuer issued: two share a serial under different issuers; a few lack an SKI or serial. */
function certificates(r: Random, material: CertificateMaterial): GenCertificate[] {
  const shared = pick(r, material.serials);
  return material.fingerprints.map((fingerprint, i) => {
    const issuer = material.issuerSkis[i % material.issuerSkis.length]!;
    const serial = i < 2 ? shared : pick(r, material.serials);
    const sent = material.caKeys.filter(() => chance(r, 0.3));
    return {
      spiffeId: pick(r, [...SPIFFE_IDS, TRUST_DOMAIN_ID]),
      fingerprint: chance(r, 0.2) ? fingerprint.toUpperCase() : fingerprint,
      issuerSki: chance(r, 0.08) ? "" : hexSpelling(r, issuer),
      serial: chance(r, 0.08) ? "" : serialSpelling(r, serial),
      caKeys: [issuer, ...sent],
      chainUnread: chance(r, 0.08),
    };
  });
}

/** The caller as the gateway hands it to deniedBy: its Identity, the certificate's facts, its principal key. */
function asGateway(caller: OracleCaller) {
  const counted = countedCredentials(caller);
  const identity: Identity = {};
  const cert = counted.certificate;
  if (cert) identity.workload = { id: cert.spiffeId };
  if (counted.person) identity.user = { ...counted.person };
  if (counted.serviceToken !== undefined) identity.serviceToken = { clientId: counted.serviceToken };
  const token = counted.workloadToken;
  if (token) {
    const kind = TOKEN_ISSUERS[token.issuer as keyof typeof TOKEN_ISSUERS].kind as TokenKind;
    identity.workloadToken = {
      issuer: token.issuer,
      kind,
      subject: token.sub,
      ...(token.spiffeId !== undefined ? { spiffeId: token.spiffeId } : {}),
      claims: {},
    };
  }
  const hex = (text: string) => text.replace(/:/g, "").toLowerCase();
  const certificate = cert && {
    sha256: hex(cert.fingerprint),
    issuerSki: cert.issuerSki,
    serial: cert.serial,
    caKeys: [...new Set(cert.caKeys.map(hex))],
    ...(cert.chainUnread ? { chainUnread: true as const } : {}),
  };
  return { identity, certificate, principal: codePrincipalKey(identity) };
}

interface Generated {
  oracle: OracleEntry;
  stored: DenyEntry;
}

/** Entries of every source: operators' revocations (as the admin API admits them), security events', quarantines. */
function entries(
  r: Random,
  callers: OracleCaller[],
  material: CertificateMaterial,
  readAt: number,
  now: number,
): Generated[] {
  const out: Generated[] = [];
  const count = 1 + int(r, 16);
  for (let i = 0; out.length < count && i < count * 3; i++) {
    const id = `e${i}`;
    const source = r();
    let kind: DenyEntry["kind"] = "revocation";
    let match: DenyEntry["match"];
    let value: string | undefined;
    let signal: DenyEntry["signal"] | undefined;
    if (source < 0.7) {
      const asked = randomRevocation(r, callers, material);
      match = asked.match;
      value = admitRevocation(asked.match, asked.value, CONTEXT);
    } else if (source < 0.8) {
      // A security event's refusal: the person by e-mail (lower case, as the receiver reads one) or Access sub.
      match = chance(r, 0.6) ? "email" : "sub";
      value = match === "email" ? pick(r, EMAILS).toLowerCase() : pick(r, ACCESS_SUBS);
      signal = { transmitter: "okta", event: "session-revoked", jti: `jti-${i}` };
    } else {
      kind = "quarantine";
      match = "principal";
      value = randomQuarantine(r, callers, (c) => principalParts(countedCredentials(c)));
    }
    if (value === undefined) continue; // refused by the admin API: nothing stored
    const expiresAt = randomExpiry(r, chance(r, 0.5) ? now : readAt);
    const lifted = chance(r, 0.12);
    const liftedAt = lifted ? readAt - 1 - int(r, 1000) : null;
    out.push({
      oracle: { id, kind, match, value, expiresAt, liftedAt },
      stored: {
        id,
        kind,
        match,
        value,
        reason: "generated",
        createdAt: readAt - 5000,
        createdBy: signal ? "ssf:okta" : "test",
        expiresAt,
        releasedAt: liftedAt,
        releasedBy: lifted ? "test" : null,
        ...(signal ? { signal } : {}),
      },
    });
  }
  return out;
}

/** What the store sends a copy read at `readAt`: the entries neither lifted nor ended then, oldest first. */
const copyAt = (generated: Generated[], readAt: number) =>
  indexDenylist(
    generated
      .map((g) => g.stored)
      .filter((e) => e.releasedAt === null && (e.expiresAt === null || e.expiresAt > readAt)),
  );

describe("the denylist against the docs' oracle", () => {
  it(`refuses exactly the callers the docs say, by an entry they say may (seed ${SEED})`, { timeout: 600_000 }, () => {
    const r = prng(SEED);
    const disagreements: unknown[] = [];
    let refused = 0;
    let checked = 0;
    for (let world = 0; world < WORLDS && disagreements.length < 5; world++) {
      // Entries and certificates of one world share key identifiers and serials: where they collide.
      const material = certificateMaterial(r);
      const certs = certificates(r, material);
      const callers = Array.from({ length: CALLERS }, () => randomCaller(r, certs));
      const now = NOW + int(r, 1000);
      const readAt = now - pick(r, [0, 1, 500, 2000]);
      const generated = entries(r, callers, material, readAt, now);
      const index = copyAt(generated, readAt);
      const oracleEntries = generated.map((g) => g.oracle);
      for (const caller of callers) {
        const { identity, certificate, principal } = asGateway(caller);
        const want = refusal(oracleEntries, caller, now);
        const got = deniedBy(index, identity, certificate, principal, now);
        checked++;
        if (want.refused) refused++;
        const reason = got && (got.kind === "quarantine" ? "quarantined" : "revoked");
        const agrees = got ? want.by.has(got.id) && want.reasons.has(reason!) : !want.refused;
        if (!agrees)
          disagreements.push({
            world,
            caller,
            principal,
            got: got?.id ?? null,
            want: [...want.by],
            entries: oracleEntries,
            now,
            readAt,
          });
      }
    }
    expect(disagreements, `seed ${SEED} (replay: WARD_DENYLIST_ORACLE_SEED=${SEED})`).toEqual([]);
    // The generated cases must exercise both answers, or the comparison proves little.
    expect(refused).toBeGreaterThan(checked / 5);
    expect(checked - refused).toBeGreaterThan(checked / 5);
  });

  it("generates refusals by every kind of fact", () => {
    // Or the comparison above proves nothing of a kind the generator never reaches.
    const r = prng(SEED);
    const kinds = new Set<string>();
    for (let world = 0; world < 300; world++) {
      const material = certificateMaterial(r);
      const certs = certificates(r, material);
      const callers = Array.from({ length: CALLERS }, () => randomCaller(r, certs));
      const generated = entries(r, callers, material, NOW, NOW);
      const oracleEntries = generated.map((g) => g.oracle);
      for (const caller of callers)
        for (const id of refusal(oracleEntries, caller, NOW).by)
          kinds.add(oracleEntries.find((e) => e.id === id)!.match);
    }
    expect([...kinds].sort()).toEqual(
      ["ca", "email", "fingerprint", "principal", "serial", "spiffe", "sub", "subject", "token"].sort(),
    );
  });
});
