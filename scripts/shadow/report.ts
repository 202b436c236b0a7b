// `ward shadow report`: what the shadow candidate would have changed on real traffic, from decision logs.
// A request counts as "would newly deny" when the active policy allowed it and the candidate denies it, and
// "would newly allow" the other way round; requests both decide alike are only counted. Deny rules on trial
// (`mode: audit` on one rule) are reported apart: the requests each would have refused.
import { ruleOnTrial, STATE_REASONS, type DecisionLine } from "../../policy/index.ts";

const EXAMPLES = 3;

/** A decision the candidate was evaluated for too. */
type Shadowed = DecisionLine & { shadow: NonNullable<DecisionLine["shadow"]> };

export interface ChangeGroup {
  principal: string;
  requests: number;
  routes: string[];
  examples: string[];
}

export interface ShadowReport {
  shadow: string | null;
  activeVersions: string[];
  compared: number;
  unchanged: number;
  /**
   * Decisions with the candidate that were not the policy's own: a time-bounded grant, the denylist or an
   * unavailable store decided them, and would decide them the same way after a promote. Not compared.
   */
  decidedOutsideThePolicy: number;
  newlyDenied: { requests: number; identities: ChangeGroup[] };
  newlyAllowed: { requests: number; identities: ChangeGroup[] };
  /** Deny rules in audit mode (`mode: audit` on the rule): the requests each would have refused, in every log line. */
  rulesOnTrial: { rule: string; requests: number; identities: ChangeGroup[] }[];
}

/**
 * The deny rule on trial that an allowed request met, if any: allowed by a rule or by a time-bounded grant, then
 * `audit-would-deny` (policy/evaluate.ts, policy/grants.ts). A grant holder's request is one the rule would refuse
 * once enforced, as a grant never overrides a deny rule.
 */
function deniedOnTrialBy(record: DecisionLine): string | undefined {
  return ruleOnTrial(record) ? (record.wouldDeny?.rule ?? undefined) : undefined;
}

function rulesOnTrial(records: readonly DecisionLine[]): ShadowReport["rulesOnTrial"] {
  const byRule = new Map<string, { record: DecisionLine; route: string }[]>();
  for (const record of records) {
    const rule = deniedOnTrialBy(record);
    if (!rule) continue;
    const list = byRule.get(rule) ?? [];
    list.push({ record, route: record.route ?? "?" });
    byRule.set(rule, list);
  }
  return [...byRule.entries()]
    .map(([rule, list]) => ({ rule, ...group(list) }))
    .sort((a, b) => b.requests - a.requests || (a.rule < b.rule ? -1 : 1));
}

const hasShadow = (record: DecisionLine): record is Shadowed => record.shadow !== undefined;

function requestOf(record: DecisionLine): string {
  return record.method ? `${record.method} ${record.host ?? ""}${record.path ?? ""}` : `request ${record.requestId}`;
}

function group(records: readonly { record: DecisionLine; route: string }[]): {
  requests: number;
  identities: ChangeGroup[];
} {
  const byPrincipal = new Map<string, ChangeGroup>();
  for (const { record, route } of records) {
    const principal = record.principal ?? "anonymous";
    let g = byPrincipal.get(principal);
    if (!g) byPrincipal.set(principal, (g = { principal, requests: 0, routes: [], examples: [] }));
    g.requests++;
    if (!g.routes.includes(route)) g.routes.push(route);
    const example = requestOf(record);
    if (g.examples.length < EXAMPLES && !g.examples.includes(example)) g.examples.push(example);
  }
  const identities = [...byPrincipal.values()]
    .map((g) => ({ ...g, routes: g.routes.sort() }))
    .sort((a, b) => b.requests - a.requests || (a.principal < b.principal ? -1 : 1));
  return { requests: records.length, identities };
}

/** Reasons that come from the gateway's state, outside the policy: the shadow candidate is evaluated without them. */
const OUTSIDE_THE_POLICY: ReadonlySet<string> = new Set(STATE_REASONS);

