// The outside edge for workload-token issuers (runs in Node, inside the outbound mock of vitest.config.ts):
// the key documents of the demo policy's identity.tokenIssuers, served at the URLs the policy names, and a
// count of every fetch, so that tests can bound how often the gateway asks (the unknown-kid storm).
import type { JWK } from "jose";

type Issuers = Record<string, { privateJwk: JWK; published: Record<string, unknown> }>;

const SPIRE = "https://spire.demo.ward.internal";
const CLUSTER = "https://kubernetes.demo.ward.internal";
const GITHUB = "https://token.actions.githubusercontent.com";
/** `GET https://egress.ward-test.internal/count?url=<url>`: how often that URL was fetched. */
export const EGRESS_COUNT = "https://egress.ward-test.internal/count";

/**
 * `GET https://egress.ward-test.internal/withdrawn?url=<url>&withdrawn=1` (or `0`): that key set is published
 * with every key withdrawn (an issuer's answer to a leak: `{"keys":[]}`) until put back.
 */
export const EGRESS_WITHDRAWN = "https://egress.ward-test.internal/withdrawn";

/**
 * `GET https://egress.ward-test.internal/serve?url=<url>&status=<n>&type=<content-type>&body=<base64url>`: from
 * then on `url` answers that (a key server the key-set differential programs: test/worker/identity/keysets-*).
 */
export const EGRESS_SERVE = "https://egress.ward-test.internal/serve";

const fetched = new Map<string, number>();
const programmed = new Map<string, { status: number; type: string; body: string }>();
const withdrawn = new Set<string>();

/** True while every key of the set at `href` is withdrawn (the Access team's set is served by the caller). */
export function keysWithdrawn(href: string): boolean {
  return withdrawn.has(href);
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
}

/** OIDC discovery as a cluster (kube-apiserver) and GitHub Actions publish it: issuer, jwks_uri and the rest. */
function discovery(issuer: string, jwksUri: string, claims: string[]): unknown {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    claims_supported: claims,
  };
}

/** The answer for `url` when it is one of the issuers' endpoints (or the egress count), else undefined. */
export function issuerEndpoint(url: URL, issuers: Issuers): Response | undefined {
  if (url.origin + url.pathname === EGRESS_COUNT)
    return json({ count: fetched.get(url.searchParams.get("url") ?? "") ?? 0 });
  if (url.origin + url.pathname === EGRESS_WITHDRAWN) {
    const of = url.searchParams.get("url") ?? "";
    if (url.searchParams.get("withdrawn") === "1") withdrawn.add(of);
    else withdrawn.delete(of);
    return new Response(null, { status: 204 });
  }
  if (url.origin + url.pathname === EGRESS_SERVE) {
    const p = url.searchParams;
    programmed.set(p.get("url") ?? "", {
      status: Number(p.get("status") ?? 200),
      type: p.get("type") ?? "",
      body: Buffer.from(p.get("body") ?? "", "base64url").toString(),
    });
    return new Response(null, { status: 204 });
  }
  const href = url.href;
  const answer = (): Response | undefined => {
    const set = programmed.get(href);
    if (set) {
      const nullBody = [204, 205, 304].includes(set.status) || (set.status >= 300 && set.status < 400);
      const headers: Record<string, string> = set.type ? { "content-type": set.type } : {};
      if (set.status >= 300 && set.status < 400) headers.location = `${href}?moved`;
      return new Response(nullBody ? null : set.body, { status: set.status, headers });
    }
    switch (href) {
      case `${SPIRE}/bundle`:
        return json(issuers.spire!.published);
      // A bundle endpoint that moved: Ward must not follow it.
      case `${SPIRE}/moved-bundle`:
        return new Response(null, { status: 302, headers: { location: `${SPIRE}/bundle` } });
      case `${CLUSTER}/.well-known/openid-configuration`:
        return json(discovery(CLUSTER, `${CLUSTER}/openid/v1/jwks`, ["sub", "iss"]));
      case `${CLUSTER}/openid/v1/jwks`:
        return json(issuers.cluster!.published);
      case `${GITHUB}/.well-known/openid-configuration`:
        return json(
          discovery(GITHUB, `${GITHUB}/.well-known/jwks`, [
            "sub",
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "nbf",
            "ref",
            "repository",
            "repository_id",
            "repository_owner",
            "repository_owner_id",
            "run_id",
            "workflow",
            "job_workflow_ref",
            "environment",
          ]),
        );
      case `${GITHUB}/.well-known/jwks`:
        return json(issuers.github!.published);
      default:
        return undefined;
    }
  };
  const response = withdrawn.has(href) ? json({ keys: [] }) : answer();
  if (response) fetched.set(href, (fetched.get(href) ?? 0) + 1);
  return response;
}
