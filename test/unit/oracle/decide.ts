// The oracle: evaluate()'s decision as docs/policy.md describes it, by a plain linear scan over the generated
// routes and rules (no trie, nothing of policy/ but canonicalTarget: see evaluate-oracle.property.test.ts).
import { canonicalTarget, type Identity } from "../../../policy/index.ts";
import type { Matcher, GenRule, GenRoute, GenPolicy } from "./random-policy.ts";
import type { GenRequest } from "./random-request.ts";
import { bestFitAloneReading, foldedReading } from "./target.ts";

// The oracle, from docs/policy.md

export type Seg = { kind: "literal"; value: string } | { kind: "param" } | { kind: "glob" };

export const patterns = new WeakMap<GenRoute, Seg[]>();

/** A route's pattern as segments: `pathPrefix: /a` is `path: /a/{**}` (one trailing `/` ignored). */
export function patternOf(route: GenRoute): Seg[] {
  let pattern = patterns.get(route);
  if (!pattern) patterns.set(route, (pattern = parsePattern(route)));
  return pattern;
}

export function parsePattern(route: GenRoute): Seg[] {
  const raw = route.path ?? route.pathPrefix!;
  let parts = raw.slice(1).split("/");
  if (route.pathPrefix !== undefined) {
    if (parts.at(-1) === "") parts = parts.slice(0, -1);
    parts.push("{**}");
  }
  return parts.map((p): Seg => {
    if (p === "{**}") return { kind: "glob" };
    if (/^\{(\*|[A-Za-z_][A-Za-z0-9_]*)\}$/.test(p)) return { kind: "param" };
    return { kind: "literal", value: p };
  });
}

/**
 * Case folding for caseInsensitivePaths: each character to upper case, then lower case, through the simple
 * (one character to one) mappings only; a character whose mapping is not one character stays.
 */
export function fold(s: string): string {
  let out = "";
  for (const c of s) {
    let u = c.toUpperCase();
    if ([...u].length !== 1) u = c;
    let l = u.toLowerCase();
    if ([...l].length !== 1) l = u;
    out += l;
  }
  return out;
}

/**
 * Whether the pattern matches the decoded segments, and if so its specificity key: per path segment 0 for a
 * literal, 1 for `{*}`, 2 for a `{**}` covering it, then one more entry for the end: 0 when the pattern ends
 * exactly there, 2 for a `{**}` (that matches zero segments there). Lower is more specific, compared left to
 * right ("Which route": a literal beats `{*}`, which beats a `{**}`; a deeper `{**}` beats a shallower one;
 * an exact match beats a `{**}` ending at the same place).
 */
export function matchKey(pattern: Seg[], segs: string[], caseInsensitive: boolean): number[] | undefined {
  const key: number[] = [];
  const norm = (s: string) => (caseInsensitive ? fold(s) : s);
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.kind === "glob") {
      for (let j = i; j < segs.length; j++) key.push(2);
      key.push(2);
      return key;
    }
    if (i >= segs.length) return undefined;
    const s = segs[i]!;
    if (p.kind === "literal") {
      if (norm(s) !== norm(p.value)) return undefined;
      key.push(0);
    } else {
      if (s === "") return undefined; // `{*}`: exactly one segment, not empty
      key.push(1);
    }
  }
  if (segs.length !== pattern.length) return undefined;
  key.push(0);
  return key;
}

export function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export const takes = (route: GenRoute, method: string) => route.methods.includes("*") || route.methods.includes(method);

/**
 * The spellings a deny rule reaches besides the path itself ("Path patterns"): the other trailing-slash
 * spelling, and the last segment cut at its first and at its last dot (`/admin.v2.html` as `/admin` and
 * `/admin.v2`), with either trailing-slash spelling. A cut that leaves an empty segment (`/.env`) is not
 * taken: the docs do not say, and `.env` has no format suffix in Rails' sense. And a script's path before its
 * PATH_INFO (`/admin.php/x` as `/admin.php`).
 */