function decidedOutsideThePolicy(record: DecisionLine): boolean {
  return record.reasons.some((r) => OUTSIDE_THE_POLICY.has(r));
}

/** When the line was decided, for "the latest" across several logs in any order (none or unparseable: earliest). */
function timeOf(record: DecisionLine): number {
  const t = record.time !== undefined ? Date.parse(record.time) : Number.NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * `version`: the candidate to report on, in full or its first 8 or more hex digits as the report prints it;
 * default the candidate of the latest decision (by time) that has one.
 */
export function shadowReport(records: readonly DecisionLine[], version?: string): ShadowReport {
  const withShadow = records.filter(hasShadow);
  const latest = withShadow.reduce<Shadowed | undefined>(
    (best, r) => (!best || timeOf(r) >= timeOf(best) ? r : best),
    undefined,
  );
  const named = version?.toLowerCase();
  const shadow = named
    ? (withShadow.map((r) => r.shadow.version).find((v) => v.startsWith(named)) ?? named)
    : latest
      ? latest.shadow.version
      : null;
  const ofCandidate = withShadow.filter((r) => r.shadow.version === shadow);
  const compared = ofCandidate.filter((r) => !decidedOutsideThePolicy(r));
  const denied: { record: DecisionLine; route: string }[] = [];
  const allowed: { record: DecisionLine; route: string }[] = [];
  for (const record of compared) {
    const s = record.shadow;
    const route = s.route ?? record.route ?? `${record.host ?? "?"} (no route)`;
    if (record.effect === "allow" && s.effect === "deny") denied.push({ record, route });
    else if (record.effect === "deny" && s.effect === "allow") allowed.push({ record, route });
  }
  return {
    shadow,
    activeVersions: [...new Set(compared.map((r) => r.policyVersion ?? "(none)"))].sort(),
    compared: compared.length,
    unchanged: compared.length - denied.length - allowed.length,
    decidedOutsideThePolicy: ofCandidate.length - compared.length,
    newlyDenied: group(denied),
    newlyAllowed: group(allowed),
    rulesOnTrial: rulesOnTrial(records),
  };
}

const short = (v: string | null) => (v ? v.slice(0, 12) : "(none)");

/** `title: N requests from M identities`, then each identity with its routes and a few examples. */
function groupLines(title: string, part: { requests: number; identities: ChangeGroup[] }): string[] {
  const lines = [
    `${title}: ${part.requests} request${part.requests === 1 ? "" : "s"} from ${part.identities.length} identit${part.identities.length === 1 ? "y" : "ies"}`,
  ];
  for (const g of part.identities) {
    lines.push(`  ${g.principal}  ${g.requests}  ${g.routes.join(", ")}`);
    for (const e of g.examples) lines.push(`      e.g. ${e}`);
  }
  return lines;
}

function trialLines(report: ShadowReport): string[] {
  return report.rulesOnTrial.flatMap((r) => groupLines(`deny rule ${r.rule} (mode: audit) would deny`, r));
}

export function shadowReportText(report: ShadowReport): string[] {
  if (!report.shadow)
    return ["no decisions with a shadow candidate in these logs (set one with ward shadow set)", ...trialLines(report)];
  const lines = [
    `shadow ${short(report.shadow)} against active ${report.activeVersions.map(short).join(", ") || "(none)"}: ${report.compared} decision${report.compared === 1 ? "" : "s"} compared, ${report.unchanged} unchanged` +
      (report.decidedOutsideThePolicy > 0
        ? ` (${report.decidedOutsideThePolicy} decided by a grant or the denylist, not compared)`
        : ""),
  ];
  lines.push(...groupLines("would newly deny", report.newlyDenied));
  lines.push(...groupLines("would newly allow", report.newlyAllowed));
  return [...lines, ...trialLines(report)];
}
