// The settings beside the routes, before and after (settings.ts): who may use the admin API, where identities
// come from, how long Access tokens count, which identity pairs a binding admits, and each service's hosts
// and settings. An entry added may let someone in and widens; one removed narrows, but for a few that leave
// someone in under another name (an identity source that renames a credential, a binding's pair past a deny).
// Both are listed.
import { hostChanges } from "./diff-hosts.ts";
import { serviceChanges } from "./diff-services.ts";
import type { ReachSettings, TokenLimits } from "./model.ts";
import type { SettingChange } from "./setting-change.ts";

function listChanges(
  kind: SettingChange["kind"],
  before: readonly string[],
  after: readonly string[],
  shown: (entry: string) => string = (entry) => entry,
): SettingChange[] {
  return [
    ...after.filter((x) => !before.includes(x)).map((x) => ({ kind, change: `+ ${shown(x)}`, widens: true })),
    ...before.filter((x) => !after.includes(x)).map((x) => ({ kind, change: `- ${shown(x)}`, widens: false })),
  ];
}

/** Seconds as a policy writes them: 24h, 7d, 90m. */
function duration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds > 86400) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * A longer token lifetime or age admits tokens that were refused before: a widening. No age limit is the
 * longest (a token counts until its `exp`). So does a longer device-posture age: a result that was unknown counts,
 * passing an allow rule's check, or failing a deny rule's that held while it was unknown. Without identity.access no token counts at all, so adding it is
 * listed with the identity sources (its team and audiences), and its limits are not compared.
 */
function tokenLimitChanges(before?: TokenLimits, after?: TokenLimits): SettingChange[] {
  if (!before || !after) return [];
  const limits = [
    ["people's token lifetime", before.lifetime, after.lifetime],
    ["service tokens' token lifetime", before.serviceTokenLifetime, after.serviceTokenLifetime],
    ["token age", before.age ?? Number.POSITIVE_INFINITY, after.age ?? Number.POSITIVE_INFINITY],
    ["device posture age", before.postureAge, after.postureAge],
  ] as const;
  return limits.flatMap(([what, o, n]) => {
    if (o === n) return [];
    const shown = (x: number) => (x === Number.POSITIVE_INFINITY ? "no limit" : duration(x));
    return [{ kind: "token limit" as const, change: `Access ${what}: ${shown(o)} -> ${shown(n)}`, widens: n > o }];
  });
}

/**
 * A pair added to a binding lets that pair through the allow rules that name the binding; a pair taken out
 * lets it past the deny rules that name it. Either way it widens only where such rules exist (in either
 * policy, to be safe); elsewhere it is listed as not widening. (A rule that names another binding is compared
 * as a rule: its condition `binding NAME` changed.)
 */
function bindingChanges(before: ReachSettings, after: ReachSettings): SettingChange[] {
  const nameOf = (change: string) => change.slice("+ binding ".length, change.indexOf(":"));
  const named = (effect: "allow" | "deny", binding: string) =>
    before.bindingsNamed[effect].includes(binding) || after.bindingsNamed[effect].includes(binding);
  return listChanges("binding", before.bindingPairs, after.bindingPairs).map((c) => ({
    ...c,
    widens: named(c.widens ? "allow" : "deny", nameOf(c.change)),
  }));
}

/** The issuer a token source's line is about, `iss ...` as token-settings.ts writes it. */
const TOKEN_ISSUER = /^Token issuer .* \((?:[^,()]*), iss (\S+)\)/;
const NAMES_SPIFFE_IDS = / names SPIFFE IDs in trust domain /;
const SPIFFE_FROM_CERTIFICATES = "mTLS SPIFFE IDs from certificates";

/**
 * Whether a source taken away leaves its credentials counting under another name, past the deny rules and
 * revocations that named them: a token issuer that stays (the same `iss`) but no longer names SPIFFE IDs (its
 * tokens are their subject, `subject:ISS#SUB`), or a registry mapping taken out while SPIFFE IDs are read from
 * certificates (the certificate is its URI SAN's SPIFFE ID). A source whose credentials stop counting gives
 * nobody more: a caller could always leave a credential out.
 */
function renames(removed: string, after: ReachSettings): boolean {
  if (removed.startsWith("mTLS registry ")) return after.identitySources.includes(SPIFFE_FROM_CERTIFICATES);
  if (!NAMES_SPIFFE_IDS.test(removed)) return false;
  const iss = TOKEN_ISSUER.exec(removed)?.[1];
  return iss === undefined || after.identitySources.some((line) => TOKEN_ISSUER.exec(line)?.[1] === iss);
}

/** An identity source added lets more credentials count: a widening. One taken away, where it renames (above). */
function identitySourceChanges(before: ReachSettings, after: ReachSettings): SettingChange[] {
  return listChanges("identity source", before.identitySources, after.identitySources).map((c) => ({
    ...c,
    widens: c.widens || renames(c.change.slice(2), after),
  }));
}

/** The changes beside the routes from OLD to NEW, in a fixed order. */
export function settingChanges(before: ReachSettings, after: ReachSettings): SettingChange[] {
  return [
    ...serviceChanges(before.services, after.services),
    ...hostChanges(before.services, after.services),
    ...listChanges("admin", before.admins, after.admins, (p) => `${p} may use the admin API`),
    ...identitySourceChanges(before, after),
    ...tokenLimitChanges(before.tokenLimits, after.tokenLimits),
    ...bindingChanges(before, after),
    ...securityEventChanges(before.securityEvents, after.securityEvents),
  ];
}

/**
 * A transmitter trusted, or its events, keys or audience changed: it can refuse people, never let anyone in,
 * so listed without widening. A poll endpoint added or changed is sent that transmitter's secret: that gives
 * something to someone new, and widens.
 */
function securityEventChanges(before: readonly string[], after: readonly string[]): SettingChange[] {
  return listChanges("security events", before, after).map((c) => ({
    ...c,
    widens: c.widens && /^\+ transmitter [^:]+: poll /.test(c.change),
  }));
}
