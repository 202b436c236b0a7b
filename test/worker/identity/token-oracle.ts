// Review helper (token differential): the oracle, from docs/policy.md (identity.access, identity.tokenIssuers, principal
// matchers), docs/workload-tokens.md and docs/origin-assertion.md, applied to the token TEXTS as sent. Where the
// docs are silent, both outcomes are allowed ("either").
import { AUD, CONF, ISS, NAMES, OTHER_AUD, SERVICES, TD, TEAM, type Case, type IssuerName } from "./token-cases.ts";

export type TokenWorld =
  | { kind: "absent" }
  | { kind: "not-ward" }
  /** consumed: undefined when the docs do not say whether Ward keeps the header. */
  | { kind: "refused"; why: string; consumed?: boolean }
  | { kind: "counted"; part: string; spiffeId?: string; scopes: string[]; sub: string; iss: string };

export type AccessWorld =
  | { kind: "absent" }
  | { kind: "refused"; why: string }
  | { kind: "counted"; part: string; email?: string; clientId?: string };

const TRUSTED = new Map<string, IssuerName>((Object.keys(ISS) as IssuerName[]).map((n) => [ISS[n], n]));
const PUBLISHED_KID: Record<IssuerName, string> = {
  spire: "Nmo3aGFXeldnT0NtS3ZvN1BFWXpVWUxhOTZjdjFoM1Q",
  cluster: "OAjVVaejWFc0Yt9ykr0_8lMMuRNs67OXTWHsN02Pkyw",
  github: "cc413527-173f-5a05-976e-9c52b1d7b431",
};
const KEY_ALG: Record<IssuerName, string> = { spire: "ES256", cluster: "RS256", github: "RS256" };

const own = (o: unknown, k: string): boolean =>
  o !== null && typeof o === "object" && !Array.isArray(o) && Object.hasOwn(o, k);
const get = (o: unknown, k: string): unknown => (own(o, k) ? (o as Record<string, unknown>)[k] : undefined);
const isObj = (o: unknown): o is Record<string, unknown> => o !== null && typeof o === "object" && !Array.isArray(o);

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whole seconds in [0, 2^32). */
const instant = (v: unknown): v is number =>
  typeof v === "number" && Number.isFinite(v) && Math.floor(v) === v && v >= 0 && v < 2 ** 32;

/**
 * A workload `sub` shows all it holds (docs/policy.md): none of the characters no reader sees, default-ignorables
 * and format characters (a joiner inside a word of a joining script passes; the generator writes none).
 */
const unseen = (s: string): boolean => /[\p{Default_Ignorable_Code_Point}\p{Cf}]/u.test(s);

/** Control characters as the docs list them: C0, DEL, C1, U+2028/9, bidi controls, lone surrogates. */
function clean(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x061c ||
      c === 0x200e ||
      c === 0x200f
    )
      return false;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** SPIFFE-ID 2: spiffe://<td>/<seg>/..., td of [a-z0-9._-], segments of [A-Za-z0-9._-] other than . and .. */
function spiffeTrustDomain(id: string): string | undefined {
  if (id.length > 2048 || !id.startsWith("spiffe://")) return undefined;
  const rest = id.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  if (slash === -1) return undefined; // a trust domain's own ID names no workload
  const td = rest.slice(0, slash);
  if (td.length === 0 || td.length > 255 || [...td].some((c) => !"abcdefghijklmnopqrstuvwxyz0123456789._-".includes(c)))
    return undefined;
  const segs = rest.slice(slash + 1).split("/");
  for (const s of segs) {
    if (s === "" || s === "." || s === "..") return undefined;
    if ([...s].some((c) => !/[A-Za-z0-9._-]/.test(c))) return undefined;
  }
  return td;
}

const dnsLabel = (s: string) => s.length >= 1 && s.length <= 63 && /^[a-z0-9]$|^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(s);
const dnsSubdomain = (s: string) => s.length >= 1 && s.length <= 253 && s.split(".").every(dnsLabel);

/** RFC 6749 scope-token characters. */
const scopeToken = (s: unknown): s is string =>
  typeof s === "string" &&
  s.length > 0 &&
  [...s].every((c) => {
    const x = c.charCodeAt(0);
    return c.length === 1 && (x === 0x21 || (x >= 0x23 && x <= 0x5b) || (x >= 0x5d && x <= 0x7e));
  });

