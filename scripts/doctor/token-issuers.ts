// identity.tokenIssuers: an issuer whose keys cannot be had, or whose keys the gateway would not use, makes
// every token of its workloads worthless, found out only when they are refused. Doctor fetches each key set
// as the Worker does (fetch-document.ts: no redirect, bounded, a timeout; OIDC discovery -> jwks_uri with
// its issuer checked), keys pushed with the policy included, and judges them with the gateway's own rules
// (policy/issuer-key-set.ts). It also warns where a lifetime cap lets a stolen token be replayed longer than
// the issuer needs (see LIFETIME_WARN_SECONDS).
import {
  type CompiledTokenIssuer,
  compileTokenIssuer,
  jwksUriOf,
  keyFitsAlgorithms,
  repeatedKids,
  type TokenKind,
  usableKeys,
} from "../../policy/index.ts";
import { type DocumentFetch, fetchDocument } from "./fetch-document.ts";
import type { DoctorContext, Finding } from "./types.ts";

/**
 * A cap longer than this is a warning. Kubernetes: 10 minutes is the shortest projected token the API server
 * issues (expirationSeconds: 600), and the kubelet renews at 80% of it, so a longer cap only widens the replay
 * window. The others: the default, 15 minutes; SPIRE's JWT-SVIDs and GitHub Actions' tokens live minutes.
 */
export const LIFETIME_WARN_SECONDS: Readonly<Record<TokenKind, number>> = {
  kubernetes: 600,
  "spiffe-jwt-svid": 900,
  oidc: 900,
};

const LIFETIME_FIX: Readonly<Record<TokenKind, string>> = {
  kubernetes:
    "set `expirationSeconds: 600` on the pods' serviceAccountToken projection and `maxLifetime: 10m` on the issuer",
  "spiffe-jwt-svid": "lower SPIRE's JWT-SVID TTL (default 5m) and set `maxLifetime` to match",
  oidc: "set `maxLifetime` to the lifetime the issuer really gives its tokens (GitHub Actions': minutes)",
};

/** Where the issuer's keys are, as far as they could be fetched: a key set document, or why not. */
type KeySetOutcome = { ok: true; document: unknown; from: string } | { ok: false; problem: string; url: string };

async function keySetOf(issuer: CompiledTokenIssuer, fetchImpl: DocumentFetch): Promise<KeySetOutcome> {
  const keys = issuer.keys;
  if (keys.kind === "inline") return { ok: true, document: keys.jwks, from: "the key set pushed with the policy" };
  let url = keys.url;
  if (keys.kind === "discovery") {
    const discovery = await fetchDocument(url, fetchImpl);
    if (!discovery.ok) return { ok: false, problem: discovery.problem, url };
    const found = jwksUriOf(discovery.document, issuer.issuer);
    if (!found.ok) {
      const problem =
        found.problem === "discovery-issuer"
          ? `its discovery document does not name issuer ${issuer.issuer} (OIDC Discovery 4.3: the gateway takes no keys from it)`
          : "its discovery document has no https jwks_uri";
      return { ok: false, problem, url };
    }
    url = found.url;
  }
  const set = await fetchDocument(url, fetchImpl);
  return set.ok ? { ok: true, document: set.document, from: url } : { ok: false, problem: set.problem, url };
}

