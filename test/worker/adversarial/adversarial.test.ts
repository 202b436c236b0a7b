// The adversarial corpus: hostile requests as data (test/worker/adversarial/*.yaml), run against the gateway
// in workerd with the demo policy. Each case asserts the status, and either that the origin never saw the
// request or exactly what it saw (the canonical path, and none of the spoofed headers).
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import jwt from "./jwt.yaml?raw";
import paths from "./paths.yaml?raw";
import headers from "./headers.yaml?raw";
import mtls from "./mtls.yaml?raw";
import methodsHosts from "./methods-hosts.yaml?raw";
import upgrades from "./upgrades.yaml?raw";
import workloadTokens from "./workload-tokens.yaml?raw";
import ssf from "./ssf.yaml?raw";
import { forgeToken, type TokenSpec } from "./forge.ts";
import { forgeWorkloadToken, type WorkloadTokenCase } from "./forge-workload.ts";
import { ADVERSARIAL_CERTS } from "./certs.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";

interface Case {
  name: string;
  tags: string[];
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** The Access token in the header, built from its description. */
  token?: TokenSpec;
  /** Where `token` goes: the Cf-Access-Jwt-Assertion header (default), `Authorization: Bearer`, or the query. */
  tokenIn?: "header" | "authorization" | "query";
  /** A workload token, sent as `Authorization: Bearer <token>` (or with `bearerAs`: that header value, `$TOKEN` the token). */
  workloadToken?: WorkloadTokenCase;
  bearerAs?: string;
  /** The Access token in the CF_Authorization cookie (several: several CF_Authorization cookies, in order). */
  cookie?: TokenSpec | TokenSpec[];
  /** Client certificate facts: the checkout fixture (or `certName`) with overrides. */
  cert?: Record<string, unknown>;
  /** Which certificate `cert` describes: a fixture of client-certs.ts (checkout, legacy, partnerBilling, ...) or one of adversarial/certs.ts. */
  certName?: string;
  /** request.cf exactly as given (instead of a certificate). */
  cf?: Record<string, unknown>;
  /** Send the same request this many times (floods); the expectation holds for every one. */
  repeat?: number;
  /** The URL exactly as written, as bare workerd (or an edge without URL normalisation) hands it over. */
  raw?: boolean;
  /** Content on the request, on any method (a GET or HEAD included, as workerd represents one). */
  body?: string;
  expect: {
    status: number;
    forwarded?: {
      path: string;
      absent?: string[];
      present?: string[];
      equal?: Record<string, string>;
      notEqual?: Record<string, string>;
    };
  };
}

const FILES = {
  jwt,
  paths,
  headers,
  mtls,
  "methods-hosts": methodsHosts,
  upgrades,
  "workload-tokens": workloadTokens,
  ssf,
};
const cases = Object.entries(FILES).flatMap(([file, text]) => (parse(text) as Case[]).map((c) => ({ ...c, file })));

const signing = inject("accessPrivateJwk");
const jwks = inject("accessJwks") as { keys: never[] };

/** The marker goes into the query, before any fragment, so the origin log can be filtered by it. */
function withMarker(url: string, m: string): string {
  const hash = url.indexOf("#");
  const [base, fragment] = hash === -1 ? [url, ""] : [url.slice(0, hash), url.slice(hash)];
  return `${base}${base.includes("?") ? "&" : "?"}${m}${fragment}`;
}