function shape(v: unknown, depth: number, acc: { values: number; depth: number }): void {
  acc.values++;
  acc.depth = Math.max(acc.depth, depth);
  if (v !== null && typeof v === "object") for (const x of Object.values(v)) shape(x, depth + 1, acc);
}

/** Possible worlds for the workload token of a case (several where the docs leave it open). */
export function workloadWorlds(
  c: Case,
  m: { headerText: string; payloadText: string; token: string; authorization: string[] } | undefined,
  now: number,
): TokenWorld[] {
  const g = c.workload;
  if (!g || !m || m.authorization.length === 0) return [{ kind: "absent" }];
  const payload = parse(m.payloadText);
  const header = parse(m.headerText);
  const iss = get(payload, "iss");
  const dupIss =
    (g.payloadDup ?? "").includes('"iss"') ||
    (g.payloadDup ?? "").includes("\\u0069ss") ||
    /"\\u0069ss"/.test(g.payloadDup ?? "");
  const trusted = typeof iss === "string" && TRUSTED.has(iss) ? TRUSTED.get(iss)! : undefined;
  // The header as one value: two fields are one value joined with ", " (RFC 9110 5.3); leading/trailing space trimmed.
  const value =
    m.authorization.length > 1 ? m.authorization.join(", ") : m.authorization[0]!.replace(/^[ \t]+|[ \t]+$/g, "");
  const match = /^bearer +(\S+)$/i.exec(value);
  const oneBearer =
    match !== null && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(match[1]!) && match[1]!.length <= 8192;
  if (dupIss) return [{ kind: "refused", why: "duplicate iss" }, { kind: "not-ward" }];
  if (!oneBearer)
    return trusted ? [{ kind: "refused", why: "authorization-form", consumed: true }] : [{ kind: "not-ward" }];
  if (!isObj(payload) || !isObj(header))
    return trusted ? [{ kind: "refused", why: "unreadable" }] : [{ kind: "not-ward" }];
  if (!trusted) return [{ kind: "not-ward" }];
  const issuer = trusted;
  const refused = (why: string): TokenWorld[] => [{ kind: "refused", why, consumed: true }];
  // Duplicates anywhere.
  if (g.headerDup || g.payloadDup || g.payloadNested === "k8s-ns" || g.payloadNested === "array-obj")
    return refused("duplicate member");
  // Header.
  for (const k of ["jku", "x5u", "jwk", "x5c", "crit", "b64"]) if (own(header, k)) return refused(`header ${k}`);
  if (issuer === "spire" && Object.keys(header).some((k) => !["alg", "kid", "typ"].includes(k)))
    return refused("jwt-svid header member");
  const alg = header.alg;
  if (typeof alg !== "string" || !["RS256", "ES256"].includes(alg)) return refused("alg");
  const kid = header.kid;
  if (typeof kid !== "string" || kid.length < 1 || kid.length > 256 || !/^[\x21-\x7e]+$/.test(kid))
    return refused("kid form");
  if (own(header, "typ")) {
    const typ = header.typ;
    const ok = [
      "jwt",
      "jose",
      "application/jwt",
      "application/jose",
      ...(issuer === "github" ? ["at+jwt", "application/at+jwt"] : []),
    ];
    if (typeof typ !== "string" || !ok.includes(typ.toLowerCase())) return refused("typ");
  }
  // Signature: the issuer's own key, under its kid, with its algorithm, as the issuer spells it.
  if (kid !== PUBLISHED_KID[issuer]) return refused("unknown kid");
  if (alg !== KEY_ALG[issuer]) return refused("alg does not fit the key");
  const signerOk = g.signer === "own" || (g.signer === "pss" && issuer === "spire");
  if (!signerOk) return refused(`signer ${g.signer}`);
  if (["spare-bits", "der", "truncated", "extra-char"].includes(g.sig)) return refused(`signature ${g.sig}`);
  if (m.token.length > 8192) return refused("size");
  // Claims jose checks.
  const aud = payload.aud;
  const audience = SERVICES[c.service]!.audience;
  if (!(aud === audience || (Array.isArray(aud) && aud.some((a) => a === audience)))) return refused("aud");
  if (!own(payload, "exp") || !own(payload, "iat") || !own(payload, "sub")) return refused("exp/iat/sub missing");
  const { exp, iat } = payload;
  const nbf = get(payload, "nbf");
  if (!instant(exp) || !instant(iat) || (own(payload, "nbf") && !instant(nbf))) return refused("malformed time");
  const SKEW = CONF.skew[issuer];
  if (exp <= now - SKEW) return refused("expired");
  if (own(payload, "nbf") && (nbf as number) > now + SKEW) return refused("nbf ahead");
  if (iat > now + SKEW) return refused("iat ahead");
  if (exp - iat > CONF.maxLife[issuer]) return refused("lifetime");
  const sub = payload.sub;
  if (typeof sub !== "string" || sub.length < 1 || sub.length > 1024 || !clean(sub) || unseen(sub))
    return refused("sub");
  const sh = { values: 0, depth: 0 };
  shape(payload, 1, sh);
  if (sh.depth >= 11 || sh.values >= 600) return refused("too complex");
  const doubtful: string[] = [];
  if (sh.depth > 7 || sh.values > 450) doubtful.push("complexity bound");
  if (issuer === "github") {
    const o = get(payload, "repository_owner");
    const wanted = (x: unknown) => CONF.owners.some((w) => w === x);
    if (!(wanted(o) || (Array.isArray(o) && o.some(wanted)))) return refused("requireClaims");
  }
  let scopes: string[] = [];
  if (issuer !== "cluster") {
    const hasScope = own(payload, "scope");
    const hasScp = own(payload, "scp");
    if (hasScope && hasScp) return refused("scope and scp");
    if (hasScope) {
      const s = payload.scope;
      if (typeof s !== "string") return refused("scope not a string");
      const parts = s.split(" ");
      if (s === "" || parts.some((p) => p === "")) doubtful.push("scope spacing");
      scopes = parts.filter((p) => p !== "");
      if (scopes.some((t) => !scopeToken(t))) return refused("scope token");
      if (scopes.length > 100) return refused("too many scopes");
    } else if (hasScp) {
      const s = payload.scp;
      if (!Array.isArray(s) || !s.every(scopeToken)) return refused("scp");
      if (s.length > 100) return refused("too many scopes");
      scopes = s as string[];
    }
    if (scopes.some((t) => t.length > 255)) doubtful.push("scope token length");
  }
  let world: TokenWorld;
  if (issuer === "spire") {
    const td = spiffeTrustDomain(sub);
    if (td === undefined || td !== TD) return refused("spiffe id");
    world = { kind: "counted", part: `workload:${sub}`, spiffeId: sub, scopes, sub, iss: ISS.spire };
  } else if (issuer === "cluster") {
    const parts = sub.split(":");
    if (parts.length !== 4 || parts[0] !== "system" || parts[1] !== "serviceaccount")
      return refused("service account form");
    const [, , ns, name] = parts as [string, string, string, string];
    if (!dnsLabel(ns) || !dnsSubdomain(name)) return refused("service account names");
    const bound = get(payload, "kubernetes.io");
    if (get(bound, "namespace") !== ns || get(get(bound, "serviceaccount"), "name") !== name) return refused("binding");
    const id = `spiffe://${TD}/ns/${ns}/sa/${name}`;
    world = CONF.clusterTd
      ? { kind: "counted", part: `workload:${id}`, spiffeId: id, scopes: [], sub, iss: ISS.cluster }
      : { kind: "counted", part: `subject:${NAMES.cluster}/${sub}`, scopes: [], sub, iss: ISS.cluster };
  } else world = { kind: "counted", part: `subject:${NAMES.github}/${sub}`, scopes, sub, iss: ISS.github };
  if (exp < iat) doubtful.push("exp before iat");
  return doubtful.length > 0 ? [world, { kind: "refused", why: doubtful.join(", "), consumed: true }] : [world];
}

