// validate: every issue at once, each with a path, a stable code, a message and a hint where one helps.
// The schema catches shape; the checks below catch what a schema cannot (references, shadowing, overlap).
import type { z } from "zod";
import { formatPath, type Issue, type IssueCode } from "./issues.ts";
import { parsePathPattern } from "./path-pattern.ts";
import { describeMatcher, expandMatchers } from "./principals.ts";
import { PolicyDocument, type PrincipalMatcher, type Rule } from "./schema.ts";
import { didYouMean } from "./suggest.ts";
import { normaliseHex, trustDomainOf } from "./identity.ts";
import { canonicalJson } from "./hash.ts";
import { emailDomainOf } from "./email-address.ts";
import { ruleId } from "./compile.ts";

export type ValidationResult =
  | { ok: true; policy: PolicyDocument; issues: Issue[] }
  | { ok: false; policy?: undefined; issues: Issue[] };

/**
 * Headers a rule may not set: identity, hop-by-hop and framing headers only Ward controls, the ones frameworks
 * read as the "real" method, path, host or client address (the origin must serve the request the policy
 * decided), and credentials (a secret has no place in a policy document).
 */
const RESERVED_HEADER =
  /^(cf-|x-forwarded-|ward-|x-ward-|mf-|proxy-|x-original-|host$|connection$|te$|trailer$|upgrade$|keep-alive$|transfer-encoding$|content-length$|forwarded$|authorization$|cookie$|x-http-method(-override)?$|x-method-override$|x-rewrite-url$|x-real-ip$|true-client-ip$|x-client-ip$|x-cluster-client-ip$)/i;

/**
 * Headers a policy may not forward (`forwardHeaders`): the ones Ward or Cloudflare set, hop-by-hop and framing
 * headers, and the ones frameworks read as the "real" method, path, host or client address, or as a
 * framework-internal marker (x-middleware-subrequest, CVE-2025-29927). The origin must serve the request the
 * policy decided, and learn the caller only from Ward's assertion.
 */
const NEVER_FORWARDED_HEADER =
  /^(cf-|x-forwarded-|ward-|x-ward-|mf-|proxy-|x-original-|x-envoy-|host$|connection$|te$|trailer$|upgrade$|keep-alive$|transfer-encoding$|forwarded$|x-http-method(-override)?$|x-method-override$|x-rewrite-url$|x-real-ip$|true-client-ip$|x-client-ip$|client-ip$|x-cluster-client-ip$|x-originating-ip$|x-middleware-subrequest$)/i;

/** Names other auth proxies use to tell an app who called: an origin that reads one trusts whatever a client sends. */
const IDENTITY_LIKE_HEADER =
  /^(x-)?(auth-request-|pomerium-|authenticated-|webauth-|remote-user|user(-id|-name|-email|name)?$|email$|groups?$|roles?$|scopes?$|client-cert|ssl-client)/i;

function checkForwardHeaders(names: readonly string[] | undefined, at: string, out: Collector): void {
  names?.forEach((header, i) => {
    if (NEVER_FORWARDED_HEADER.test(header)) {
      out.add("error", "reserved-header", `${at}.forwardHeaders[${i}]`, `header "${header}" is set by Ward or Cloudflare, or overrides what the policy decided: it is never forwarded`);
    } else if (IDENTITY_LIKE_HEADER.test(header)) {
      out.add("warning", "identity-header-forwarded", `${at}.forwardHeaders[${i}]`, `"${header}" looks like a header that names the caller: any client can send it`, "an origin learns who called from Ward's assertion (ward-assertion), never from a header a client can set");
    }
  });
}

/** Matchers each side of bothFactors is compared with: the other side's kinds can never match there. */
const FACTOR_KINDS = {
  workload: ["spiffe", "spiffePrefix", "trustDomain"],
  access: ["email", "emailDomain", "group", "claims", "serviceToken"],
} as const;

