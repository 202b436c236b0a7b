// Reachability: every grant a policy makes (reach.ts), who reaches what (report.ts) and the semantic diff of
// two policies' grants (diff.ts), with principals named and compared as in principals.ts.
export type { DenyRule, Grant, Reach, ReachSettings, RouteInfo, ServiceSettings, TokenLimits } from "./model.ts";
export { normalizeMethods, type ReachMethod } from "./methods.ts";
export {
  describeConditions,
  principalContains,
  principalName,
  principalsMayOverlap,
  rulePrincipals,
} from "./principals.ts";
export { reach, type ReachOptions } from "./reach.ts";
export { unknownGrantTargets } from "./timed-grants.ts";
export {
  principalWidth,
  reachReport,
  type IdentityReach,
  type ReachReport,
  type ReachSummary,
  type RouteReach,
} from "./report.ts";
export { diffReach, diffWidens, type GrantChange, type GrantDelta, type GrantTerms, type PolicyDiff } from "./diff.ts";
export type { SettingChange } from "./setting-change.ts";