const EMAIL =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

export function accessWorlds(
  c: Case,
  m: { headerText: string; payloadText: string } | undefined,
  now: number,
): AccessWorld[] {
  const g = c.access;
  if (!g || !m) return [{ kind: "absent" }];
  const refused = (why: string): AccessWorld[] => [{ kind: "refused", why }];
  const header = parse(m.headerText) as Record<string, unknown>;
  const p = parse(m.payloadText) as Record<string, unknown>;
  if (g.payloadDup) return refused("duplicate");
  if (header.alg !== "RS256") return refused("alg");
  if (own(header, "crit")) return refused("crit");
  if (p.iss !== TEAM) return refused("iss");
  const aud = p.aud;
  const audOk = (a: unknown) => a === AUD || a === OTHER_AUD;
  if (!(audOk(aud) || (Array.isArray(aud) && aud.some(audOk)))) return refused("aud");
  if (p.type !== "app") return refused("type");
  if (!own(p, "exp") || !own(p, "iat")) return refused("exp/iat missing");
  const { exp, iat } = p;
  if (!instant(exp) || !instant(iat) || (own(p, "nbf") && !instant(p.nbf))) return refused("time");
  if (exp <= now - 30) return refused("expired");
  if (own(p, "nbf") && (p.nbf as number) > now + 30) return refused("nbf");
  if (iat > now + 30) return refused("iat ahead");
  if (exp < iat) return refused("exp before iat");
  if (exp - iat > 86400) return refused("lifetime");
  if (own(p, "sub") && !(typeof p.sub === "string" && p.sub.length <= 255 && clean(p.sub))) return refused("sub");
  let world: AccessWorld;
  if (own(p, "email") && p.email !== "") {
    const e = p.email;
    if (typeof e !== "string" || e.length > 254 || !EMAIL.test(e)) return refused("email");
    world = { kind: "counted", part: `user:${e.toLowerCase()}`, email: e };
  } else if (own(p, "common_name") && p.common_name !== "") {
    const cn = p.common_name;
    if (typeof cn !== "string" || !/^[0-9a-f]{32}\.access(\.[a-z0-9-]+)*$/.test(cn)) return refused("common_name");
    world = { kind: "counted", part: `token:${cn}`, clientId: cn };
    if (cn.length > 43) return [world, { kind: "refused", why: "client id with a domain" }];
  } else return refused("no principal");
  if (!own(header, "kid")) return [world, { kind: "refused", why: "no kid" }];
  return [world];
}

