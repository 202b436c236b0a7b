// Random requests for the evaluate() oracle: callers (people, service tokens, certificates, workload tokens,
// nobody) and paths built from the generated routes' patterns, with spellings that test canonicalisation.
import type { Identity } from "../../../policy/index.ts";
import {
  type Random,
  int,
  pick,
  chance,
  ALL_METHODS,
  type GenRoute,
  type GenPolicy,
  LITERALS,
} from "./random-policy.ts";

// Random requests

export const EMAILS = [
  "ann@example.com",
  "ANN@Example.COM",
  "bob@example.com",
  "carl@other.test",
  "dan@sub.example.com",
  "mallory@evil.io@example.com",
];
export const GROUPS = ["ops", "dev", "Ops"];
export const TOKENS = [
  "2acea42ebb5744d63ad3aad955ec50af.access",
  "25eeec44d2bb6c507e275f3b3e4276bb.access",
  "2ACEA42EBB5744D63AD3AAD955EC50AF.access",
];
export const WORKLOADS = [
  "spiffe://prod.example.com/ns/a/sa/x",
  "spiffe://prod.example.com/ns/a/sa/y",
  "spiffe://prod.example.com/ns/ab/sa/y",
  "spiffe://dev.example.com/ns/a/sa/x",
  "spiffe://dev.example.com.evil/ns/a/sa/x",
];
export const HOSTS = [
  "app.example.com",
  "APP.Example.com.",
  "app.example.com:8443",
  "a.w.example.com",
  "w.example.com",
  "a.b.w.example.com",
  "api.example.com",
  "nowhere.test",
];
export const EXTRA_SEGMENTS = [
  "q",
  "A",
  "ADMIN",
  "Admin",
  "É",
  "x.y.z",
  "admin.json",
  "v1.2",
  ".env",
  "%61dmin",
  "a%20b",
  "a%2Bb",
  "caf%C3%A9",
  // Letters an origin may fold onto the literals: fullwidth, a macron precomposed and combining, a ligature.
  "%EF%BD%81dmin",
  "%EF%BC%A1DMIN",
  "%C4%81",
  "a%CC%84",
  "%EF%BD%82",
  "v%EF%BC%91",
  // Greek alpha, which best-fit reads as a, and its capital, which it does not (but a lower-casing origin may).
  "%CE%B1dmin",
  "%CE%91DMIN",
];
/** Letters Java and .NET case-fold differently: refused at a caseInsensitivePaths service (docs). */
export const AMBIGUOUS = ["ı", "ſ", "K", "Å"];

export function user(r: Random): NonNullable<Identity["user"]> {
  const email = pick(r, EMAILS);
  // Groups not fetched: undefined.
  if (chance(r, 0.2)) return { email };
  return { email, groups: GROUPS.filter(() => chance(r, 0.35)) };
}

/** A verified workload token: a JWT-SVID (a SPIFFE ID, as a certificate gives) or an OIDC token (a subject). */
export function workloadToken(r: Random, certificate?: string): NonNullable<Identity["workloadToken"]> {
  if (chance(r, 0.6)) {
    // Beside a certificate, the token names the same workload (two different ones void both, before evaluate).
    const id =
      certificate ??
      pick(
        r,
        WORKLOADS.filter((w) => w.startsWith("spiffe://prod.example.com/")),
      );
    return { issuer: "spire", kind: "spiffe-jwt-svid", subject: id, spiffeId: id, claims: {} };
  }
  const subject = pick(r, ["repo:acme/app", "repo:acme/web"]);
  return { issuer: "ci", kind: "oidc", subject, claims: { owner: "acme" } };
}

export function genIdentity(r: Random): Identity {
  const id = baseIdentity(r);
  if (chance(r, 0.12)) {
    const cert = id.workload?.id.startsWith("spiffe://prod.example.com/") ? id.workload.id : undefined;
    if (id.workload === undefined || cert !== undefined) return { ...id, workloadToken: workloadToken(r, cert) };
  }
  return id;
}