function fromZod(issue: z.core.$ZodIssue, input: unknown): Issue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(issue.path, input);
      return issue.keys.map((key) => ({
        severity: "error" as const,
        code: "unknown-field" as const,
        path: formatPath([...issue.path, key]),
        message: `unknown field "${key}"`,
        hint: didYouMean(key, known),
      }));
    }
    case "invalid_type": {
      const missing = issue.message.includes("received undefined");
      return [
        {
          severity: "error",
          code: missing ? "missing-field" : "invalid-type",
          path,
          message: missing ? `required field is missing (expected ${issue.expected})` : issue.message,
        },
      ];
    }
    case "invalid_value":
      return [
        {
          severity: "error",
          code: "invalid-value",
          path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        },
      ];
    case "invalid_union": {
      const hint = unknownKeyHint(valueAt(input, issue.path), path) ?? unionHint(path);
      const found: Issue = { severity: "error", code: "invalid-value", path, message: unionMessage(path) };
      return [hint === undefined ? found : { ...found, hint }];
    }
    case "invalid_format":
    case "invalid_key":
      return [{ severity: "error", code: "invalid-format", path, message: issue.message }];
    case "too_small":
    case "too_big":
      return [{ severity: "error", code: "out-of-range", path, message: issue.message }];
    default:
      return [{ severity: "error", code: "invalid-value", path, message: issue.message }];
  }
}

function unionMessage(path: string): string {
  if (path.endsWith(".origin")) return "origin must be { tunnel: BINDING } (or { url, publicUrl: true })";
  if (/principals\[\d+\]$|(workload|access)\[\d+\]$|principalSets\.[^.]+\[\d+\]$/.test(path)) {
    return "not a principal matcher";
  }
  if (/issuers\[\d+\]$/.test(path)) return "an issuer is pinned by { ski } or { dn }, with its trustDomains";
  return "value does not match any allowed form";
}

function unionHint(path: string): string | undefined {
  if (/principals\[\d+\]$|(workload|access)\[\d+\]$|principalSets\.[^.]+\[\d+\]$/.test(path)) {
    return "use exactly one of spiffe, spiffePrefix, trustDomain, email, emailDomain, group, claims, serviceToken, authenticated, public, set";
  }
  return undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at = input;
  for (const key of path) at = at !== null && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

const UNION_KEYS: [RegExp, string[]][] = [
  [/\.origin$/, ["tunnel", "url", "publicUrl"]],
  [/issuers\[\d+\]$/, ["ski", "dn", "trustDomains"]],
  [/principals\[\d+\]$|(workload|access)\[\d+\]$|principalSets\.[^.]+\[\d+\]$/, ["spiffe", "spiffePrefix", "trustDomain", "email", "emailDomain", "group", "claims", "serviceToken", "authenticated", "public", "set"]],
];

/** For `{ tunel: X }` where a union of one-key objects was expected: did you mean "tunnel"? */
function unknownKeyHint(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const known = UNION_KEYS.find(([pattern]) => pattern.test(path))?.[1];
  if (!known) return undefined;
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const suggestion = didYouMean(key, known);
      return `unknown field "${key}"` + (suggestion ? `: ${suggestion}` : "");
    }
  }
  return undefined;
}

const KNOWN_KEYS: Record<string, string[]> = {
  "": ["version", "metadata", "identity", "principalSets", "identityBindings", "exceptions", "quarantine", "admin", "services"],
  metadata: ["environment", "trustDomains", "owners", "description"],
  identity: ["access", "mtls"],
  "identity.access": ["teamDomain", "audiences", "maxTokenLifetime", "serviceTokenMaxLifetime", "maxTokenAge"],
  "identity.mtls": ["required", "issuers", "spiffe", "registry"],
  issuers: ["ski", "dn", "trustDomains"],
  exceptions: ["maxDuration", "breakGlassMaxDuration"],
  service: ["hosts", "origin", "owner", "mode", "hide", "requireCertificate", "description", "routes"],
  route: ["id", "methods", "path", "pathPrefix", "rules", "description"],
  rule: ["id", "effect", "principals", "bothFactors", "when", "rateLimit", "headers", "description"],
  when: ["scopes", "claims", "time", "country", "devicePosture"],
  time: ["days", "hours", "notBefore", "notAfter"],
  rateLimit: ["limit", "period", "key", "failOpen"],
  bothFactors: ["workload", "access", "binding"],
};

