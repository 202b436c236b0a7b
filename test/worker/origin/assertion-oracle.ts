// What docs/origin-assertion.md (with docs/policy.md: principals, canonical request targets, audit mode) says the
// assertion of a generated case (assertion-cases.ts) holds, written from the docs alone. `undefined` for a case
// Ward must not forward.
import {
  BILLING,
  CHECKOUT,
  CLUSTER_ISS,
  GITHUB_ISS,
  LITERAL,
  SPIRE_ISS,
  TEAM,
  type Caller,
  type Case,
} from "./assertion-cases.ts";

export interface ExpectedClaims {
  iss: string;
  aud: string;
  sub: string;
  htm: string;
  htu: string;
  ward_route: string;
  ward_rule?: string;
  ward_mode: "enforce" | "audit";
  ward_would_deny?: string;
  workload?: string;
  email?: string;
  service_token?: string;
  scope?: string;
  /** `ward_credentials` as `kind iss sub` lines, sorted. */
  credentials: string[];
  cnf: boolean;
}

/** The canonical form of a decoded segment: the literal set kept, every other UTF-8 byte as upper-case %XX. */
export function canonicalSegment(decoded: string): string {
  return [...decoded]
    .map((c) =>
      LITERAL.test(c)
        ? c
        : [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
    )
    .join("");
}

export function canonicalPath(c: Case): string {
  return `/${c.segments.map(canonicalSegment).join("/")}${c.trailingSlash ? "/" : ""}`;
}

/** The workload a caller's credentials name, if any (a certificate's SPIFFE ID, or its token's). */
function workloadOf(caller: Caller): string | undefined {
  if (caller.cert) return caller.cert === "checkout" ? CHECKOUT : BILLING;
  const t = caller.token;
  if (t?.issuer === "spire") return t.sub;
  if (t?.issuer === "cluster") return `spiffe://demo.ward.internal/ns/${t.namespace}/sa/${t.account}`;
  return undefined;
}

/** The principal: `workload:`, `user:` (lower case), `token:`, `subject:<issuer name>/<sub>`, joined by `+`. */
export function principalOf(caller: Caller): string {
  const parts: string[] = [];
  const workload = workloadOf(caller);
  if (workload) parts.push(`workload:${workload}`);
  if (caller.access?.kind === "person") parts.push(`user:${caller.access.email.toLowerCase()}`);
  if (caller.access?.kind === "service") parts.push(`token:${caller.access.clientId}`);
  if (caller.token?.issuer === "github") parts.push(`subject:github-actions/${caller.token.sub}`);
  return parts.length === 0 ? "anonymous" : parts.join("+");
}

function credentialsOf(caller: Caller): string[] {
  const out: string[] = [];
  if (caller.cert) out.push("client-certificate");
  const t = caller.token;
  if (t) {
    const iss = t.issuer === "spire" ? SPIRE_ISS : t.issuer === "cluster" ? CLUSTER_ISS : GITHUB_ISS;
    const sub = t.issuer === "cluster" ? `system:serviceaccount:${t.namespace}:${t.account}` : t.sub;
    out.push(`workload-token ${iss} ${sub}`);
  }
  if (caller.access) out.push(`access-jwt ${TEAM}`);
  return out.sort();
}

/** docs/policy.md: a token's `sub` with a control character (C0, DEL, C1, U+2028/9, bidi controls) does not count. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The credentials that count: a workload token whose `sub` is malformed is none. */
function counted(caller: Caller): Caller {
  const t = caller.token;
  if (t && (t.issuer === "github" || t.issuer === "spire") && CONTROL.test(t.sub)) {
    const { token: _, ...rest } = caller;
    return rest;
  }
  // A certificate and a token naming two workloads: neither counts (docs/policy.md, beside a certificate).
  const certId = caller.cert === "checkout" ? CHECKOUT : caller.cert === "partnerBilling" ? BILLING : undefined;
  const tokenId = t && t.issuer !== "github" ? workloadOf({ token: t }) : undefined;
  if (certId && tokenId && certId !== tokenId) {
    const { token: _, cert: __, ...rest } = caller;
    return rest;
  }
  return caller;
}

/** The path as the gateway receives it (the URL parser encodes what it must): more than 4,096 is refused. */
export function receivedPath(c: Case): string {
  return new URL(`https://x${c.spelt}`).pathname;
}

export function expectedClaims(sent: Case, issuer: string): ExpectedClaims | undefined {
  const c = { ...sent, caller: counted(sent.caller) };
  if (receivedPath(c).length > 4096) return undefined;
  const principal = principalOf(c.caller);
  const host = c.host; // canonical: lower case, no port, no trailing dot
  const base = {
    iss: issuer,
    aud: c.service.name,
    sub: principal,
    htm: c.method,
    htu: `https://${host}${canonicalPath(c)}`,
  };
  const identity = {
    ...(workloadOf(c.caller) ? { workload: workloadOf(c.caller) } : {}),
    ...(c.caller.access?.kind === "person" ? { email: c.caller.access.email } : {}),
    ...(c.caller.access?.kind === "service" ? { service_token: c.caller.access.clientId } : {}),
    ...(c.caller.token?.issuer === "spire" && c.caller.token.scopes.length > 0
      ? { scope: c.caller.token.scopes.join(" ") }
      : {}),
    credentials: credentialsOf(c.caller),
    cnf: c.caller.cert !== undefined,
  };
  if (c.service.name !== "beta") {
    const pub = (c.service.caseInsensitive ? c.segments[0]!.toLowerCase() : c.segments[0]) === "pub";
    if (!pub && principal === "anonymous") return undefined;
    const route = `${c.service.name}/${pub ? "open" : "any"}`;
    // alpha's deny rule on trial names eve: her request goes on, as the allow decides, carrying it; at /pub too,
    // since the deny rules of every route covering the path apply (docs/policy.md, how a request is decided).
    const eve = c.caller.access?.kind === "person" && c.caller.access.email === "eve@other.org";
    return {
      ...base,
      ward_route: route,
      ward_rule: `${route}/${pub ? "anyone" : "known"}`,
      ward_mode: "enforce",
      ...(eve && c.service.name === "alpha" ? { ward_would_deny: "alpha/any/no-eve" } : {}),
      ...identity,
    };
  }
  // beta, audit mode: forwarded whatever enforcement would say; the rule only for an example.com person.
  const person = c.caller.access?.kind === "person" && /@example\.com$/i.test(c.caller.access.email);
  return {
    ...base,
    ward_route: "beta/any",
    ward_mode: "audit",
    ...(person
      ? { ward_rule: "beta/any/people" }
      : { ward_would_deny: principal === "anonymous" ? "unauthenticated" : "no-matching-rule" }),
    ...identity,
  };
}