export function spellings(segs: string[]): string[][] {
  if (segs.length === 1 && segs[0] === "") return [segs];
  const trailing = segs.length > 1 && segs.at(-1) === "";
  const core = trailing ? segs.slice(0, -1) : segs;
  const last = core.at(-1)!;
  const lasts = new Set([last]);
  const first = last.indexOf(".");
  const final = last.lastIndexOf(".");
  if (first > 0) lasts.add(last.slice(0, first));
  if (final > 0) lasts.add(last.slice(0, final));
  const out: string[][] = [];
  for (const l of lasts) {
    const base = [...core.slice(0, -1), l];
    out.push(base, [...base, ""]);
  }
  // PATH_INFO: a segment before the last with a dot after its first character may be the script a server runs
  // for the whole path (`/admin.php/x` runs `/admin.php`), with either trailing-slash spelling.
  for (let i = 0; i < core.length - 1; i++)
    if (core[i]!.indexOf(".", 1) !== -1) {
      const prefix = core.slice(0, i + 1);
      out.push(prefix, [...prefix, ""]);
    }
  return out;
}

export function wellFormedDomain(email: string): string | undefined {
  const parts = email.split("@");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return undefined;
  return parts[1]!.toLowerCase();
}

export function trustDomainOf(id: string): string | undefined {
  const m = /^spiffe:\/\/([^/]+)/.exec(id);
  return m?.[1];
}

export const anonymous = (id: Identity) => !id.workload && !id.user && !id.serviceToken && !id.workloadToken;

/**
 * "Principal matchers": a person, a service token and a workload; groups not fetched count as held by a deny
 * rule ("Missing facts fail closed") and as not held by an allow rule.
 */
export function matches(m: Matcher, id: Identity, deny: boolean, sets: Record<string, Matcher[]>): boolean {
  if ("set" in m) return sets[m.set]!.some((x) => matches(x, id, deny, sets));
  if ("public" in m) return true;
  if ("authenticated" in m) return !anonymous(id);
  if ("email" in m) return id.user !== undefined && id.user.email.toLowerCase() === m.email.toLowerCase();
  if ("emailDomain" in m) return id.user !== undefined && wellFormedDomain(id.user.email) === m.emailDomain;
  if ("group" in m) {
    if (!id.user) return false;
    return id.user.groups === undefined ? deny : id.user.groups.includes(m.group);
  }
  if ("serviceToken" in m) return id.serviceToken?.clientId === m.serviceToken;
  // A workload is named by its certificate or by its workload token's SPIFFE ID ("Principal matchers").
  const workloads = [id.workload?.id, id.workloadToken?.spiffeId].filter((w): w is string => w !== undefined);
  if ("spiffe" in m) return workloads.includes(m.spiffe);
  if ("spiffePrefix" in m) return workloads.some((w) => w.startsWith(m.spiffePrefix));
  return workloads.some((w) => trustDomainOf(w) === m.trustDomain);
}

export const applies = (rule: GenRule, id: Identity, sets: Record<string, Matcher[]>) =>
  rule.principals.some((m) => matches(m, id, rule.effect === "deny", sets));

export interface Expected {
  effect: "allow" | "deny";
  status: number;
  reasons: string[];
  /** The service's mode; `enforce` when no service was found. */
  mode: "enforce" | "audit";
  /** Either mode is accepted (the docs are ambiguous here). */
  modeEither?: boolean;
  service?: string;
  /** `service/route` once a route matched. */
  route?: string;
  /** The rule reported: exactly this one. */
  rule?: string;
  /** Or, for a deny from another route, one of these. */
  ruleAmong?: string[];
  /** What enforce mode would have answered (audit service), or the deny rule on trial. */
  wouldDeny?: { status: number; reasons: string[]; rule?: string; ruleAmong?: string[] };
  /** The principal's parts ("The decision"), in any order. */
  principal: string[];
  /**
   * A default deny (`no-matching-rule`) to which a deny rule on trial applies: that rule (or one of these). Not
   * part of evaluate's answer ("When nothing allows the request it is refused as usual"); what a grant that
   * lifts the denial must still record (grants-oracle.property.test.ts).
   */
  trial?: { rule?: string; ruleAmong?: string[] };
}

/** Letters the docs list as read differently by Java and .NET (`path-case-ambiguous`). */
export const CASE_AMBIGUOUS = /[\u0131\u0130\u017F\u1E9E\u03F4\u212A\u2126\u212B]/;

/**
 * "The decision": `workload:<id>` (once when certificate and token name it), `user:<e-mail, lower case>`,
 * `token:<client id>`, `subject:<token issuer>/<sub>` (a workload token naming no SPIFFE ID), or `anonymous`.
 */
