// Placeholders left in the config or the policy: ids only Cloudflare hands out, written by ward init (or copied
// from an example) in their real shape. Deployed, each one fails (an unknown KV namespace or VPC service) or,
// in a policy, refuses everyone (a team domain that issues nothing, an AUD no application has).
import type { PolicyDocument } from "../../policy/index.ts";
import { vpcServiceCreate } from "../init/next-steps.ts";
import { isPlaceholderId, KV_ID, PLACEHOLDER_TEAM_DOMAIN, UUID } from "../init/placeholders.ts";
import { tables } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

/** A placeholder in a policy: where, and what has to be done in Cloudflare to get the real value. */
export interface PolicyPlaceholder {
  path: string;
  value: string;
  /** What the gateway would do with it. */
  effect: string;
  /** What to put there instead, and where Cloudflare shows it. */
  step: string;
}

export function policyPlaceholders(document: PolicyDocument): PolicyPlaceholder[] {
  const found: PolicyPlaceholder[] = [];
  const access = document.identity.access;
  if (access?.teamDomain === PLACEHOLDER_TEAM_DOMAIN)
    found.push({
      path: "identity.access.teamDomain",
      value: access.teamDomain,
      effect: "no Access token verifies: people and service tokens are all anonymous to Ward",
      step: "your Zero Trust team domain (Zero Trust > Settings > Custom Pages: https://<team>.cloudflareaccess.com)",
    });
  access?.audiences.forEach((aud, i) => {
    if (isPlaceholderId(aud))
      found.push({
        path: `identity.access.audiences[${i}]`,
        value: aud,
        effect: "tokens of that Access application are refused",
        step: "the AUD tag of the Access application named beside it (a service host's, or the operators' host's: WARD_URL), from Access > Applications > the app > Overview",
      });
  });
  document.identity.mtls?.issuers.forEach((issuer, i) => {
    if ("ski" in issuer && isPlaceholderId(issuer.ski))
      found.push({
        path: `identity.mtls.issuers[${i}].ski`,
        value: issuer.ski,
        effect: "no client certificate is accepted: workloads are all anonymous to Ward",
        step: "the workload CA uploaded for mTLS: better, its certificate in place of the pin (certificate: | and its PEM; ward init --ca-cert FILE writes it), which Ward checks signed each client certificate; else its Subject Key Identifier (openssl x509 -in ca.pem -noout -ext subjectKeyIdentifier)",
      });
  });
  document.admin?.principals.forEach((principal, i) => {
    // The client id's 32 hex digits (policy/service-token-id.ts): a team's domain after `.access` is not the id.
    if ("serviceToken" in principal && isPlaceholderId(principal.serviceToken.slice(0, 32)))
      found.push({
        path: `admin.principals[${i}].serviceToken`,
        value: principal.serviceToken,
        effect: "the operators' CLI cannot use the admin API (push, rollback, break-glass) with its token",
        step: "the client id of the operators' Access service token (Access > Service Auth > Service Tokens)",
      });
  });
  return found;
}

/** Why an id in the config is not a real one, if it is not. */
function idProblem(id: unknown, shape: RegExp, what: string): string | undefined {
  if (typeof id !== "string" || id === "") return "is missing";
  if (!shape.test(id)) return `"${id}" is not ${what}`;
  if (isPlaceholderId(id)) return `"${id}" is a placeholder`;
  return undefined;
}

export const checkPlaceholders: Check = (ctx: DoctorContext) => {
  const findings: Finding[] = [];
  const reinit = `npm run ward -- init --env ${ctx.envName}`;
  for (const kv of tables(ctx.env.kv_namespaces)) {
    const problem = idProblem(kv.id, KV_ID, "a KV namespace id (32 hex digits)");
    if (!problem) continue;
    findings.push({
      severity: "error",
      code: problem === "is missing" ? "id-missing" : "id-placeholder",
      where: envWhere(ctx, "kv_namespaces"),
      message: `${String(kv.binding)}: the namespace id ${problem}: the deploy would fail, or bind a namespace that is not this environment's`,
      fix: `npx wrangler kv namespace create ward-policy --env ${ctx.envName}, then ${reinit} --kv-id <the id it prints>`,
    });
  }
  const seen = new Map<string, string>();
  for (const vpc of tables(ctx.env.vpc_services)) {
    const binding = String(vpc.binding);
    const problem = idProblem(vpc.service_id, UUID, "a VPC service id (a UUID)");
    if (problem) {
      findings.push({
        severity: "error",
        code: problem === "is missing" ? "id-missing" : "id-placeholder",
        where: envWhere(ctx, "vpc_services"),
        message: `${binding}: the service_id ${problem}: the gateway could not reach this origin`,
        // The command init prints (its certificate check included: verify_full, as the origin's is checked).
        fix: `${vpcServiceCreate(ctx.envName, { binding }, undefined)}, then ${reinit} --vpc-service ${binding}=<the id it prints>`,
      });
      continue;
    }
    // Two bindings on one VPC service: one origin would receive the other's requests, with its assertion.
    const other = seen.get(vpc.service_id as string);
    if (other) {
      findings.push({
        severity: "error",
        code: "vpc-service-shared",
        where: envWhere(ctx, "vpc_services"),
        message: `${binding} and ${other} name the same VPC service ${String(vpc.service_id)}: requests for one origin would go to the other`,
        fix: `give each origin its own VPC service (${reinit} --vpc-service ${binding}=<its id>)`,
      });
    }
    seen.set(vpc.service_id as string, binding);
  }
  if (ctx.policy) {
    for (const placeholder of policyPlaceholders(ctx.policy.document)) {
      findings.push({
        severity: "error",
        code: "policy-placeholder",
        where: `${ctx.policy.label} ${placeholder.path}`,
        message: `${placeholder.value} is a placeholder: ${placeholder.effect}`,
        fix: `replace it with ${placeholder.step}`,
      });
    }
  }
  return findings;
};
