// The pure policy core: schema -> validate -> compile -> evaluate, and explain. No I/O, no clock.
export * from "./schema.ts";
export * from "./issues.ts";
export * from "./canonical-target.ts";
export * from "./identity.ts";
export { isSpiffeId, isTrustDomainId } from "./spiffe-id.ts";
export * from "./decision.ts";
export { validatePolicy, type ValidationResult } from "./validate.ts";
export { compilePolicy, buildIndexes, findService, type CompiledPolicy, type CompiledRoute, type CompiledRule, type CompiledService } from "./compile.ts";
export { evaluate, type RequestFacts } from "./evaluate.ts";
export { explainDecision, nextStep, type DecisionOutcome } from "./explain.ts";
export { parsePolicyText, validatePolicyText, loadPolicy, loadStoredDocument, type LoadResult } from "./load.ts";
export { policyHash, canonicalJson, sha256Hex } from "./hash.ts";
export { policyJsonSchema } from "./json-schema.ts";
export { durationSeconds } from "./duration.ts";
export { reach, reachReport, diffReach, checkExceptions, principalName, principalsMayOverlap, describeConditions, type Reach, type Grant, type DenyRule, type ExceptionGrant, type ReachReport, type PolicyDiff } from "./reach.ts";
export { principalsMatch, compilePrincipals, type CompiledPrincipals } from "./principals.ts";
export { applyGrants, grantCovers, grantMayApply, GRANT_PRINCIPAL_KINDS, namesOnePrincipal, type TimedGrant } from "./grants.ts";
