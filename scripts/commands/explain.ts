import { parseArgs } from "node:util";
import {
  applyGrants,
  applyUpgrade,
  countryOf,
  crossOriginRequest,
  evaluate,
  explainDecision,
  forwardedHeadersOf,
  isEmailAddress,
  isServiceTokenId,
  isSpiffeId,
  isTrustDomainId,
  rawPathOf,
  reportedRequestHeaders,
  SCOPE_TOKEN,
  upgradeKind,
  type CompiledPolicy,
  type Decision,
  type Identity,
} from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { answeredByWard } from "../own-paths.ts";
import type { Io } from "../io.ts";
import { readGrants } from "../grants/read.ts";
import { instantFlag } from "../instant.ts";
import { loadPolicyFile } from "../policy-file.ts";
import { postureFromFlags } from "./posture-flags.ts";
import { withWorkloadToken, type TokenFlags } from "./explain-token.ts";

export const usage = `ward explain FILE --as PRINCIPAL METHOD URL [options]
    --as spiffe://...|EMAIL|token:CLIENT_ID|anonymous   who calls (or use the flags below)
    --workload SPIFFE_ID   --email EMAIL   --service-token CLIENT_ID
    --group G   --scope S   --claim NAME=VALUE (a string) or NAME:=JSON   --posture CHECK_ID   (each repeatable)
    --token-issuer NAME   a workload token of this identity.tokenIssuers entry: --as names its subject
                          (a SPIFFE ID, system:serviceaccount:NS:SA, or an OIDC sub); --scope and --claim its own
    --country CC   --time ISO-8601 (default: now)   --json
    --header 'NAME: value'   a request header (repeatable): says which ones the origin would not be sent;
                          Upgrade, Connection, Origin and Sec-Fetch-Site are read as the gateway reads them
    --websocket   the request is a WebSocket upgrade (as -H 'Upgrade: websocket'): may this route carry it?
    --grants FILE   time-bounded grants to take into account (ward exceptions list --json; revoked and used-up ones are skipped)`;

/** `NAME=VALUE` is a string claim, as most issuers write ids ("65"); `NAME:=JSON` a typed one (`n:=12`, `ok:=true`). */
function claimValue(text: string, typed: boolean): unknown {
  if (!typed) return text;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  } catch {}
  throw new CliError(`--claim ...:=${text}: expected a JSON string, number or boolean`);
}

/** The claims of `--claim NAME=VALUE` pairs. */
function claimsOf(pairs: string[] | undefined): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    const typed = eq > 1 && pair[eq - 1] === ":";
    const name = pair.slice(0, typed ? eq - 1 : eq);
    if (eq < 1 || name === "") throw new CliError(`--claim ${pair}: expected NAME=VALUE or NAME:=JSON`);
    claims[name] = claimValue(pair.slice(eq + 1), typed);
  }
  return claims;
}

/**
 * The --scope flags, each one OAuth scope as a token's scopes and a rule's are (policy/scope-token.ts): a token's
 * whole scope string ("a b") would be one scope no rule can name, and disagree with the gateway, which splits it.
 */
function scopesOf(values: Record<string, string | string[] | boolean | undefined>): string[] | undefined {
  const scopes = values.scope as string[] | undefined;
  for (const scope of scopes ?? [])
    if (!SCOPE_TOKEN.test(scope))
      throw new CliError(
        `--scope ${JSON.stringify(scope)}: one OAuth scope (1 to 255 printable ASCII characters, no space, " or \\): repeat --scope for each`,
      );
  return scopes;
}

/** With --token-issuer, what --as, --scope and --claim say of the token (else undefined). */
export function tokenFlagsOf(values: Record<string, string | string[] | boolean | undefined>): TokenFlags | undefined {
  const issuer = values["token-issuer"] as string | undefined;
  if (issuer === undefined) return undefined;
  const subject = values.as as string | undefined;
  if (subject === undefined) throw new CliError("--token-issuer: name the token's subject with --as");
  const scopes = scopesOf(values);
  return { issuer, subject, claims: claimsOf(values.claim as string[] | undefined), ...(scopes ? { scopes } : {}) };
}