function knownKeysAt(path: readonly PropertyKey[], _input: unknown): string[] {
  const names = path.filter((p) => typeof p === "string") as string[];
  const last = names[names.length - 1];
  const joined = names.join(".");
  if (KNOWN_KEYS[joined]) return KNOWN_KEYS[joined];
  if (names[0] === "services" && names.length === 2) return KNOWN_KEYS.service!;
  if (last && KNOWN_KEYS[last]) return KNOWN_KEYS[last];
  if (last === "routes") return KNOWN_KEYS.route!;
  if (last === "rules") return KNOWN_KEYS.rule!;
  return [];
}

/**
 * canonicalJson(a) === canonicalJson(b), without serialising in the common cases (checkShadowing compares
 * every pair of matchers of a route): one-key matchers of different kinds never serialise alike, and of
 * one kind with a string or boolean value they do exactly when the values are equal.
 */
function sameMatcher(a: PrincipalMatcher, b: PrincipalMatcher): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length === 1 && kb.length === 1) {
    const va = (a as Record<string, unknown>)[ka[0]!];
    const vb = (b as Record<string, unknown>)[kb[0]!];
    if (va !== undefined && vb !== undefined) {
      if (ka[0] !== kb[0]) return false;
      if (typeof va === "string" || typeof va === "boolean") return va === vb;
    }
  }
  return canonicalJson(a) === canonicalJson(b);
}

/** Does matcher `a` admit everyone matcher `b` admits? Conservative: false when unsure. */
function covers(a: PrincipalMatcher, b: PrincipalMatcher): boolean {
  if ("public" in a) return true;
  if ("authenticated" in a) return !("public" in b);
  if (sameMatcher(a, b)) return true;
  if ("trustDomain" in a) {
    // A prefix that stops inside the authority (`spiffe://prod`) also matches other trust domains (`prod.evil`).
    if ("spiffePrefix" in b) return b.spiffePrefix.startsWith(`spiffe://${a.trustDomain}/`);
    return "spiffe" in b && trustDomainOf(b.spiffe) === a.trustDomain;
  }
  if ("spiffePrefix" in a) {
    const id = "spiffe" in b ? b.spiffe : "spiffePrefix" in b ? b.spiffePrefix : undefined;
    return id !== undefined && id.startsWith(a.spiffePrefix);
  }
  if ("emailDomain" in a && "email" in b) return emailDomainOf(b.email) === a.emailDomain;
  return false;
}

function coversAll(a: readonly PrincipalMatcher[], b: readonly PrincipalMatcher[]): boolean {
  return b.length > 0 && b.every((mb) => a.some((ma) => covers(ma, mb)));
}

class Collector {
  readonly issues: Issue[] = [];
  add(severity: Issue["severity"], code: IssueCode, path: string, message: string, hint?: string): void {
    this.issues.push(hint === undefined ? { severity, code, path, message } : { severity, code, path, message, hint });
  }
}

function checkMatchers(
  doc: PolicyDocument,
  matchers: readonly PrincipalMatcher[],
  path: string,
  out: Collector,
): void {
  matchers.forEach((m, i) => {
    const at = `${path}[${i}]`;
    if ("set" in m) {
      if (!Object.hasOwn(doc.principalSets, m.set)) {
        out.add("error", "unknown-principal-set", at, `unknown principal set "${m.set}"`, didYouMean(m.set, Object.keys(doc.principalSets)));
      }
      return;
    }
    checkMatcherSource(doc, m, at, out);
  });
}

