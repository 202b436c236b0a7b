// The oracle of the admin API's generated differential (admin-differential.test.ts), written from
// docs/operations.md ("The admin API"), docs/policy.md (where a token is taken from) and docs/architecture.md
// (Ward's own paths), not from the code: what each generated case must be answered.
import { ENDPOINTS, type Case, type Fixtures, pathOf, bodyText } from "./admin-cases.ts";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** What the docs say a request at this path is, as Ward reads paths (docs/policy.md, canonical targets). */
type Target =
  | { kind: "endpoint" } // the endpoint itself (an encoded unreserved character is that character)
  | { kind: "admin-other" } // under /.ward/admin/ but no endpoint there
  | { kind: "bad" } // a spelling the gateway refuses: 400
  | { kind: "elsewhere" }; // another path: the gateway's, by the policy

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** The path with each percent-encoded unreserved character decoded (RFC 3986 6.2.2.2: the same path). */
const normalised = (path: string) =>
  path.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
    const ch = String.fromCharCode(parseInt(h, 16));
    return UNRESERVED.test(ch) ? ch : m;
  });

function targetOf(c: Case, path: string, exact: string): Target {
  const read = normalised(path);
  if (read === exact) return { kind: "endpoint" };
  if (c.endpoint.own === undefined && (read === "/.ward/admin" || read.startsWith("/.ward/admin/")))
    return { kind: "admin-other" };
  const segments = path.split("/").slice(1);
  if (
    segments.slice(0, -1).some((s) => s === "") ||
    segments.some((s) => s === "." || s === "..") ||
    path.includes(";") ||
    /%(2F|5C|2E|25|3B)/i.test(path)
  )
    return { kind: "bad" };
  return { kind: "elsewhere" };
}

type Who = "anonymous" | "admin" | "non-admin" | "revoked";

/** Whose identity the request carries, as docs/policy.md says tokens are taken (and where workload tokens count). */
function whoOf(c: Case): Who {
  const crossOrigin = (() => {
    switch (c.browser) {
      case "cross-site-fetch":
      case "same-site-fetch":
      case "cross-site-form":
      case "origin-evil":
      case "origin-null":
        return true;
      default:
        return false;
    }
  })();
  const stateChanging = !SAFE.has(c.method);
  const tokenCounts = !(stateChanging && crossOrigin);
  switch (c.caller) {
    case "none":
      return "anonymous";
    case "admin-header":
    case "admin-header-other-cookie": // the header is the one token read
      return tokenCounts ? "admin" : "anonymous";
    case "admin-cookie":
      return tokenCounts && !stateChanging ? "admin" : "anonymous";
    case "admin-two-cookies":
    case "admin-header-twice":
      return "anonymous";
    case "person-header":
      return tokenCounts ? "non-admin" : "anonymous";
    case "person-cookie":
      return tokenCounts && !stateChanging ? "non-admin" : "anonymous";
    case "revoked-admin":
      return tokenCounts ? "revoked" : "anonymous";
    case "service-admin":
      return tokenCounts ? "admin" : "anonymous";
    case "service-other":
      return tokenCounts ? "non-admin" : "anonymous";
    case "admin-expired":
    case "admin-wrong-aud":
    case "admin-forged":
      return "anonymous";
    // A browser presents a client certificate by itself too: a change another origin's page asks for is
    // nobody's (docs/operations.md, "The admin API").
    case "cert-admin":
      return tokenCounts ? "admin" : "anonymous";
    case "cert-other":
      return tokenCounts ? "non-admin" : "anonymous";
    case "cert-none":
      return "anonymous";
    case "workload-token":
      // Counts only at a service's audience: payments (docs/workload-tokens.md, `no-service`).
      return canonical(c.host.host) === "payments.localhost" ? "non-admin" : "anonymous";
  }
}

function canonical(host: string): string {
  return host.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
}

export interface Expected {
  /** Acceptable statuses. */
  statuses: number[];
  /** The answer is a refusal: generic body, no state change, no origin. */
  refused: boolean;
  /** May reach an origin (a path the gateway forwards by the policy). */
  mayForward: boolean;
  /** May change state (an admitted admin's write). */
  mayChange: boolean;
  why: string;
}

export const refusal = (status: number, why: string): Expected => ({
  statuses: [status],
  refused: true,
  mayForward: false,
  mayChange: false,
  why,
});