export interface Expected {
  status: number;
  principal: string;
  credential: { kind: string; issuer?: string } | null;
  assertion?: {
    sub: string;
    workload?: string;
    email?: string;
    service_token?: string;
    scope?: string;
    credentials: string[];
  };
  /** Whether the origin sees an Authorization header; undefined: not judged. */
  authorizationAtOrigin?: boolean;
  worlds: string;
}

export function expected(c: Case, t: TokenWorld, a: AccessWorld): Expected {
  const parts: string[] = [];
  if (t.kind === "counted" && t.spiffeId) parts.push(t.part);
  if (a.kind === "counted") parts.push(a.part);
  if (t.kind === "counted" && !t.spiffeId) parts.push(t.part);
  const principal = parts.length === 0 ? "anonymous" : parts.join("+");
  const identified = parts.length > 0;
  const scopes = t.kind === "counted" ? t.scopes : [];
  let status: number;
  if (c.path === "/open") status = 200;
  else if (c.path === "/any") status = identified ? 200 : 401;
  else status = t.kind === "counted" && scopes.includes("payments:charge") ? 200 : identified ? 403 : 401;
  const credential =
    principal === "anonymous"
      ? null
      : principal.startsWith("workload:") || principal.startsWith("subject:")
        ? { kind: "workload-token", issuer: (t as { iss: string }).iss }
        : { kind: "access-jwt", issuer: TEAM };
  const e: Expected = { status, principal, credential, worlds: `${JSON.stringify(t)} ${JSON.stringify(a)}` };
  if (status === 200) {
    const creds: string[] = [];
    if (t.kind === "counted") creds.push(`workload-token ${t.iss} ${t.sub}`);
    if (a.kind === "counted") creds.push(`access-jwt ${TEAM}`);
    e.assertion = {
      sub: principal,
      ...(t.kind === "counted" && t.spiffeId ? { workload: t.spiffeId } : {}),
      ...(a.kind === "counted" && a.email ? { email: a.email } : {}),
      ...(a.kind === "counted" && a.clientId ? { service_token: a.clientId } : {}),
      ...(scopes.length > 0 ? { scope: scopes.join(" ") } : {}),
      credentials: creds.sort(),
    };
    if (t.kind === "not-ward") e.authorizationAtOrigin = true;
    else if (t.kind === "absent") e.authorizationAtOrigin = false;
    else if (t.kind === "counted" || t.consumed === true) e.authorizationAtOrigin = false;
  }
  return e;
}
