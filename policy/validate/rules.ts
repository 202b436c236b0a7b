// One rule: who it names (principals or bothFactors, each side with the kinds that can match there), what an
// allow may carry that a deny may not, and a time window that is not empty.
import { instantMs } from "../instant.ts";
import { describeMatcher } from "../principals.ts";
import type { PolicyDocument, Rule } from "../schema.ts";
import { didYouMean } from "../suggest.ts";
import type { Collector } from "./collector.ts";
import { checkRuleHeaders } from "./headers.ts";
import { checkMatchers } from "./principals.ts";

/** Matchers each side of bothFactors is compared with: the other side's kinds can never match there. */
const FACTOR_KINDS = {
  workload: ["spiffe", "spiffePrefix", "trustDomain"],
  access: ["email", "emailDomain", "group", "claims", "serviceToken"],
} as const;

export function checkRule(doc: PolicyDocument, rule: Rule, path: string, out: Collector): void {
  if ((rule.principals === undefined) === (rule.bothFactors === undefined)) {
    out.add("error", "invalid-rule-principals", path, "a rule names who with exactly one of principals or bothFactors");
  }
  if (rule.principals) checkMatchers(doc, rule.principals, `${path}.principals`, out);
  if (rule.bothFactors) checkBothFactors(doc, rule.bothFactors, `${path}.bothFactors`, out);
  if (rule.effect === "deny" && rule.rateLimit) {
    out.add("error", "rate-limit-on-deny", `${path}.rateLimit`, "a deny rule cannot carry a rate limit");
  }
  if (rule.effect === "allow" && rule.mode !== undefined) {
    out.add(
      "error",
      "audit-on-allow-rule",
      `${path}.mode`,
      "mode is for deny rules: an audited deny is logged and not enforced; an allow rule has nothing to try",
      "remove mode, or put the service in audit mode to try a whole service",
    );
  }
  checkRuleHeaders(rule, path, out);
  checkTimeWindow(rule, path, out);
  checkCountries(rule, path, out);
}

/**
 * Cloudflare's XX (no country known) is read as an unknown country (policy/country.ts), as the gateway and `ward
 * explain` read it: listed, it never matches in an allow rule, and a deny rule with countries refuses requests
 * of unknown country already.
 */
function checkCountries(rule: Rule, path: string, out: Collector): void {
  const at = rule.when?.country?.indexOf("XX") ?? -1;
  if (at === -1) return;
  out.add(
    "warning",
    "unknown-country-code",
    `${path}.when.country[${at}]`,
    rule.effect === "allow"
      ? "XX is Cloudflare's code for no country known, read as an unknown country: an allow rule never matches it"
      : "XX is Cloudflare's code for no country known, read as an unknown country: a deny rule with countries already refuses those requests",
    "remove XX",
  );
}

function checkBothFactors(
  doc: PolicyDocument,
  both: NonNullable<Rule["bothFactors"]>,
  path: string,
  out: Collector,
): void {
  for (const side of ["workload", "access"] as const) {
    const other = side === "workload" ? "access" : "workload";
    checkMatchers(doc, both[side], `${path}.${side}`, out);
    both[side].forEach((m, i) => {
      const kind = Object.keys(m)[0] as string;
      if ((FACTOR_KINDS[other] as readonly string[]).includes(kind)) {
        out.add(
          "error",
          "invalid-rule-principals",
          `${path}.${side}[${i}]`,
          `${describeMatcher(m)} can never match on the ${side} side of bothFactors`,
          `move it to bothFactors.${other}`,
        );
      }
    });
  }
  // The workload side is the verified client certificate alone (a workload token is a bearer credential, not a
  // second factor): without identity.mtls it never holds, and a deny rule written with it never applies, token
  // issuers that name SPIFFE IDs or not. A version stored before this check loads as it did.
  if (!doc.identity.mtls && !out.stored) {
    out.add(
      "error",
      "mtls-not-configured",
      `${path}.workload`,
      "the workload side of bothFactors is the request's verified client certificate: without identity.mtls it never matches",
      "pin the client certificate issuers under identity.mtls (a workload token does not count as the workload factor)",
    );
  }
  if (!Object.hasOwn(doc.identityBindings, both.binding)) {
    out.add(
      "error",
      "unknown-identity-binding",
      `${path}.binding`,
      `unknown identity binding "${both.binding}"`,
      didYouMean(both.binding, Object.keys(doc.identityBindings)),
    );
  }
}

function checkTimeWindow(rule: Rule, path: string, out: Collector): void {
  const time = rule.when?.time;
  const hours = time?.hours;
  // 24:00 is the end of the day, so 24:00-00:00 wraps from the end of a day to its own start: nothing.
  if (hours && (hours.from === hours.to || (hours.from === "24:00" && hours.to === "00:00"))) {
    const why =
      hours.from === hours.to
        ? "from and to are equal: the window is empty"
        : "24:00 to 00:00 is empty: 24:00 is the end of the day";
    out.add("error", "invalid-time-window", `${path}.when.time.hours`, why, "omit hours for all day");
  }
  // Not for a version already stored: it passed as the Ward that took it read its instants, which misread ten or
  // more fraction digits (instant.ts). Loaded, a window that holds no millisecond only never applies.
  if (!out.stored && time?.notBefore && time.notAfter && instantMs(time.notBefore) >= instantMs(time.notAfter)) {
    out.add(
      "error",
      "invalid-time-window",
      `${path}.when.time`,
      "notBefore is not before notAfter (read to the millisecond, as a request's time is): the rule can never apply",
    );
  }
}
