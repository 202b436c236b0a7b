// The grants oracle: what time-bounded grants (exceptions and break-glass) do to a decision, as the docs say
// (docs/operations.md "Exceptions and break-glass", docs/policy.md `exceptions`, "Reasons and status", "A deny
// rule on trial", WebSockets, docs/origin-assertion.md): each rule is cited from them, not taken from
// policy/grants.ts. It takes evaluate's decision from the evaluate oracle (decide.ts), lays the denylist, an
// upgrade and the grants over it, and says which grant applies and whose use is spent.
import { canonicalTarget, type Identity } from "../../../policy/index.ts";
import { type Expected, oracle, wellFormedDomain } from "./decide.ts";
import type { GenPolicy, GenRoute } from "./random-policy.ts";
import type { GenRequest } from "./random-request.ts";

/** A grant as its Durable Object holds it: the record's terms and the uses counted so far. */
export interface GenGrant {
  id: string;
  kind: "exception" | "break-glass";
  /** One matcher; a kind other than a named identity or group is one an earlier Ward stored. */
  principal: Record<string, unknown>;
  service: string;
  routes: string[] | "*";
  methods: string[] | "*";
  notBefore: number;
  notAfter: number;
  maxUses?: number;
  /** Uses spent: the grant is used up once they reach maxUses. */
  uses: number;
  /**
   * The uses an isolate's copy last read, when other requests have spent more since (the copy is re-read every few
   * seconds): it may still think the grant has uses left. The store's count is the one that holds ("Use limits are
   * exact: a grant with maxUses is counted in its Durable Object").
   */
  copiedUses?: number;
}

/** What the denylist says of an identified caller (an anonymous one is never looked up). */
export type Listing = "clear" | "revoked" | "quarantined" | "unknown";

export interface GrantCase {
  request: GenRequest;
  /** `websocket`: a GET with `Upgrade: websocket`; `other`: any other upgrade. */
  upgrade: "none" | "websocket" | "other";
  /** A browser made the upgrade from another origin's page. */
  crossOrigin: boolean;
  listing: Listing;
  grants: GenGrant[];
  /** The grants' Durable Object cannot be reached to count a use (the isolate's copy is in hand). */
  storeDown: boolean;
  now: number;
}

export interface GrantExpected {
  effect: "allow" | "deny";
  status: number;
  reasons: string[];
  /** The grant applied (the decision's `exception.id`); absent when none applies. */
  grant?: string;
  /** The grant whose use is spent, when it has a limit. */
  consumes?: string;
  /** How many grants covered the request, and how many the isolate's copy offered before the one applied. */
  covered?: { grants: number; stale: number };
  wouldDeny?: { status: number; reasons: string[]; rule?: string; ruleAmong?: string[] };
}

const REFUSED_BY_LIST = { revoked: 403, quarantined: 403, unknown: 503 } as const;
const LIST_REASON = { revoked: "revoked", quarantined: "quarantined", unknown: "denylist-unavailable" } as const;

/** "What a grant is": one principal, `spiffe://...`, an e-mail, `token:ID` or `group:NAME`; nothing else. */
export const NAMED_KINDS = ["spiffe", "email", "serviceToken", "group"];

/**
 * Whether the grant's principal names the caller: as the same matcher in an allow rule would (policy.md
 * "Principal matchers"): an e-mail case-insensitively and only a well-formed one, a service token exactly, a
 * workload by its certificate or its workload token's SPIFFE ID, a group only when the person's groups are known.
 */
