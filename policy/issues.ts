// A validation finding: where it is, a stable code to switch on, what is wrong and, where one helps, a hint.
export type Severity = "error" | "warning";

export type IssueCode =
  // from the schema
  | "invalid-syntax"
  | "unknown-field"
  | "missing-field"
  | "invalid-type"
  | "invalid-value"
  | "invalid-format"
  | "out-of-range"
  // beyond the schema
  | "duplicate-id"
  | "duplicate-route"
  | "duplicate-fingerprint"
  | "overlapping-hosts"
  | "unknown-principal-set"
  | "unknown-identity-binding"
  | "invalid-path-pattern"
  | "literal-star"
  | "invalid-rule-principals"
  | "origin-not-tunnel"
  | "public-origin"
  | "access-not-configured"
  | "mtls-not-configured"
  | "issuer-trust-domains-missing"
  | "invalid-issuer-certificate"
  | "issuer-pinned-by-name-too"
  | "spiffe-outside-trust-domain"
  | "open-spiffe-prefix"
  | "invalid-time-window"
  | "unknown-country-code"
  | "rate-limit-not-shared"
  | "rate-limit-on-deny"
  | "headers-on-deny"
  | "reserved-header"
  | "identity-header-forwarded"
  | "shadowed-rule"
  | "route-never-allows"
  | "deny-covers-route"
  | "route-escapable"
  | "route-letters-refused"
  | "route-letters-decomposed"
  | "too-many-routes"
  | "route-escapes-unchecked"
  | "audit-on-allow-rule"
  | "audit-in-production"
  | "websocket-without-get"
  | "websocket-rate-below-message"
  | "duplicate-token-issuer"
  | "token-issuer-trust-domain"
  | "invalid-jwks"
  | "jwks-key-unusable"
  | "token-issuer-unconstrained"
  | "kubernetes-trust-domain-shared"
  | "duplicate-token-audience"
  | "unknown-access-audience"
  | "admin-audience-claimed"
  | "scopes-not-carried"
  | "invalid-service-token-id"
  | "group-white-space"
  | "group-mixed-scripts"
  | "condition-source-missing"
  | "break-glass-capped"
  // shared signals (policy/validate/ssf.ts)
  | "ssf-key-source"
  | "ssf-key-unusable"
  | "ssf-algorithm"
  | "ssf-duplicate-issuer"
  | "ssf-without-access"
  | "ssf-hold-shorter-than-tokens";

export interface Issue {
  severity: Severity;
  code: IssueCode;
  /** Dotted path into the document, e.g. services.payments.routes[2].rules[0].principals[1]. */
  path: string;
  message: string;
  hint?: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(document)" : out;
}

/** `path: message (hint)`, the way wrangler and zod print configuration problems. */
export function formatIssue(issue: Issue): string {
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return `${issue.severity}[${issue.code}] ${issue.path}: ${issue.message}${hint}`;
}