function identityFromFlags(values: Record<string, string | string[] | boolean | undefined>): Identity {
  const identity: Identity = {};
  // With --token-issuer, --as, --scope and --claim describe the token (explain-token.ts).
  const tokenCaller = values["token-issuer"] !== undefined;
  const as = tokenCaller ? undefined : (values.as as string | undefined);
  let workload = values.workload as string | undefined;
  let email = values.email as string | undefined;
  let token = values["service-token"] as string | undefined;
  if (as !== undefined && as !== "anonymous") {
    if (as.startsWith("spiffe://")) workload = as;
    else if (as.startsWith("token:")) token = as.slice("token:".length);
    else if (as.includes("@")) email = as;
    else throw new CliError(`--as ${as}: expected spiffe://..., an e-mail, token:CLIENT_ID or anonymous`);
  }
  // The gateway takes no other from a certificate (worker/identity/mtls.ts): such a caller is anonymous there.
  if (workload !== undefined && (!isSpiffeId(workload) || isTrustDomainId(workload)))
    throw new CliError(
      `${JSON.stringify(workload)}: not a workload SPIFFE ID a certificate can carry (lower-case trust domain, plain segments, no trailing '/', not the trust domain's own ID); the gateway counts it as no identity`,
    );
  if (email !== undefined && token !== undefined) {
    throw new CliError("a caller has one Access identity: a person (--email) or a service token, not both");
  }
  // The gateway refuses a token whose email is not one well-formed address (policy/email-address.ts):
  // such a caller has no Access identity at all, so there is no decision about it to explain.
  if (email !== undefined && !isEmailAddress(email)) {
    throw new CliError(
      `e-mail ${JSON.stringify(email)}: not an address the gateway takes from a token (one '@', a dot-atom local part, a host name, ASCII); a token with it counts as no identity`,
    );
  }
  // Likewise a service token: only a client id's shape is read from a token as one (policy/service-token-id.ts).
  if (token !== undefined && !isServiceTokenId(token)) {
    throw new CliError(
      `service token ${JSON.stringify(token)}: not a client id the gateway takes from a token (32 lower-case hex digits then .access); a token with it counts as no identity`,
    );
  }
  if (workload) identity.workload = { id: workload };
  const groups = values.group as string[] | undefined;
  const posture = values.posture as string[] | undefined;
  if (email) {
    // Device posture is read against the policy's checks (explainedIdentity).
    identity.user = { email, groups: groups ?? [] };
  } else if (groups || posture) {
    throw new CliError("--group and --posture describe a person: add --email or --as EMAIL");
  }
  if (token) identity.serviceToken = { clientId: token };
  if (tokenCaller) return identity;
  const claims = claimsOf(values.claim as string[] | undefined);
  const scopes = scopesOf(values);
  // A rule reads scopes and claims from one credential its principals match (policy/grant-holders.ts). A
  // workload alone: they are its own token's (a certificate holds neither). With a person or service token:
  // the claims are its Access token's, and the scopes no credential's (Access grants none).
  if (workload !== undefined && email === undefined && token === undefined && (scopes || Object.keys(claims).length)) {
    identity.workloadToken = {
      issuer: "explain",
      kind: "spiffe-jwt-svid",
      subject: workload,
      spiffeId: workload,
      claims,
    };
    if (scopes) identity.scopes = scopes;
  } else if (Object.keys(claims).length > 0) identity.claims = claims;
  // Otherwise `--scope` names what no credential holds (Access grants none): for allow and deny rules alike.
  return identity;
}

/**
 * What the gateway would read from a request to this URL. The host is `new URL(url).host`, as the gateway takes
 * it from request.url with the runtime's WHATWG parser: lower case, IDNA as punycode, IPv4 in dotted decimal
 * (`0x7f.1` and `2130706433` are 127.0.0.1), the scheme's default port dropped, userinfo gone, and the host ends
 * at a backslash (`http://evil.example\@good.example/` is evil.example). The path is the raw path after that
 * host (rawPathOf, the gateway's own reading), never resolved, so dot segments and backslashes get the
 * gateway's 400; the query is `url.search`, as the gateway reads it. The fragment is never sent.
 */