/** What an admitted admin's exact call gives, from the tables in docs/operations.md. */
function admittedAnswer(c: Case): Expected {
  const ok = (statuses: number[], mayChange: boolean, why: string): Expected => ({
    statuses,
    refused: false,
    mayForward: false,
    mayChange,
    why,
  });
  const method = c.method === "HEAD" ? "GET" : c.method;
  // The endpoint at this path for this method (one path may have several: GET and PUT /policy).
  const endpoint = ENDPOINTS.find((e) => e.own === undefined && e.sub === c.endpoint.sub && e.method === method);
  if (!endpoint) return ok([404], false, "admin: no such endpoint for the method");
  const sameBody = endpoint === c.endpoint || (c.endpoint.name === "push-stale" && endpoint.name === "push");
  if (!sameBody) {
    // Another endpoint's body (or none) sent to this one: refused as a body, unless it takes none.
    const remapped = admittedAnswer({ ...c, endpoint });
    const mismatched =
      endpoint.body && ["valid", "text-plain", "duplicate"].includes(c.body) && !["GET", "HEAD"].includes(c.method);
    return mismatched ? ok([400, 422], false, "admin: another endpoint's body") : remapped;
  }
  const name = c.endpoint.name;
  const needsBody = c.endpoint.body === true;
  const bodyless = c.method === "GET" || c.method === "HEAD";
  if (needsBody && !bodyless) {
    switch (c.body) {
      case "none":
      case "malformed":
        return ok([400], false, "admin: no JSON body");
      case "huge":
        return ["push", "push-stale", "shadow-set"].includes(name)
          ? ok([422], false, "admin: message too long")
          : ok([413], false, "admin: body too large");
      case "proto":
        return ok([422], false, "admin: unknown member __proto__ (strict)");
      case "duplicate":
        return ok([400], false, "admin: a member named twice");
      case "text-plain":
      case "valid":
        break;
    }
  }
  switch (name) {
    case "policy":
    case "version":
    case "grants":
    case "grant-events":
    case "denylist":
      return ok([200], false, "admin: read");
    case "unknown":
    case "root":
      return ok([404], false, "admin: no such endpoint");
    case "ssf-verification":
    case "ssf-status":
    case "ssf-poll":
      return ok([404], false, "admin: no transmitter in the policy");
    case "push":
      return ok([200, 409], true, "admin: push");
    case "push-stale":
      return ok([409], false, "admin: push from a stale version");
    case "rollback":
      return ok([200, 409], true, "admin: rollback");
    case "shadow-set":
    case "shadow-clear":
      return ok([200], true, "admin: shadow");
    case "promote":
      return ok([200, 409], true, "admin: promote");
    case "exception":
    case "breakglass":
    case "revoke":
      return ok([201], true, "admin: create");
    case "grant-revoke":
    case "lift":
      return ok([200, 404, 409], true, "admin: end");
    default:
      throw new Error(name);
  }
}

export function expected(c: Case, f: Fixtures): Expected {
  const path = pathOf(c, f);
  const exact = pathOf({ ...c, spelling: "exact" }, f);
  const target = targetOf(c, path, exact);
  const hostKind = c.host.kind;
  const who = whoOf(c);
  const own = c.endpoint.own;
  const bodyless = c.method === "GET" || c.method === "HEAD";
  const sendsBody = bodyText(c, f) !== undefined;
  // Anything the gateway reads: a bad spelling is 400, on any host (and a GET with a body is one too).
  // A revoked caller is refused by the gateway whatever the request (403).
  const revoked = who === "revoked" ? [403] : [];
  const gateway = (why: string): Expected => {
    if (target.kind === "bad" || hostKind === "invalid" || hostKind === "hostile")
      return {
        statuses: [400, ...revoked],
        refused: true,
        mayForward: false,
        mayChange: false,
        why: `gateway: ${why}, bad`,
      };
    if (hostKind === "admin")
      return { ...refusal(404, `gateway: ${why}, no service`), statuses: [400, 404, ...revoked] };
    return { statuses: [], refused: false, mayForward: true, mayChange: false, why: `gateway: ${why}, by the policy` };
  };
  // A request.url that does not parse: "400 host-invalid instead of a 500" (operations.md), on every path. The
  // gateway decides it, so a revoked caller is refused as revoked there too (403).
  if (hostKind === "hostile") return { ...refusal(400, "a Host that is no host"), statuses: [400, ...revoked] };
  if (own === undefined) {
    if (target.kind === "bad" || target.kind === "elsewhere") return gateway("not the admin API");
    // Under /.ward/admin/: the admin API, on every method.
    if (hostKind !== "admin") return refusal(404, "admin API on a service's host");
    if (who === "anonymous") return refusal(401, "admin API: no identity");
    if (who === "non-admin" || who === "revoked") return refusal(403, `admin API: ${who}`);
    if (target.kind === "admin-other") return { ...refusal(404, "admin: no such endpoint"), refused: false };
    return admittedAnswer(c);
  }
  // Ward's own pages and keys: GET (and HEAD) of the exact path; anything else is the gateway's.
  if (own === "ssf") {
    // The receiver takes any one segment after its prefix as a transmitter's name (`nobody;x=1` included), and
    // answers as RFC 8935 says (`{ err, description }`).
    const read = normalised(path);
    const oneSegment = /^\/\.ward\/ssf\/events\/[^/]+$/.test(read) && !/%2F/i.test(read);
    if (target.kind !== "endpoint" && !oneSegment) return gateway("not the receiver");
    return {
      statuses: [400, 401, 404, 405],
      refused: false,
      mayForward: false,
      mayChange: false,
      why: "ssf: no transmitter",
    };
  }
  if (!(c.method === "GET" || c.method === "HEAD") || target.kind !== "endpoint")
    return gateway(`${own} by ${c.method}`);
  if (bodyless && sendsBody) return gateway("GET with a body");
  if (own === "jwks") return { statuses: [200], refused: false, mayForward: false, mayChange: false, why: "key set" };
  const pageMade = ["same-origin-fetch", "cross-site-fetch", "same-site-fetch"].includes(c.browser);
  if (hostKind === "service" && pageMade) return refusal(404, `${own}: made by a page on a service's host`);
  if (who === "anonymous") {
    const navigation =
      hostKind !== "invalid" && c.method === "GET" && (c.browser === "navigation" || c.browser === "cross-site-form");
    return navigation
      ? { statuses: [302], refused: false, mayForward: false, mayChange: false, why: `${own}: to the login` }
      : refusal(401, `${own}: no identity`);
  }
  if (who === "revoked") return refusal(403, `${own}: revoked`);
  return { statuses: [200], refused: false, mayForward: false, mayChange: false, why: `${own}: standing` };
}