export function principalOf(id: Identity): string[] {
  const token = id.workloadToken;
  const parts = [
    ...new Set([
      ...(id.workload ? [`workload:${id.workload.id}`] : []),
      ...(token?.spiffeId ? [`workload:${token.spiffeId}`] : []),
    ]),
    ...(token && !token.spiffeId ? [`subject:${token.issuer}/${token.subject}`] : []),
    ...(id.user ? [`user:${id.user.email.toLowerCase()}`] : []),
    ...(id.serviceToken ? [`token:${id.serviceToken.clientId}`] : []),
  ];
  return parts.length > 0 ? parts.sort() : ["anonymous"];
}

export function oracle(g: GenPolicy, req: GenRequest): Expected {
  const principal = principalOf(req.identity);
  // 1. Canonical target (the documented separate step; see the header comment).
  const canonical = canonicalTarget(req.method, req.host, req.path);
  if (!canonical.ok) return { effect: "deny", status: 400, reasons: ["bad-request"], mode: "enforce", principal };
  const { host, method, segments } = canonical.target;
  // 2. Host: exact first, then a `*.` wildcard one label up.
  let service = g.services.find((s) => s.hosts.includes(host));
  if (!service) {
    const dot = host.indexOf(".");
    if (dot > 0) service = g.services.find((s) => s.hosts.includes(`*.${host.slice(dot + 1)}`));
  }
  if (!service) return { effect: "deny", status: 404, reasons: ["host-not-found"], mode: "enforce", principal };
  const base = { mode: service.mode ?? "enforce", service: service.name, principal } as const;
  const ci = service.caseInsensitivePaths === true;
  // `path-case-ambiguous`: bad-request, in every mode. Which `mode` the decision then reports is ambiguous:
  // "The decision" says the service's, "Audit mode" says such refusals happen with "no service whose mode could
  // apply", and evaluate reports `enforce` (while naming the service). Either is accepted.
  if (ci && segments.some((s) => CASE_AMBIGUOUS.test(s))) {
    return { effect: "deny", status: 400, reasons: ["bad-request"], ...base, modeEither: true };
  }

  const id = req.identity;
  // "Letters an origin may fold": the docs' list of readings, each segment: folded, NFC, NFD, NFKC, NFKD, best-fit alone,
  // NFKC then best-fit alone; at a caseInsensitivePaths service also of the case-folded path, each repeated with
  // case folding until nothing changes (matchKey compares them case-folded there).
  const READINGS: ((segment: string) => string)[] = [
    foldedReading,
    (x) => x.normalize("NFC"),
    (x) => x.normalize("NFD"),
    (x) => x.normalize("NFKC"),
    (x) => x.normalize("NFKD"),
    bestFitAloneReading,
    (x) => bestFitAloneReading(x.normalize("NFKC")),
  ];
  // "one after another, up to four": every composition of the readings (at such a service each followed by case
  // folding, and case folding a step of its own), from the path as written. Kept as a set of distinct spellings.
  const steps = ci ? [...READINGS.map((read) => (x: string) => fold(read(x))), fold] : READINGS;
  const spelt = new Map<string, string[]>([[segments.join("/"), segments]]);
  if (segments.some((x) => /[^\x00-\x7f]/.test(x))) {
    let frontier = [segments];
    for (let depth = 0; depth < 4 && spelt.size <= 64; depth++) {
      const next: string[][] = [];
      for (const spelling of frontier)
        for (const read of steps) {
          const result = spelling.map(read);
          if (spelt.has(result.join("/"))) continue;
          spelt.set(result.join("/"), result);
          next.push(result);
        }
      frontier = next;
    }
  }
  spelt.delete(segments.join("/"));
  if (ci) spelt.delete(segments.map(fold).join("/"));
  const folded = [...spelt.values()];
  // "A path that gives more than 64 spellings is refused" as path-letters-ambiguous.
  if (folded.length > 64) return { effect: "deny", status: 400, reasons: ["bad-request"], ...base, modeEither: true };
  // `path-letters-ambiguous`: a folded spelling is decided by a route that the written path does not match (any
  // route, whatever its methods; whether a route decides the written one or not): bad-request in every mode,
  // before the certificate is asked for. The mode reported is either, as for path-case-ambiguous.
  const decidedBy = (segs: string[]) =>
    service!.routes
      .map((route) => ({ route, key: matchKey(patternOf(route), segs, ci) }))
      .filter((c): c is { route: GenRoute; key: number[] } => c.key !== undefined)
      .sort((a, b) => compareKeys(a.key, b.key))
      .find((c) => takes(c.route, method))?.route;
  for (const spelling of folded) {
    const other = decidedBy(spelling);
    if (other && matchKey(patternOf(other), segments, ci) === undefined)
      return { effect: "deny", status: 400, reasons: ["bad-request"], ...base, modeEither: true };
  }
  const refused = service.hide ? 404 : 403;
  const anon = anonymous(id);
  const name = (route: GenRoute) => `${service.name}/${route.id}`;
  const enforce = (): Expected => {
    // 3. Certificate, before any route is looked up.
    if (service.requireCertificate && !id.workload) {
      return { effect: "deny", status: 401, reasons: ["certificate-required"], ...base };
    }
    // 4. Route: most specific candidate that lists the method (HEAD is not GET here).
    const candidates = service.routes
      .map((route) => ({ route, key: matchKey(patternOf(route), segments, ci) }))
      .filter((c): c is { route: GenRoute; key: number[] } => c.key !== undefined)
      .sort((a, b) => compareKeys(a.key, b.key));
    const chosen = candidates.find((c) => takes(c.route, method))?.route;
    if (!chosen) {
      return anon
        ? { effect: "deny", status: 401, reasons: ["unauthenticated"], ...base }
        : { effect: "deny", status: 404, reasons: ["route-not-found"], ...base };
    }
    const route = name(chosen);
    // 5. Rules: the deny rules of every route whose pattern matches (any spelling deny rules reach, of the path as
    // written and as folded) and which takes the method (or GET, for a HEAD).
    const spelt = [...spellings(segments), ...folded.flatMap(spellings)];
    const reaching = service.routes.filter(
      (r) =>
        (takes(r, method) || (method === "HEAD" && takes(r, "GET"))) &&
        spelt.some((s) => matchKey(patternOf(r), s, ci) !== undefined),
    );
    const applyingDenies = (enforced: boolean) =>
      reaching.flatMap((r) =>
        r.rules
          .filter((x) => x.effect === "deny" && (x.mode !== "audit") === enforced && applies(x, id, g.sets))
          .map((x) => `${name(r)}/${x.id}`),
      );
    /** The chosen route's rules come first ("Every rule of the route is evaluated, in order, and then ..."). */
    const reported = (enforced: boolean, among: string[]) => {
      const own = chosen.rules.find(
        (x) => x.effect === "deny" && (x.mode !== "audit") === enforced && applies(x, id, g.sets),
      );
      return own ? { rule: `${route}/${own.id}` } : { ruleAmong: among };
    };
    const enforced = applyingDenies(true);
    if (enforced.length > 0) {
      return {
        effect: "deny",
        status: refused,
        reasons: ["denied-by-rule"],
        route,
        ...reported(true, enforced),
        ...base,
      };
    }
    const allow = chosen.rules.find((x) => x.effect === "allow" && applies(x, id, g.sets));
    if (allow) {
      const trial = applyingDenies(false);
      return {
        effect: "allow",
        status: 200,
        reasons: trial.length > 0 ? ["allowed-by-rule", "audit-would-deny"] : ["allowed-by-rule"],
        route,
        rule: `${route}/${allow.id}`,
        ...(trial.length > 0
          ? { wouldDeny: { status: refused, reasons: ["denied-by-rule"], ...reported(false, trial) } }
          : {}),
        ...base,
      };
    }
    if (anon) return { effect: "deny", status: 401, reasons: ["unauthenticated"], route, ...base };
    const trial = applyingDenies(false);
    return {
      effect: "deny",
      status: refused,
      reasons: ["no-matching-rule"],
      route,
      ...(trial.length > 0 ? { trial: reported(false, trial) } : {}),
      ...base,
    };
  };
  const decided = enforce();
  if (decided.effect === "allow") return decided;
  const denial = decided;
  // 7. Audit mode: a deny from steps 3 to 6 becomes an allow, reasons `audit-would-deny` then the original ones.
  if (service.mode === "audit") {
    const { status, reasons, rule, ruleAmong, ...rest } = denial;
    return {
      ...rest,
      effect: "allow",
      status: 200,
      reasons: ["audit-would-deny", ...reasons],
      wouldDeny: { status, reasons, ...(rule ? { rule } : {}), ...(ruleAmong ? { ruleAmong } : {}) },
    };
  }
  return denial;
}
