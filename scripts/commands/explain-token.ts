// `ward explain --token-issuer NAME --as SUBJECT [--scope S] [--claim NAME=VALUE]`: the caller presents a
// workload token of one of the policy's issuers. The token is built as that issuer would write it and read by
// the gateway's own code (policy/token-claims.ts), so a subject or claims the gateway would refuse are said
// so here rather than explained as some other caller.
import {
  compileTokenIssuer,
  kindCarriesScopes,
  serviceAccountOf,
  workloadTokenOf,
  type CompiledPolicy,
  type Identity,
} from "../../policy/index.ts";
import { CliError } from "../cli-error.ts";

export interface TokenFlags {
  issuer: string;
  subject: string;
  scopes?: readonly string[];
  claims: Readonly<Record<string, unknown>>;
}

/** `identity` with the workload token the flags describe, as the gateway would verify it at `at` (ms). */
export function withWorkloadToken(identity: Identity, flags: TokenFlags, policy: CompiledPolicy, at: number): Identity {
  const sources = policy.document.identity.tokenIssuers ?? [];
  const source = sources.find((s) => s.name === flags.issuer);
  if (!source) {
    const names = sources.map((s) => s.name).join(", ") || "none";
    throw new CliError(`--token-issuer ${flags.issuer}: not one of the policy's identity.tokenIssuers (${names})`);
  }
  const issuer = compileTokenIssuer(source);
  if (flags.scopes && !kindCarriesScopes(issuer.kind))
    throw new CliError(`--scope: ${issuer.kind} tokens carry no scopes (the gateway reads none from them)`);
  const nowSeconds = Math.floor(at / 1000);
  const payload: Record<string, unknown> = {
    ...flags.claims,
    iss: issuer.issuer,
    sub: flags.subject,
    iat: nowSeconds,
    exp: nowSeconds + Math.min(60, issuer.maxLifetimeSeconds),
  };
  if (flags.scopes) payload.scope = flags.scopes.join(" ");
  // A projected token names its pod's namespace and service account in `kubernetes.io`.
  const account = issuer.kind === "kubernetes" ? serviceAccountOf(flags.subject) : undefined;
  if (account) payload["kubernetes.io"] = { namespace: account.namespace, serviceaccount: { name: account.name } };
  const verified = workloadTokenOf(issuer, payload, nowSeconds);
  if (!verified.ok) {
    throw new CliError(
      `a token of ${issuer.name} (${issuer.kind}) for ${JSON.stringify(flags.subject)}: the gateway counts it as no credential (${verified.problem})`,
    );
  }
  const token = verified.value.identity;
  if (identity.workload && token.spiffeId !== undefined && token.spiffeId !== identity.workload.id) {
    throw new CliError(
      `--workload ${identity.workload.id} and a token for ${token.spiffeId}: the gateway counts neither when a certificate and a token name two workloads`,
    );
  }
  const out: Identity = { ...identity, workloadToken: token };
  if (verified.value.scopes) out.scopes = verified.value.scopes;
  else delete out.scopes;
  return out;
}