function checkMatcherSource(doc: PolicyDocument, m: PrincipalMatcher, at: string, out: Collector): void {
  const workload = "spiffe" in m || "spiffePrefix" in m || "trustDomain" in m;
  const access = "email" in m || "emailDomain" in m || "group" in m || "claims" in m || "serviceToken" in m;
  if (workload && !doc.identity.mtls) {
    out.add("error", "mtls-not-configured", at, `${describeMatcher(m)} needs identity.mtls`, "pin the client certificate issuers under identity.mtls");
  }
  if (access && !doc.identity.access) {
    out.add("error", "access-not-configured", at, `${describeMatcher(m)} needs identity.access`, "set identity.access.teamDomain and audiences");
  }
  if ("spiffePrefix" in m && !m.spiffePrefix.endsWith("/")) {
    // Without the '/', the prefix can end inside a segment, or inside the trust domain itself.
    const open = m.spiffePrefix;
    const lookalike = open.slice("spiffe://".length).includes("/") ? `${open}-other` : `${open}.evil.example`;
    out.add("warning", "open-spiffe-prefix", at, `"${open}" does not end in '/': it also matches "${lookalike}/..."`, `end it with '/': "${open}/"`);
  }
  const id = "spiffe" in m ? m.spiffe : "spiffePrefix" in m ? m.spiffePrefix : "trustDomain" in m ? `spiffe://${m.trustDomain}` : undefined;
  const domains = doc.metadata.trustDomains;
  if (id !== undefined && domains.length > 0) {
    const domain = trustDomainOf(id);
    if (domain !== undefined && !domains.includes(domain)) {
      out.add("warning", "spiffe-outside-trust-domain", at, `trust domain "${domain}" is not in metadata.trustDomains`, didYouMean(domain, domains));
    }
  }
}

function checkRule(doc: PolicyDocument, rule: Rule, path: string, out: Collector): void {
  if ((rule.principals === undefined) === (rule.bothFactors === undefined)) {
    out.add("error", "invalid-rule-principals", path, "a rule names who with exactly one of principals or bothFactors");
  }
  if (rule.principals) checkMatchers(doc, rule.principals, `${path}.principals`, out);
  if (rule.bothFactors) {
    for (const side of ["workload", "access"] as const) {
      const other = side === "workload" ? "access" : "workload";
      checkMatchers(doc, rule.bothFactors[side], `${path}.bothFactors.${side}`, out);
      rule.bothFactors[side].forEach((m, i) => {
        const kind = Object.keys(m)[0] as string;
        if ((FACTOR_KINDS[other] as readonly string[]).includes(kind)) {
          out.add("error", "invalid-rule-principals", `${path}.bothFactors.${side}[${i}]`, `${describeMatcher(m)} can never match on the ${side} side of bothFactors`, `move it to bothFactors.${other}`);
        }
      });
    }
    const binding = rule.bothFactors.binding;
    if (!Object.hasOwn(doc.identityBindings, binding)) {
      out.add("error", "unknown-identity-binding", `${path}.bothFactors.binding`, `unknown identity binding "${binding}"`, didYouMean(binding, Object.keys(doc.identityBindings)));
    }
  }
  if (rule.effect === "deny" && rule.rateLimit) {
    out.add("error", "rate-limit-on-deny", `${path}.rateLimit`, "a deny rule cannot carry a rate limit");
  }
  if (rule.effect === "deny" && rule.headers) {
    out.add("error", "headers-on-deny", `${path}.headers`, "a deny rule forwards nothing, so it cannot set headers");
  }
  for (const header of Object.keys(rule.headers ?? {})) {
    if (RESERVED_HEADER.test(header)) {
      out.add("error", "reserved-header", `${path}.headers.${header}`, `header "${header}" is reserved for Ward and Cloudflare`);
    }
  }
  const time = rule.when?.time;
  const hours = time?.hours;
  // 24:00 is the end of the day, so 24:00-00:00 wraps from the end of a day to its own start: nothing.
  if (hours && (hours.from === hours.to || (hours.from === "24:00" && hours.to === "00:00"))) {
    const why = hours.from === hours.to ? "from and to are equal: the window is empty" : "24:00 to 00:00 is empty: 24:00 is the end of the day";
    out.add("error", "invalid-time-window", `${path}.when.time.hours`, why, "omit hours for all day");
  }
  if (time?.notBefore && time.notAfter && Date.parse(time.notBefore) >= Date.parse(time.notAfter)) {
    out.add("error", "invalid-time-window", `${path}.when.time`, "notBefore is not before notAfter: the rule can never apply");
  }
}

