// The pure policy core: schema -> validate -> compile -> evaluate, and explain. No I/O, no clock.
export * from "./schema.ts";
export { isClientAddress } from "./client-address.ts";
export { instantMs } from "./instant.ts";
export {
  currentPosture,
  DEFAULT_MAX_POSTURE_AGE,
  isCurrentPosture,
  postureInstant,
  type PostureResult,
} from "./posture-age.ts";
export { NUMERIC_SETTINGS, readSetting, settingRule, statedNumber, type NumericSettingName } from "./settings.ts";
export * from "./issues.ts";
export * from "./canonical-target.ts";
export * from "./identity.ts";
export { isSpiffeId, isTrustDomainId } from "./spiffe-id.ts";
export {
  caCertificateOf,
  keyIdentifiersOf,
  type IssuerCertificate,
  type IssuerKeyKind,
  issuerKeyText,
  nameText,
  readIssuerCertificate,
} from "./issuer-certificate.ts";
export * from "./decision.ts";
export { exceptionClaim, wouldDenyClaim } from "./assertion-claims.ts";
export {
  answerLine,
  asDecisionLine,
  decisionLine,
  decisionLineSchema,
  isOwnPathReason,
  knownProblem,
  knownReasons,
  parseDecisionLine,
  type AnswerRecord,
  type DecisionLine,
  type DecisionRecord,
} from "./decision-log.ts";
export { MAX_ROUTES, validatePolicy, type ValidationResult } from "./validate/index.ts";
export {
  STANDARD_FORWARDED_HEADERS,
  WARD_SET_HEADERS,
  extraForwardedHeaders,
  isForwardedHeader,
  droppedHeaders,
} from "./forward-headers.ts";
export {
  compilePolicy,
  buildIndexes,
  findService,
  type CompiledPolicy,
  type CompiledRoute,
  type CompiledRule,
  type CompiledService,
} from "./compile.ts";
export {
  decidingRoute,
  evaluate,
  forEachDenyingRoute,
  lettersAmbiguous,
  matchedSegments,
  type RequestFacts,
} from "./evaluate.ts";
export {
  auditLine,
  decidedByLine,
  explainDecision,
  forwardedHeadersOf,
  reportedRequestHeaders,
  traceLines,
  websocketRelayLine,
} from "./explain.ts";
export { nextStep, ruleOnTrial, type DecisionOutcome, type NextStepContext, type TracedRule } from "./next-step.ts";
export { parsePolicyText, validatePolicyText, loadPolicy, loadStoredDocument, type LoadResult } from "./load.ts";
export { MAX_YAML_UNITS, yamlUnits } from "./yaml-text.ts";
export { ALL_ISSUES_ON_A_WORKSTATION } from "./validate/schema-pass.ts";
export { policyHash, canonicalJson, sha256Hex } from "./hash.ts";
export { storedTextVersion, VERSION_CHECKED_HEADER } from "./stored-text.ts";
export {
  ACTIVE_KEY,
  SHADOW_KEY,
  versionKey,
  documentKey,
  storedDocument,
  versionRecords,
  MAX_JSON_POLICY_BYTES,
  MAX_JSON_POLICY_VALUES,
  jsonValueCount,
  MAX_POLICY_BYTES,
  policyTooLarge,
  writtenAsJson,
} from "./stored-version.ts";
export { activatedSince, type HistoryMove, versionBefore } from "./version-history.ts";
export { policyJsonSchema } from "./json-schema.ts";
export { durationSeconds } from "./duration.ts";
export {
  reach,
  reachReport,
  principalWidth,
  diffReach,
  diffWidens,
  unknownGrantTargets,
  principalName,
  principalContains,
  principalsMayOverlap,
  describeConditions,
  type Reach,
  type Grant,
  type DenyRule,
  type ReachReport,
  type IdentityReach,
  type PolicyDiff,
} from "./reach/index.ts";
export { principalsMatch, compilePrincipals, claimsHold, type CompiledPrincipals } from "./principals.ts";
export {
  applyGrants,
  BREAK_GLASS_MAX_MINUTES,
  coversButForUses,
  grantCovers,
  grantMayApply,
  GRANT_PRINCIPAL_KINDS,
  namesOnePrincipal,
  type TimedGrant,
} from "./grants.ts";
export {
  applyDenylist,
  deniedBy,
  denylistReason,
  indexDenylist,
  isListed,
  type DenylistVerdict,
  type DeniableCertificate,
  type DenyEntry,
  DenylistIndex,
  type ListedEntry,
  type MatchKind,
  tokenSubjectOf,
  type NewDenyEntry,
} from "./denylist.ts";
export { caKey, CA_KEY, issuerSerial, parseIssuerSerial, ISSUER_SERIAL } from "./issuer-serial.ts";
export type { ConsumeResult, GrantEvent, GrantRecord, GrantStatus, NewGrant } from "./grant-records.ts";
export { canonicalEmail, emailDomainOf, isEmailAddress, MAX_EMAIL_LENGTH } from "./email-address.ts";
export { isCleanText } from "./clean-text.ts";
export { isServiceTokenId, SERVICE_TOKEN_ID, SERVICE_TOKEN_ID_HINT } from "./service-token-id.ts";
export { compileAccess, MAX_CONFIGURABLE_TOKEN_DURATION, type CompiledAccess } from "./access-limits.ts";
export {
  compileTokenIssuer,
  kindCarriesScopes,
  tokenAudienceOf,
  tokenIssuersOf,
  type CompiledTokenIssuer,
  type TokenIssuers,
  type TokenKind,
} from "./token-issuers.ts";
export {
  checkTokenTimes,
  MAX_CLAIMS_DEPTH,
  MAX_CLAIMS_VALUES,
  scopesOf,
  serviceAccountOf,
  workloadTokenOf,
  type VerifiedWorkloadToken,
} from "./token-claims.ts";
export { valuesWithin } from "./json-shape.ts";
export { claimedAudiences, unclaimedAudiences } from "./access-audiences.ts";
export { loginAudience } from "./login-audience.ts";
export {
  type JwksUri,
  jwksUriOf,
  keyFitsAlgorithms,
  repeatedKids,
  MAX_KEY_DOCUMENT_BYTES,
  MAX_KEYS,
  type PublicJwk,
  usableKeys,
} from "./issuer-key-set.ts";
export { countsTowardQuarantine, quarantineKeys } from "./quarantine.ts";
export { adminAnswersOn } from "./admin-host.ts";
export { crossOriginRequest } from "./cross-origin.ts";
export { credentialBehind, type CredentialKind, type CredentialSeen } from "./credential.ts";
export { countryOf } from "./country.ts";
export { DELIVERY_REASONS, statusFor, type DeliveryReason } from "./status.ts";
export {
  ADMIN_PREFIX,
  KEY_SET_PATH,
  ME_PATH,
  PORTAL_PATH,
  RESERVED_PREFIXES,
  SSF_EVENTS_PREFIX,
} from "./reserved-paths.ts";
export * from "./ssf/index.ts";
export * from "./websocket/index.ts";
export { SCOPE_TOKEN } from "./scope-token.ts";
export { derLength, minimalInteger, oneDerElement, strictDerTree } from "./der-length.ts";