export function grantNames(principal: Record<string, unknown>, id: Identity): boolean {
  const kinds = Object.keys(principal);
  if (kinds.length !== 1 || !NAMED_KINDS.includes(kinds[0]!)) return false;
  const value = principal[kinds[0]!];
  if (typeof value !== "string") return false;
  if ("email" in principal)
    return id.user !== undefined && wellFormedDomain(id.user.email) !== undefined && same(id.user.email, value);
  if ("group" in principal) return id.user?.groups?.includes(value) === true;
  if ("serviceToken" in principal) return id.serviceToken?.clientId === value;
  return id.workload?.id === value || id.workloadToken?.spiffeId === value;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function routeOf(g: GenPolicy, route: string | undefined): GenRoute | undefined {
  if (route === undefined) return undefined;
  const [service, id] = route.split("/");
  return g.services.find((s) => s.name === service)?.routes.find((r) => r.id === id);
}

/**
 * WebSockets: an upgrade is decided like any request, then refused (403, or 404 at a hidden service, in every
 * mode, after the rules) unless it is a WebSocket upgrade on a route with `websocket` from the app's own page. A
 * denial stands as it is.
 */
function withUpgrade(g: GenPolicy, c: GrantCase, d: GrantExpected & { route?: string; service?: string }) {
  if (c.upgrade === "none" || d.effect === "deny") return d;
  const carried = c.upgrade === "websocket" && routeOf(g, d.route)?.websocket === true;
  const reason = !carried ? "upgrade-not-allowed" : c.crossOrigin ? "upgrade-cross-origin" : undefined;
  if (!reason) return d;
  const hidden = g.services.find((s) => s.name === d.service)?.hide === true;
  return { effect: "deny" as const, status: hidden ? 404 : 403, reasons: [reason], route: d.route, service: d.service };
}

/** "A grant lifts only a denial that no rule caused (`no-matching-rule`)", in audit mode the one it would be. */
function liftable(d: Expected | GrantExpected): boolean {
  if (d.effect === "deny") return d.reasons[0] === "no-matching-rule";
  return d.reasons[0] === "audit-would-deny" && d.wouldDeny?.reasons[0] === "no-matching-rule";
}

/**
 * "for its principal, service, routes and methods, inside its window": [notBefore, notAfter) compared with the
 * request's instant ("Expiry is exact"), and never once its uses are spent.
 */
export function covers(grant: GenGrant, e: Expected, id: Identity, method: string, now: number): boolean {
  if (!(grant.notBefore <= now && now < grant.notAfter)) return false;
  if (grant.maxUses !== undefined && grant.uses >= grant.maxUses) return false;
  if (e.service !== grant.service || e.route === undefined) return false;
  const route = e.route.slice(e.service.length + 1);
  if (grant.routes !== "*" && !grant.routes.includes(route)) return false;
  if (grant.methods !== "*" && !grant.methods.includes(method)) return false;
  return grantNames(grant.principal, id);
}

/**
 * The decision with grants, for a request the evaluate oracle decides. `c.grants` are in the order they were
 * created: of several that cover the request, the first applies ("Use limits are exact").
 */
export function grantOracle(g: GenPolicy, c: GrantCase): GrantExpected {
  const e = oracle(g, c.request);
  const canonical = canonicalTarget(c.request.method, c.request.host, c.request.path);
  const method = canonical.ok ? canonical.target.method : c.request.method;
  const anonymous = e.principal.length === 1 && e.principal[0] === "anonymous";
  // The denylist first: "a revoked or quarantined identity is refused whatever the policy says", and 503 while
  // the list cannot be read; no grant lifts either (it lifts only `no-matching-rule`).
  if (!anonymous && c.listing !== "clear")
    return { effect: "deny", status: REFUSED_BY_LIST[c.listing], reasons: [LIST_REASON[c.listing]] };
  const decided = withUpgrade(g, c, e);
  const plain = (d: GrantExpected): GrantExpected => ({
    effect: d.effect,
    status: d.status,
    reasons: d.reasons,
    ...(d.wouldDeny ? { wouldDeny: d.wouldDeny } : {}),
  });
  if (!liftable(decided)) return plain(decided);
  // A use limit is counted in the store before the request is forwarded: with the store unreachable, no grant
  // with a limit can let it through.
  const covering = c.grants.filter(
    (grant) => covers(grant, e, c.request.identity, method, c.now) && !(c.storeDown && grant.maxUses !== undefined),
  );
  // An upgrade the route does not carry is refused, a grant or not, before a use is spent on it ("an upgrade is
  // decided like any request ... refused ... after the rules"). The isolate's copy may not know of uses spent
  // since it was read, and a refusal asks nothing of the store: a grant the copy still has uses of leads to the
  // upgrade's refusal too (the status is the same either way).
  const asCopied = c.grants.filter((grant) =>
    covers({ ...grant, uses: grant.copiedUses ?? grant.uses }, e, c.request.identity, method, c.now),
  );
  if (asCopied.length > 0) {
    const upgraded = withUpgrade(g, c, {
      effect: "allow",
      status: 200,
      reasons: [],
      route: e.route,
      service: e.service,
    });
    if (upgraded.effect === "deny") return plain(upgraded);
  }
  if (covering.length === 0) return plain(decided);
  // A deny rule on trial that names the caller: a grant never overrides a deny rule, so once the rule is
  // enforced this request is refused; until then it goes on with `audit-would-deny` and `wouldDeny` naming the
  // rule (policy.md "A deny rule on trial"), which tells the origin (`ward_would_deny`) and `ward shadow report`.
  const refused = g.services.find((s) => s.name === e.service)?.hide ? 404 : 403;
  const trial = e.trial;
  const applied = covering[0]!;
  const granted: GrantExpected = {
    effect: "allow",
    status: 200,
    reasons: [applied.kind === "break-glass" ? "allowed-by-break-glass" : "allowed-by-exception"],
  };
  if (trial) {
    granted.reasons.push("audit-would-deny");
    granted.wouldDeny = { status: refused, reasons: ["denied-by-rule"], ...trial };
  }
  // One the copy thought had uses left, whose last use was spent since, gives way to the next: the use limit holds
  // in the store, and the grant after it covers the request all the same.
  const stale = asCopied.indexOf(applied);
  return {
    ...plain(granted),
    grant: applied.id,
    ...(applied.maxUses !== undefined ? { consumes: applied.id } : {}),
    covered: { grants: covering.length, stale },
  };
}