/** Why a document yields no key the gateway verifies this issuer's tokens with; undefined when one does. */
function noKeyReason(issuer: CompiledTokenIssuer, document: unknown): string | undefined {
  const usable = usableKeys(document, issuer.keyUse);
  if (usable === undefined) return "it is not a key set (no `keys` array, or more than 100 keys)";
  const marked =
    issuer.keyUse === "jwt-svid"
      ? "marked `use: jwt-svid` (a SPIFFE bundle's JWT authorities)"
      : "with `use: sig` or none";
  if (usable.length === 0)
    return `none of its keys is usable: the gateway takes public RSA, EC or OKP keys with a \`kid\`, ${marked}, and key_ops, if any, distinct and including verify; HMAC (\`oct\`) keys, private keys and keys without a kid count for nothing`;
  const repeated = new Set(repeatedKids(usable));
  const fitting = usable.filter((key) => keyFitsAlgorithms(key, issuer.algorithms));
  if (fitting.length === 0)
    return `none of its ${usable.length} usable key${usable.length === 1 ? "" : "s"} can verify the algorithms allowed (${issuer.algorithms.join(", ")}): the gateway takes RSA keys of 2,048 bits or more, EdDSA keys on Ed25519, and keys whose key_ops, if any, include verify`;
  if (fitting.every((key) => repeated.has(key.kid)))
    return `every key it could verify with shares its kid with another key (${[...repeated].join(", ")}): the gateway refuses a token whose kid matches two keys`;
  return undefined;
}

export async function checkTokenIssuers(ctx: DoctorContext): Promise<Finding[]> {
  if (!ctx.policy) return [];
  const { document, label } = ctx.policy;
  const sources = document.identity.tokenIssuers ?? [];
  const fetchImpl = ctx.fetch ?? ((url, init) => fetch(url, init));
  const perIssuer = await Promise.all(
    sources.map(async (source, index): Promise<Finding[]> => {
      const issuer = compileTokenIssuer(source);
      const where = `${label} identity.tokenIssuers[${index}] (${issuer.name})`;
      const findings: Finding[] = [];
      const warnAbove = LIFETIME_WARN_SECONDS[issuer.kind];
      if (issuer.maxLifetimeSeconds > warnAbove) {
        findings.push({
          severity: "warning",
          code: "token-issuer-lifetime-long",
          where,
          message: `maxLifetime ${source.maxLifetime} admits ${issuer.kind} tokens issued for longer than ${warnAbove / 60} minutes: a stolen token is replayable for as long`,
          fix: LIFETIME_FIX[issuer.kind],
        });
      }
      if (ctx.offline && issuer.keys.kind !== "inline") return findings;
      const outcome = await keySetOf(issuer, fetchImpl);
      if (!outcome.ok) {
        findings.push({
          severity: "error",
          code: "token-issuer-unreachable",
          where,
          message: `${outcome.url}: ${outcome.problem}; the gateway would have no keys for ${issuer.issuer}, and every token of it would be refused`,
          fix: "serve the keys at a public https URL that answers 200 itself (point `keys` at the final URL, not one that redirects), or push them with the policy: `keys: { jwks: { keys: [...] } }`",
        });
        return findings;
      }
      const reason = noKeyReason(issuer, outcome.document);
      if (reason !== undefined) {
        findings.push({
          severity: "error",
          code: "token-issuer-no-keys",
          where,
          message: `${outcome.from}: ${reason}; every token of ${issuer.issuer} would be refused`,
          fix:
            issuer.keyUse === "jwt-svid"
              ? "publish the trust domain's JWT-SVID signing keys in the bundle (`use: jwt-svid`, with a `kid`), or use the issuer's OIDC discovery (`keys: { discovery: ... }`)"
              : "point `keys` at the issuer's public signing keys (asymmetric, with a `kid`), and list their algorithms in `algorithms`",
        });
      }
      return findings;
    }),
  );
  return perIssuer.flat();
}

/** What --offline left unchecked, for the closing notes. */
export function tokenIssuersOfflineNote(ctx: DoctorContext): string | undefined {
  if (!ctx.offline || !ctx.policy) return undefined;
  const remote = (ctx.policy.document.identity.tokenIssuers ?? []).filter((i) => !("jwks" in i.keys));
  if (remote.length === 0) return undefined;
  return `note: --offline: the keys of token issuer${remote.length === 1 ? "" : "s"} ${remote.map((i) => i.name).join(", ")} were not fetched; run without --offline where ${remote.length === 1 ? "its URL is" : "their URLs are"} reachable`;
}