/** Same effect, earlier, unconditional and admitting everyone the later rule admits: the later one never decides. */
function checkShadowing(doc: PolicyDocument, rules: readonly Rule[], path: string, out: Collector): void {
  const expanded = rules.map((r) => (r.principals ? expandMatchers(r.principals, doc.principalSets) : undefined));
  rules.forEach((rule, j) => {
    const mine = expanded[j];
    if (!mine) return;
    for (let i = 0; i < rules.length; i++) {
      const other = rules[i]!;
      const theirs = expanded[i];
      if (i === j || !theirs || other.when !== undefined) continue;
      const earlierSame = i < j && other.effect === rule.effect;
      const denyOverAllow = other.effect === "deny" && rule.effect === "allow";
      if ((earlierSame || denyOverAllow) && coversAll(theirs, mine)) {
        const why = denyOverAllow ? "is always overridden by deny rule" : "can never decide: it is shadowed by";
        out.add("warning", "shadowed-rule", `${path}[${j}]`, `rule "${ruleId(rule, j)}" ${why} "${ruleId(other, i)}"`, "remove it or narrow the earlier rule");
        return;
      }
    }
  });
}

function checkServices(doc: PolicyDocument, out: Collector): void {
  const hostOwner = new Map<string, string>();
  for (const [name, service] of Object.entries(doc.services)) {
    const at = `services.${name}`;
    service.hosts.forEach((host, i) => {
      const previous = hostOwner.get(host);
      if (previous !== undefined) {
        out.add("error", "overlapping-hosts", `${at}.hosts[${i}]`, `host "${host}" is already served by service "${previous}"`);
      } else {
        hostOwner.set(host, name);
      }
    });

    const origin = service.origin;
    if (typeof origin === "string") {
      const binding = /^[A-Z][A-Z0-9_]*$/.test(origin);
      out.add("error", "origin-not-tunnel", `${at}.origin`, binding ? `origin must be written { tunnel: ${origin} }` : `origin "${origin}" is not a tunnel binding`,
        binding ? undefined : "reach the origin through a Workers VPC service binding: { tunnel: BINDING }; a public URL needs { url, publicUrl: true }");
    } else if ("url" in origin) {
      out.add("warning", "public-origin", `${at}.origin`, `origin ${origin.url} has a routable address: callers can bypass Ward, and Ward forwards only through tunnel bindings, so allowed requests get 503`, "put the origin behind Cloudflare Tunnel and use { tunnel: BINDING }");
    }
    if (service.requireCertificate && !doc.identity.mtls) {
      out.add("error", "mtls-not-configured", `${at}.requireCertificate`, "the service requires a client certificate but identity.mtls is not set: every request would be refused", "pin the client certificate issuers under identity.mtls, or drop requireCertificate");
    }
    if (service.mode === "audit" && doc.metadata.environment === "production") {
      out.add("warning", "audit-in-production", `${at}.mode`, "service is in audit mode in production: denials are logged, not enforced");
    }

    checkForwardHeaders(service.forwardHeaders, at, out);

    const routeIds = new Map<string, number>();
    const patterns = new Map<string, { index: number; methods: readonly string[] }[]>();
    service.routes.forEach((route, r) => {
      const rat = `${at}.routes[${r}]`;
      if (routeIds.has(route.id)) {
        out.add("error", "duplicate-id", `${rat}.id`, `route id "${route.id}" is already used by routes[${routeIds.get(route.id)}]`);
      } else {
        routeIds.set(route.id, r);
      }
      checkForwardHeaders(route.forwardHeaders, rat, out);
      if ((route.path === undefined) === (route.pathPrefix === undefined)) {
        out.add("error", "invalid-path-pattern", rat, "a route has exactly one of path or pathPrefix");
      } else {
        const parsed = parsePathPattern(route.path ?? route.pathPrefix!, route.path === undefined);
        const field = route.path !== undefined ? "path" : "pathPrefix";
        const pattern = route.path ?? route.pathPrefix!;
        if (!parsed.ok) {
          out.add("error", "invalid-path-pattern", `${rat}.${field}`, parsed.message);
        } else if (RESERVED_PATHS.some((reserved) => pattern === reserved.slice(0, -1) || pattern.startsWith(reserved))) {
          out.add("error", "invalid-path-pattern", `${rat}.${field}`, `${pattern} is reserved for Ward itself (${RESERVED_PATHS.join(", ")})`, "choose another path");
        } else {
          // Istio, Envoy and many proxies read `*` as a wildcard; here it is a literal segment.
          if (pattern.split("/").some((segment) => segment.includes("*") && !/^\{\*\*?\}$/.test(segment))) {
            out.add("warning", "literal-star", `${rat}.${field}`, `"*" in ${pattern} is a literal character, not a wildcard`, "use {*} for one segment, {**} or pathPrefix for the rest of the path");
          }
          const same = patterns.get(parsed.key) ?? [];
          const clash = same.find((s) => s.methods.includes("*") || route.methods.includes("*") || s.methods.some((m) => route.methods.includes(m as never)));
          if (clash) {
            out.add("error", "duplicate-route", `${rat}.${field}`, `same path and method as routes[${clash.index}]`, "merge the rules into one route");
          }
          same.push({ index: r, methods: route.methods });
          patterns.set(parsed.key, same);
        }
      }

      const ruleIds = new Map<string, number>();
      route.rules.forEach((rule, k) => {
        const id = ruleId(rule, k);
        if (ruleIds.has(id)) out.add("error", "duplicate-id", `${rat}.rules[${k}].id`, `rule id "${id}" is already used by rules[${ruleIds.get(id)}]`);
        else ruleIds.set(id, k);
        checkRule(doc, rule, `${rat}.rules[${k}]`, out);
      });
      checkShadowing(doc, route.rules, `${rat}.rules`, out);
      if (route.rules.every((rule) => rule.effect === "deny")) {
        out.add("warning", "route-never-allows", rat, `route "${route.id}" has no allow rule`, "without it the route denies everyone (which default deny already does)");
      }
    });
  }
  // A wildcard host overlapping an exact host in another service makes ownership ambiguous.
  for (const [host, owner] of hostOwner) {
    if (!host.startsWith("*.")) continue;
    const suffix = host.slice(1);
    for (const [other, otherOwner] of hostOwner) {
      if (otherOwner !== owner && !other.startsWith("*.") && other.endsWith(suffix) && !other.slice(0, -suffix.length).includes(".")) {
        const i = doc.services[owner]!.hosts.indexOf(host);
        out.add("error", "overlapping-hosts", `services.${owner}.hosts[${i}]`, `wildcard "${host}" overlaps host "${other}" of service "${otherOwner}"`);
      }
    }
  }
}