export function readUrl(input: string): { host: string; path: string; query: string; origin: string } {
  // As the WHATWG parser reads any input first: leading and trailing controls and spaces dropped, tabs and
  // newlines removed anywhere.
  const text = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  if (!/^https?:\/\//i.test(text)) throw new CliError(`${input}: expected an absolute http(s) URL`);
  // The WHATWG parser skips any further '/' and '\\' before the host (http:///h/x is h/x); the raw path must
  // start after that host, not after "://".
  if (/^https?:\/\/[/\\]/i.test(text))
    throw new CliError(
      `${input}: extra slashes before the host (a client sends ${new URL(text).href.replace(/[?#].*$/, "")}): write that URL`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${input}: not a URL a client could send (the WHATWG URL parser refuses it)`);
  }
  const hash = text.indexOf("#", text.indexOf("://") + 3);
  return {
    host: url.host,
    path: rawPathOf(hash === -1 ? text : text.slice(0, hash)),
    query: url.search.slice(1),
    origin: url.origin,
  };
}

/** The `--header 'NAME: value'` flags as request headers (names lower case, repeated ones joined as HTTP does). */
function headersOf(flags: readonly string[]): Headers {
  const headers = new Headers();
  for (const h of flags) {
    const colon = h.indexOf(":");
    if (colon < 1) throw new CliError(`--header ${h}: expected 'NAME: value'`);
    try {
      headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
    } catch {
      throw new CliError(`--header ${h}: not a header a client could send`);
    }
  }
  return headers;
}

/**
 * The caller the flags describe, read against the policy: a workload token of one of its issuers, and a person's
 * device posture (postureFromFlags). The explain differential decides with it too.
 */
export function explainedIdentity(
  values: Record<string, string | string[] | boolean | undefined>,
  tokenFlags: TokenFlags | undefined,
  policy: CompiledPolicy,
  at: number,
): Identity {
  let identity = identityFromFlags(values);
  if (tokenFlags) identity = withWorkloadToken(identity, tokenFlags, policy, at);
  if (!identity.user) return identity;
  const devicePosture = postureFromFlags(policy, (values.posture as string[] | undefined) ?? []);
  return { ...identity, user: { ...identity.user, devicePosture } };
}

export async function explainCommand(args: string[], io: Io, now: () => number = Date.now): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      as: { type: "string" },
      workload: { type: "string" },
      email: { type: "string" },
      "service-token": { type: "string" },
      "token-issuer": { type: "string" },
      group: { type: "string", multiple: true },
      scope: { type: "string", multiple: true },
      claim: { type: "string", multiple: true },
      posture: { type: "string", multiple: true },
      country: { type: "string" },
      time: { type: "string" },
      json: { type: "boolean" },
      grants: { type: "string" },
      header: { type: "string", short: "H", multiple: true },
      websocket: { type: "boolean", default: false },
    },
  });
  const [file, method, url, ...rest] = positionals;
  if (!file || !method || !url || rest.length > 0) throw new CliError(`expected FILE METHOD URL\n${usage}`);
  const at = values.time === undefined ? now() : instantFlag("time", values.time);
  const tokenFlags = tokenFlagsOf(values);
  const policy = await loadPolicyFile(file, io.err);
  const identity = explainedIdentity(values, tokenFlags, policy, at);
  const { host, path, query, origin } = readUrl(url);
  const grants = values.grants ? await readGrants(values.grants) : [];
  const headers = headersOf(values.header ?? []);
  if (values.websocket && !headers.has("upgrade")) headers.set("upgrade", "websocket");
  const upgrade = upgradeKind(method, headers.get("upgrade"), headers.get("connection"));
  // As the gateway decides (worker/gateway.ts decide()): the upgrade is refused before a grant may lift a deny,
  // and again after (a grant lifts the policy's refusal, never the route's). The denylist is the gateway's alone.
  const crossOrigin = () => crossOriginRequest(headers.get("sec-fetch-site"), headers.get("origin"), () => origin);
  const upgraded = (d: Decision) => (upgrade === "none" ? d : applyUpgrade(policy, d, upgrade, crossOrigin));
  // Ward's own paths are answered before any policy decision (worker/own-paths.ts), on every host.
  if (answeredByWard(method, path))
    throw new CliError(`${method} ${path}: one of Ward's own paths, which Ward answers itself: no policy decides it`);
  // A Content-Length (even 0) or Transfer-Encoding is a body, as the gateway reads it (workerd: request.body).
  const body = headers.has("content-length") || headers.has("transfer-encoding");
  const decision = upgraded(
    applyGrants(
      policy,
      // Read as the gateway reads request.cf.country: Cloudflare's XX is no country known.
      upgraded(evaluate(policy, { method, host, path, query, identity, country: countryOf(values.country), body }, at)),
      identity,
      grants,
      at,
    ),
  );
  const headerNames = reportedRequestHeaders([...headers.keys()], decision, upgrade);
  if (values.json) {
    const forwarded = forwardedHeadersOf(policy, decision, headerNames);
    io.out(JSON.stringify(forwarded ? { ...decision, headers: forwarded } : decision, null, 2));
  } else {
    io.out(explainDecision(policy, decision, { asked: { method, host, path }, requestHeaders: headerNames, upgrade }));
  }
  return decision.effect === "allow" ? EXIT.ok : EXIT.denied;
}