export function baseIdentity(r: Random): Identity {
  const k = int(r, 7);
  switch (k) {
    case 0:
      return {};
    case 1:
    case 2:
      return { user: user(r) };
    case 3:
      return { serviceToken: { clientId: pick(r, TOKENS) } };
    case 4:
      return { workload: { id: pick(r, WORKLOADS) } };
    case 5:
      return { workload: { id: pick(r, WORKLOADS) }, user: user(r) };
    default:
      return { workload: { id: pick(r, WORKLOADS) }, serviceToken: { clientId: pick(r, TOKENS) } };
  }
}

/** Raw segments for a pattern: parameters and `{**}` filled in. */
export function fill(r: Random, pattern: string, prefix: boolean): string[] {
  const parts = pattern === "/" ? [] : pattern.slice(1).split("/");
  if (prefix && parts.at(-1) === "") parts.pop();
  const segs: string[] = [];
  for (const p of parts) {
    if (p === "{**}") {
      for (let n = int(r, 3); n > 0; n--) segs.push(pick(r, [...LITERALS, "q"]));
    } else if (p.startsWith("{")) segs.push(pick(r, [...LITERALS, "q", "q", "É"]));
    else segs.push(p);
  }
  if (prefix) for (let n = int(r, 3); n > 0; n--) segs.push(pick(r, [...LITERALS, "q"]));
  if (segs.length === 0) segs.push("");
  return segs;
}

export function genPath(r: Random, route: GenRoute): string {
  let segs: string[];
  if (chance(r, 0.9)) {
    segs = fill(r, route.path ?? route.pathPrefix!, route.path === undefined);
  } else {
    segs = Array.from({ length: int(r, 4) }, () => pick(r, [...LITERALS, ...EXTRA_SEGMENTS]));
    if (segs.length === 0) segs.push("");
  }
  const trailing = segs.length > 1 && segs.at(-1) === "";
  if (trailing) segs.pop();
  const last = segs.length - 1;
  // A format suffix on the last segment (deny rules reach it as the path without it).
  if (segs[last] !== "" && chance(r, 0.15)) segs[last] += pick(r, [".json", ".v2.html", ".b", ".php"]);
  // More after a segment with a dot: a script and its PATH_INFO (deny rules reach it as the path up to the script).
  if (chance(r, segs[last]!.indexOf(".", 1) !== -1 ? 0.3 : 0.04)) segs.push(pick(r, EXTRA_SEGMENTS));
  if (chance(r, 0.12)) segs = segs.map((s) => s.toUpperCase());
  if (chance(r, 0.03)) segs.push(pick(r, AMBIGUOUS));
  // The other trailing-slash spelling sometimes.
  let slash = trailing;
  if (chance(r, 0.15)) slash = !slash;
  let path = `/${segs.join("/")}${slash && segs.join("") !== "" ? "/" : ""}`;
  // Percent-encode a letter now and then (`%61` is `a` once canonical).
  if (chance(r, 0.05)) path = path.replace(/a/, "%61");
  if (chance(r, 0.015)) path = pick(r, ["//a", "/a/../b", "/a;x", "/a%2Fb", "/admin.", "a"]);
  return path;
}

export function genMethod(r: Random, route: GenRoute): string {
  if (chance(r, 0.005)) return pick(r, ["get", "TRACE"]);
  if (chance(r, 0.12)) return "HEAD";
  if (chance(r, 0.75)) {
    const m = pick(r, route.methods);
    return m === "*" ? pick(r, ALL_METHODS) : m;
  }
  return pick(r, ALL_METHODS);
}

export interface GenRequest {
  method: string;
  host: string;
  path: string;
  identity: Identity;
}

export function genRequest(r: Random, g: GenPolicy): GenRequest {
  const service = pick(r, g.services);
  const own = service.hosts.map((h) => (h.startsWith("*.") ? `${pick(r, ["a", "zz"])}${h.slice(1)}` : h));
  const host = chance(r, 0.92) ? pick(r, own) : pick(r, HOSTS);
  const route = pick(r, service.routes);
  return { method: genMethod(r, route), host, path: genPath(r, route), identity: genIdentity(r) };
}