/** Paths Ward answers itself on every host: the assertion keys and the admin API. */
const RESERVED_PATHS = ["/.well-known/ward/", "/.ward/"];

function checkAdmin(doc: PolicyDocument, out: Collector): void {
  if (!doc.admin) return;
  checkMatchers(doc, doc.admin.principals, "admin.principals", out);
  const everyone = (m: PrincipalMatcher) => "public" in m || "authenticated" in m;
  doc.admin.principals.forEach((m, i) => {
    // Through a set as well: `{ set: all }` with `authenticated` in it is everyone just the same.
    const members = "set" in m ? (Object.hasOwn(doc.principalSets, m.set) ? doc.principalSets[m.set]! : []) : [m];
    if (members.some(everyone)) {
      out.add("error", "invalid-value", `admin.principals[${i}]`, "the admin API needs named principals, not everyone", "name an Access group, a service token or a workload");
    }
  });
}

/** One certificate, one workload: a fingerprint listed twice would name two (colons and case do not count). */
function checkRegistry(doc: PolicyDocument, out: Collector): void {
  const seen = new Map<string, number>();
  doc.identity.mtls?.registry?.forEach((entry, i) => {
    const fingerprint = normaliseHex(entry.fingerprintSha256);
    const first = seen.get(fingerprint);
    if (first === undefined) seen.set(fingerprint, i);
    else out.add("error", "duplicate-fingerprint", `identity.mtls.registry[${i}].fingerprintSha256`, `the fingerprint of registry[${first}] again`, "list each certificate once, with the one id it stands for");
  });
}

