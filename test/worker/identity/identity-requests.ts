// Turns a generated case (identity-cases.ts) into the request a client would send: real RS256 Access tokens signed
// with the stand-in team's key (or a forger's with the same kid), real workload tokens signed with the stand-in
// issuers' keys, and request.cf.tlsClientAuth as Cloudflare fills it for the fixture certificates.
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { inject } from "vitest";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { FIXTURES, issuerKey, signParts } from "../support/workload-tokens.ts";
import {
  AUD,
  OTHER_APP,
  UNLISTED_APP,
  type AccessSpec,
  type Case,
  type CertFixture,
  type GenPolicy,
} from "./identity-cases.ts";
import { accessClaims, workloadClaims } from "./identity-oracle.ts";

const PEMS: Record<CertFixture, string> = {
  checkout: CERTS.checkout,
  partnerBilling: CERTS.partnerBilling,
  partnerMintedCheckout: CERTS.partnerMintedCheckout,
  legacy: CERTS.legacy,
  twoSpiffe: CERTS.twoSpiffe,
  severalUriSans: CERTS.severalUriSans,
};

/** Each fixture's SHA-256 (lower-case hex), for the policy's registry. */
export async function fingerprints(): Promise<Record<CertFixture, string>> {
  const out = {} as Record<CertFixture, string>;
  for (const [name, pem] of Object.entries(PEMS) as [CertFixture, string][])
    out[name] = String((await tlsClientAuth(pem)).certFingerprintSHA256);
  return out;
}

let forger: Promise<JWK> | undefined;
/** An RSA key of a forger's, with the team key's kid. */
function forgerKey(): Promise<JWK> {
  forger ??= generateKeyPair("RS256", { extractable: true }).then(async ({ privateKey }) => ({
    ...(await exportJWK(privateKey)),
    kid: inject("accessPrivateJwk").kid,
    alg: "RS256",
  }));
  return forger;
}

async function accessTokenOf(spec: AccessSpec, now: number): Promise<string> {
  const audience = spec.state === "other-app" ? OTHER_APP : spec.state === "unlisted-audience" ? UNLISTED_APP : AUD;
  const claims: Record<string, unknown> = accessClaims(spec, audience);
  const seconds = Math.floor(now / 1000);
  if (spec.state === "expired") Object.assign(claims, { iat: seconds - 7200, nbf: seconds - 7200, exp: seconds - 120 });
  if (spec.state === "not-app") claims.type = "org";
  const key = spec.state === "forged" ? await forgerKey() : inject("accessPrivateJwk");
  return accessToken(key, claims, { now });
}

/** The Authorization value of the case's workload token (the scheme and the token), or undefined. */
async function workloadTokenOf(c: Case, p: GenPolicy, now: number): Promise<string | undefined> {
  const w = c.workload;
  if (!w) return undefined;
  const own = w.issuer === "unknown" ? "github" : w.issuer;
  const seconds = Math.floor(now / 1000);
  const life = w.issuer === "spire" ? 300 : 600;
  const times =
    w.state === "expired"
      ? { iat: seconds - 400, nbf: seconds - 400, exp: seconds - 100 }
      : w.state === "lifetime-too-long"
        ? { iat: seconds, nbf: seconds, exp: seconds + 3000 }
        : { iat: seconds, nbf: seconds, exp: seconds + life };
  const payload = { ...workloadClaims(c, p), ...times };
  const header = { ...FIXTURES[own].header };
  // A forger signs with a key that is not the issuer's, under the issuer's kid.
  const key = issuerKey(w.state === "forged" ? (own === "spire" ? "github" : "spire") : own);
  return `${w.scheme}${await signParts(key, JSON.stringify(header), JSON.stringify(payload))}`;
}

export interface Built {
  url: string;
  init: RequestInit & { cf?: Record<string, unknown> };
}

/** The host of a case, as it is spelt in the request. */
export function hostOf(c: Case, p: GenPolicy): string {
  const host = c.service < 0 ? "nowhere.idgen.test" : p.services[c.service]!.host;
  return c.hostSpelling === "trailing-dot" ? `${host}.` : c.hostSpelling === "port" ? `${host}:8443` : host;
}

/** The request of a case at `path` (the case's own by default); `query` marks it for the recording origin. */
export async function buildRequest(c: Case, p: GenPolicy, query: string, now: number, path = c.path): Promise<Built> {
  const url = `https://${hostOf(c, p)}${path}?${query}`;
  const headers = new Headers();
  if (c.browser.site) headers.set("sec-fetch-site", c.browser.site);
  const origin = c.browser.origin;
  if (origin)
    headers.set(
      "origin",
      origin === "own" ? new URL(url).origin : origin === "null" ? "null" : "https://elsewhere.example",
    );
  const sent = c.access;
  if (sent) {
    const token = await accessTokenOf(sent.token, now);
    const other = () => accessTokenOf(sent.other, now);
    switch (sent.delivery) {
      case "header":
        headers.set("cf-access-jwt-assertion", token);
        break;
      case "cookie":
        headers.set("cookie", `theme=dark; CF_Authorization=${token}`);
        break;
      case "two-cookie-fields":
        headers.append("cookie", `CF_Authorization=${token}`);
        headers.append("cookie", `CF_Authorization=${await other()}`);
        break;
      case "bad-header-and-cookie":
        headers.set("cf-access-jwt-assertion", "not-a-token");
        headers.set("cookie", `CF_Authorization=${token}`);
        break;
      case "header-and-same-cookie":
        headers.set("cf-access-jwt-assertion", token);
        headers.set("cookie", `CF_Authorization=${token}`);
        break;
      case "header-and-other-cookie":
        headers.set("cf-access-jwt-assertion", token);
        headers.set("cookie", `CF_Authorization=${await other()}`);
        break;
      case "two-cookies":
        headers.set("cookie", `CF_Authorization=${token}; CF_Authorization=${await other()}`);
        break;
      case "two-cookies-and-header":
        headers.set("cf-access-jwt-assertion", token);
        headers.set("cookie", `CF_Authorization=${token}; CF_Authorization=${await other()}`);
        break;
      case "header-twice":
        headers.append("cf-access-jwt-assertion", token);
        headers.append("cf-access-jwt-assertion", await other());
        break;
    }
  }
  const authorization = await workloadTokenOf(c, p, now);
  if (authorization !== undefined) {
    headers.append("authorization", authorization);
    if (c.workload!.state === "twice") headers.append("authorization", authorization);
  }
  const init: Built["init"] = { method: c.method, headers, redirect: "manual" };
  if (c.method === "POST" || c.method === "PUT") init.body = "{}";
  if (c.cert) {
    const overrides: Record<string, unknown> = {
      ok: {},
      unverified: { certVerified: "FAILED:self signed certificate" },
      revoked: { certRevoked: "1" },
      unpinned: { certIssuerSKI: "00".repeat(20), certIssuerDNRFC2253: "CN=Elsewhere CA,O=Elsewhere" },
      expired: { certNotBefore: "Jan 10 00:00:00 2020 GMT", certNotAfter: "Jan 10 00:00:00 2021 GMT" },
      "not-presented": { certPresented: "0" },
    }[c.cert.state]!;
    init.cf = { tlsClientAuth: await tlsClientAuth(PEMS[c.cert.fixture], overrides as Record<string, unknown>) };
  }
  return { url, init };
}