async function send(c: Case, m: string): Promise<Response> {
  const h = new Headers();
  let url = c.url;
  for (const [name, value] of Object.entries(c.headers ?? {})) h.append(name, value);
  if (c.token) {
    const token = await forgeToken(c.token, signing, jwks);
    if (c.tokenIn === "authorization") h.append("authorization", `Bearer ${token}`);
    else if (c.tokenIn === "query") url = `${url}${url.includes("?") ? "&" : "?"}CF_Authorization=${token}`;
    else h.append("cf-access-jwt-assertion", token);
  }
  if (c.workloadToken) {
    const token = await forgeWorkloadToken(c.workloadToken);
    h.append("authorization", (c.bearerAs ?? "Bearer $TOKEN").replaceAll("$TOKEN", token));
  }
  if (c.cookie) {
    const specs = Array.isArray(c.cookie) ? c.cookie : [c.cookie];
    const parts = await Promise.all(
      specs.map(async (spec) => `CF_Authorization=${await forgeToken(spec, signing, jwks)}`),
    );
    h.append("cookie", parts.join("; "));
  }
  let cf = c.cf;
  if (c.cert) {
    const { $upperFingerprint, $derOf, ...overrides } = c.cert;
    const certs: Record<string, string> = { ...CERTS, ...ADVERSARIAL_CERTS };
    const pem = certs[c.certName ?? "checkout"];
    if (pem === undefined) throw new Error(`unknown certificate ${c.certName}`);
    const auth = await tlsClientAuth(pem, overrides);
    if (typeof $derOf === "string") {
      // Inconsistent facts: another certificate's DER under this one's fingerprint.
      const other = certs[$derOf];
      if (other === undefined) throw new Error(`unknown certificate ${$derOf}`);
      auth.certRFC9440 = (await tlsClientAuth(other)).certRFC9440;
    }
    if ($upperFingerprint) auth.certFingerprintSHA256 = String(auth.certFingerprintSHA256).toUpperCase();
    cf = { tlsClientAuth: auth };
  }
  if (c.raw || c.body !== undefined) {
    return fetchRaw(
      rawRequest(withMarker(url, m), {
        method: c.method ?? "GET",
        headers: h,
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(cf ? { cf } : {}),
      }),
    );
  }
  return exports.default.fetch(withMarker(url, m), {
    method: c.method ?? "GET",
    headers: h,
    redirect: "manual",
    ...(cf ? { cf } : {}),
  });
}

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("adversarial corpus", () => {
  it.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))("%s", async (_name, c) => {
    for (let i = 0; i < (c.repeat ?? 1); i++) {
      const m = marker();
      const res = await send(c, m);
      const body = await res.text();
      expect(res.status, body).toBe(c.expect.status);
      const seen = await originSaw(m);
      if (!c.expect.forwarded) {
        expect(seen).toEqual([]);
        if (res.status >= 400)
          expect(body).not.toMatch(/no-matching-rule|denied-by-rule|unauthenticated|ERR_J|signature/);
      } else {
        expect(seen).toHaveLength(1);
        // Exactly the canonical request: the method as decided, the resolved path, the query with the marker.
        expect(seen[0]!.method).toBe((c.method ?? "GET").toUpperCase());
        expect(seen[0]!.url.split("?")[0]).toBe(c.expect.forwarded.path);
        expect(seen[0]!.url).toContain(m);
        // No credential of the caller ever reaches an origin, whatever the case says.
        expect(seen[0]!.headers["cf-access-jwt-assertion"]).toBeUndefined();
        expect(String(seen[0]!.headers.cookie ?? "")).not.toContain("CF_Authorization");
        // A workload token is Ward's credential: never the origin's.
        if (c.workloadToken) expect(seen[0]!.headers.authorization).toBeUndefined();
        for (const name of c.expect.forwarded.absent ?? [])
          expect(seen[0]!.headers[name.toLowerCase()], name).toBeUndefined();
        for (const name of c.expect.forwarded.present ?? [])
          expect(seen[0]!.headers[name.toLowerCase()], name).toBeDefined();
        for (const [name, value] of Object.entries(c.expect.forwarded.equal ?? {}))
          expect(seen[0]!.headers[name.toLowerCase()], name).toBe(value);
        for (const [name, value] of Object.entries(c.expect.forwarded.notEqual ?? {}))
          expect(seen[0]!.headers[name.toLowerCase()], name).not.toBe(value);
      }
    }
  });

  it("has at least 200 cases, and every required class", () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const tags = new Set(cases.flatMap((c) => c.tags));
    const required = [
      "admin-host",
      "encoded-query-fragment",
      "ntfs-stream",
      "alg-none",
      "alg-confusion",
      "stripped-signature",
      "psychic-signature",
      "kid-injection",
      "jku",
      "x5u",
      "embedded-jwk",
      "crit",
      "b64",
      "nested",
      "encrypted",
      "expired",
      "not-yet-valid",
      "future-iat",
      "missing-exp",
      "aud-form",
      "iss",
      "duplicate-claims",
      "huge",
      "malformed",
      "several-tokens",
      "header-cookie",
      "other-team",
      "kid-flood",
      "non-integer-time",
      "long-lifetime",
      "too-old",
      "duplicate-members",
      "control-characters",
      "malformed-email",
      "email-domain-confusion",
      "double-slash",
      "dot-segments",
      "encoded-dot",
      "encoded-slash",
      "encoded-backslash",
      "double-encoding",
      "semicolon",
      "nul",
      "overlong-utf8",
      "case",
      "trailing-slash",
      "fragment",
      "absolute-form",
      "query",
      "host",
      "method-override",
      "lower-case-method",
      "head-options",
      "spoofed-identity",
      "spoofed-certificate",
      "spoofed-address",
      "hop-by-hop",
      "duplicate-headers",
      "allow-list",
      "other-proxy-identity",
      "header-spelling",
      "path-override",
      "framework-internal",
      "client-authorization",
      "trace-connect",
      "host-header",
      "mtls-trust-domain",
      "mtls-spiffe-form",
      "mtls-scopes",
      "mtls-not-presented",
      "mtls-not-verified",
      "mtls-revoked",
      "mtls-validity",
      "mtls-unpinned",
      "mtls-fingerprint-mismatch",
      "mtls-too-large",
      "mtls-trust-domain-id",
      "mtls-several-uri-sans",
      "mtls-not-a-leaf",
      "mtls-issuer-trust-domain",
      "raw-target",
      "raw-host",
      "body-on-get",
      "upgrade-smuggling",
      "token-alg-none",
      "token-alg-confusion",
      "token-foreign-issuer",
      "token-wrong-audience",
      "token-other-service",
      "token-long-lifetime",
      "token-jku",
      "token-x5u",
      "token-embedded-jwk",
      "token-kid-storm",
      "token-expired",
      "token-spiffe-form",
      "token-duplicate-members",
      "token-required-claims",
      "token-service-account",
      "token-bearer-form",
      "ssf-push",
      "ssf-admin",
    ];
    expect(required.filter((t) => !tags.has(t))).toEqual([]);
    const names = cases.map((c) => `${c.file}: ${c.name}`);
    expect(new Set(names).size).toBe(names.length);
  });
});