/**
 * While SPIFFE IDs are read from certificates, each pinned CA names the trust domains it may issue for: else
 * any pinned CA (another team's, a partner's) could mint any trust domain's identities. A pin without the list
 * (a policy written for a Ward before the binding) may issue for metadata.trustDomains, or for none: a warning,
 * not an error, so that upgrading Ward does not make the stored policy unusable (every request 503) while the
 * pin still cannot mint outside the policy's own trust domains.
 */
function checkIssuers(doc: PolicyDocument, out: Collector): void {
  const mtls = doc.identity.mtls;
  if (!mtls) return;
  const domains = doc.metadata.trustDomains;
  mtls.issuers.forEach((pin, i) => {
    const at = `identity.mtls.issuers[${i}]`;
    if (!pin.trustDomains) {
      if (mtls.spiffe) {
        const example = domains.length > 0 ? domains.join(", ") : "prod.example.com";
        const fallback = domains.length > 0
          ? `so it may issue SPIFFE IDs for every trust domain in metadata.trustDomains (${domains.join(", ")})`
          : "and metadata.trustDomains is empty, so its certificates give no SPIFFE identity";
        out.add("warning", "issuer-trust-domains-missing", at, `the issuer does not name the trust domains it may issue for, ${fallback}`, `add trustDomains: [${example}] (only that CA's trust domains)`);
      }
      return;
    }
    pin.trustDomains.forEach((domain, j) => {
      if (domains.length > 0 && !domains.includes(domain)) {
        out.add("warning", "spiffe-outside-trust-domain", `${at}.trustDomains[${j}]`, `trust domain "${domain}" is not in metadata.trustDomains`, didYouMean(domain, domains));
      }
    });
  });
}

function checkPrincipalSets(doc: PolicyDocument, out: Collector): void {
  for (const [name, matchers] of Object.entries(doc.principalSets)) {
    matchers.forEach((m, i) => {
      const at = `principalSets.${name}[${i}]`;
      if ("set" in m) out.add("error", "invalid-value", at, "principal sets cannot include other sets", "list the members directly");
      else checkMatcherSource(doc, m, at, out);
    });
  }
}

/** The checks beyond the schema, on a document that has its shape. */
function checkDocument(doc: PolicyDocument): Issue[] {
  const out = new Collector();
  checkRegistry(doc, out);
  checkIssuers(doc, out);
  checkPrincipalSets(doc, out);
  checkAdmin(doc, out);
  checkServices(doc, out);
  return out.issues;
}

/**
 * When every schema issue lies inside some services, the document without those services may have the
 * schema's shape: checking it reports the rest of the policy's issues in the same run, rather than after the
 * schema errors are fixed. Anywhere else (metadata, identity, principal sets...) a broken part would make the
 * other checks report what is not wrong, such as references to a misspelt section: then only schema issues.
 */
function withoutBrokenServices(input: unknown, issues: readonly z.core.$ZodIssue[]): PolicyDocument | undefined {
  const broken = new Set<string>();
  for (const issue of issues) {
    const [section, name] = issue.path;
    if (section !== "services" || typeof name !== "string") return undefined;
    broken.add(name);
  }
  const doc = input as { services: Record<string, unknown> };
  const services = Object.fromEntries(Object.entries(doc.services).filter(([name]) => !broken.has(name)));
  const rest = PolicyDocument.safeParse({ ...doc, services });
  return rest.success ? rest.data : undefined;
}

export function validatePolicy(input: unknown): ValidationResult {
  const parsed = PolicyDocument.safeParse(input);
  if (!parsed.success) {
    const schemaIssues = parsed.error.issues.flatMap((issue) => fromZod(issue, input));
    const rest = withoutBrokenServices(input, parsed.error.issues);
    return { ok: false, issues: rest ? [...schemaIssues, ...checkDocument(rest)] : schemaIssues };
  }
  const issues = checkDocument(parsed.data);
  const errors = issues.some((i) => i.severity === "error");
  return errors ? { ok: false, issues } : { ok: true, policy: parsed.data, issues };
}
