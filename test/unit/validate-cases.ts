// The cases of validate-differential.test.ts: a policy valid by docs/policy.md, then changed one field at a time
// to values just inside and just outside each documented bound, hostile spellings, wrong types, duplicates,
// unknown fields and cross-field contradictions. Each case carries the oracle's verdict (validate-oracle.ts).
import {
  ACCEPT,
  duration,
  FORMAT,
  headerValue,
  integer,
  instantMillis,
  isAud,
  isBinding,
  isClientId,
  isForwardHeaderName,
  isHours,
  isInstant,
  isName,
  isPathPattern,
  isRuleHeaderName,
  isScope,
  isSpiffe,
  isTeamDomain,
  isTrustDomain,
  RANGE,
  refuse,
  reservedForwardHeader,
  reservedRuleHeader,
  TOO_LONG,
  type Verdict,
} from "./validate-oracle.ts";

export type Doc = Record<string, unknown>;
export type Path = readonly (string | number)[];
export interface Case {
  what: string;
  doc: Doc;
  verdict: Verdict;
  /** Where the issue is, as `ward validate` prints paths; undefined where the reference does not say. */
  at?: string;
}

const AUD = "a".repeat(64);
const AUD2 = "b".repeat(64);
const CLIENT = "e367826f93b8d71185e03fe518aff3b4.access";

/** A policy every part of which the reference accepts (warnings aside). */
export function baseDocument(): Doc {
  return {
    version: 1,
    metadata: { environment: "staging", trustDomains: ["prod.example.com"], owners: ["security@example.com"] },
    identity: {
      access: { teamDomain: "https://acme.cloudflareaccess.com", audiences: [AUD, AUD2] },
      mtls: { issuers: [{ dn: "CN=Example CA,O=Example", trustDomains: ["prod.example.com"] }] },
      tokenIssuers: [
        {
          name: "gha",
          kind: "oidc",
          issuer: "https://token.actions.githubusercontent.com",
          keys: { jwksUrl: "https://token.actions.githubusercontent.com/.well-known/jwks" },
          requireClaims: { repository_owner_id: "65" },
        },
      ],
    },
    principalSets: { sre: [{ group: "sre" }, { email: "oncall@example.com" }] },
    identityBindings: { deployers: [{ workload: "spiffe://prod.example.com/ci", access: "alice@example.com" }] },
    exceptions: { maxDuration: "7d", breakGlassMaxDuration: "30m" },
    quarantine: { deniedRequests: 50, within: "10m", for: "1h" },
    admin: { principals: [{ set: "sre" }] },
    sharedSignals: {
      audience: "https://ward.example.com/staging",
      transmitters: {
        okta: {
          issuer: "https://example.okta.com",
          jwksUri: "https://example.okta.com/keys",
          events: ["session-revoked"],
        },
      },
    },
    services: {
      payments: {
        hosts: ["payments.example.com"],
        origin: { tunnel: "PAYMENTS_API" },
        owner: "payments@example.com",
        routes: [
          {
            id: "charge",
            methods: ["GET", "HEAD", "POST"],
            path: "/v1/charge",
            rules: [
              {
                id: "checkout",
                effect: "allow",
                principals: [{ spiffe: "spiffe://prod.example.com/ns/checkout/sa/api" }],
                when: { time: { days: ["mon"], hours: { from: "08:00", to: "18:00" } }, country: ["DE"] },
                rateLimit: { limit: 100, period: "60s" },
                headers: { "X-Tenant": "acme" },
              },
              { id: "no-contractors", effect: "deny", principals: [{ group: "contractors" }] },
            ],
          },
          {
            id: "live",
            methods: ["GET", "HEAD"],
            path: "/live/{room}",
            websocket: { maxMessageBytes: 65536, maxBytesPerSecond: 1048576, idleTimeout: "30m" },
            rules: [
              {
                effect: "allow",
                bothFactors: {
                  workload: [{ trustDomain: "prod.example.com" }],
                  access: [{ emailDomain: "example.com" }],
                  binding: "deployers",
                },
              },
            ],
          },
        ],
      },
    },
  };
}

function clone(doc: Doc): Doc {
  return structuredClone(doc);
}

/** `doc` with the value at `path` set (undefined deletes it); a missing parent is created as an object. */
export function withValue(doc: Doc, path: Path, value: unknown): Doc {
  const out = clone(doc);
  let node = out as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null || typeof node[key] !== "object") node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  if (value === undefined) {
    if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
    else delete node[last];
  } else node[last] = value;
  return out;
}

export function pathText(path: Path): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? part : `.${part}`;
  return out;
}

export const RULE: Path = ["services", "payments", "routes", 0, "rules", 0];
export const ROUTE: Path = ["services", "payments", "routes", 0];
export const SERVICE: Path = ["services", "payments"];
const TD = ["identity", "mtls", "issuers", 0, "trustDomains"];

/** One field set to each value, the verdict from `judge`. */
export function field(path: Path, values: readonly unknown[], judge: (v: unknown) => Verdict): Case[] {
  return values.map((v) => ({
    what: `${pathText(path)} = ${show(v)}`,
    doc: withValue(baseDocument(), path, v),
    verdict: judge(v),
    at: pathText(path),
  }));
}
/** A bound the reference states without naming the code: either of the two a bound gives. */
export const loose = (v: Verdict): Verdict =>
  !v.ok && v.codes.includes("out-of-range") ? refuse("out-of-range", "invalid-value") : v;
const anywhere = (c: Case): Case => ({ ...c, at: undefined });
export function spiffeVerdict(s: string, prefix: boolean): Verdict {
  if (isSpiffe(s.slice(0, 2048), prefix) && s.length > 2048) return TOO_LONG;
  return isSpiffe(s, prefix) ? ACCEPT : FORMAT;
}
/**
 * A SPIFFE ID where a workload's is meant (a `spiffe` matcher, a binding's workload): a trust domain's own ID,
 * with no path, names no workload and is refused as a value (the base document's registry gives none).
 */
export function workloadIdVerdict(s: string): Verdict {
  const verdict = spiffeVerdict(s, false);
  return verdict.ok && !s.slice("spiffe://".length).includes("/") ? refuse("invalid-value") : verdict;
}
export const str = (f: (s: string) => Verdict) => (v: unknown) =>
  typeof v === "string" ? f(v) : refuse("invalid-type");
export const form = (ok: (s: string) => boolean) => str((s) => (ok(s) ? ACCEPT : FORMAT));

export function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 90 ? `${text.slice(0, 60)}...(${text.length} chars)` : text;
}

export function fixedCases(): Case[] {
  const cases: Case[] = [];
  const add = (cs: Case[]) => cases.push(...cs);
  const bad = refuse;

  add(field(["version"], [1, 2, "1", 1.0, 0], (v) => (v === 1 ? ACCEPT : bad("invalid-value", "invalid-type"))));
  add(
    field(
      ["metadata", "environment"],
      ["dev", "a", "prod-2", "Prod", "1a", "-a", "a_b", ""],
      form((s) => /^[a-z][a-z0-9-]*$/.test(s)),
    ),
  );
  add(
    field(["metadata", "owners"], [[], ["x"], [""]], (v) =>
      (v as string[]).length === 0 || (v as string[])[0] === "" ? RANGE : ACCEPT,
    ),
  );
  add(
    field(
      ["metadata", "trustDomains", 0],
      [
        "_dmarc.example.org",
        "trust_domain_1.example.org",
        "x".repeat(255),
        "x".repeat(256),
        "Prod.example.com",
        "a:1",
        "a%2e",
        "",
        "a/b",
      ],
      form(isTrustDomain),
    ),
  );
  add(field(TD.concat(0), ["prod.example.com", "x".repeat(256), "UP"], form(isTrustDomain)));
  add(
    field(
      ["identity", "access", "teamDomain"],
      [
        "https://acme.cloudflareaccess.com",
        "https://a-1.cloudflareaccess.com",
        "https://acme.cloudflareaccess.com/",
        "http://acme.cloudflareaccess.com",
        "https://Acme.cloudflareaccess.com",
        "https://.cloudflareaccess.com",
        "https://a.b.cloudflareaccess.com",
        "https://acme.cloudflareaccess.com:443",
      ],
      form(isTeamDomain),
    ),
  );
  add(
    field(
      ["identity", "access", "audiences", 1],
      ["c".repeat(64), "C".repeat(64), "c".repeat(63), "c".repeat(65), "g".repeat(64)],
      form(isAud),
    ),
  );
  add(field(["identity", "access", "audiences"], [[]], () => RANGE));
  add(
    field(
      ["identity", "access", "serviceTokenMaxLifetime"],
      ["730h", "731h", "30d", "31d", "43800m", "43801m", "2628000s", "2628001s"],
      str((s) => duration(s, "730h")),
    ),
  );
  // "at least `1m` (the shortest schedule of a posture check), at most `730h`".
  add(
    field(
      ["identity", "access", "maxPostureAge"],
      ["1m", "60s", "59s", "0m", "25h", "730h", "731h", "43800m", "43801m", "1 day", 25],
      str((s) => duration(s, "730h", "1m")),
    ),
  );
  add(
    field(
      ["exceptions", "maxDuration"],
      ["366d", "367d", "8784h", "8785h", "0d", "1w"],
      str((s) => duration(s, "366d")),
    ),
  );
  add(
    field(
      ["quarantine", "for"],
      ["366d", "527040m", "527041m"],
      str((s) => duration(s, "366d")),
    ),
  );
  add(field(["quarantine", "deniedRequests"], [1, 100000, 0, 100001, 1.5, "5", -1], (v) => integer(v, 1, 100000)));
  add(
    field([...RULE, "rateLimit", "limit"], [1, 1_000_000, 0, 1_000_001, 2.5, "10", 1e21], (v) =>
      integer(v, 1, 1_000_000),
    ),
  );
  add(
    field([...RULE, "rateLimit", "key"], ["principal", "principal+route", "route", "Principal"], (v) =>
      v === "principal" || v === "principal+route" ? ACCEPT : bad("invalid-value"),
    ),
  );
  add(field([...RULE, "rateLimit", "failOpen"], [true, "true", 1], (v) => (v === true ? ACCEPT : bad("invalid-type"))));
  add(
    field([...ROUTE, "websocket", "maxMessageBytes"], [1, 33554432, 0, 33554433, 1.5], (v) => integer(v, 1, 33554432)),
  );
  add(field([...ROUTE, "websocket", "maxBytesPerSecond"], [134217728, 134217729, 0], (v) => integer(v, 1, 134217728)));
  // A *duration* given as a bare number is a value of the wrong type ("Issue codes": invalid-type), at the field,
  // wherever the duration sits: the websocket object (one form of a union) said invalid-value at `websocket`.
  for (const at of [
    [...ROUTE, "websocket", "idleTimeout"],
    [...RULE, "rateLimit", "period"],
    ["identity", "access", "maxTokenLifetime"],
  ])
    add(field(at, [30], () => bad("invalid-type")));
  const POLL = ["sharedSignals", "transmitters", "okta", "poll"];
  add(
    field(POLL, [{ endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", every: 30 }], () =>
      bad("invalid-type"),
    ).map((c) => ({ ...c, at: pathText([...POLL, "every"]) })),
  );
  add(
    field(["identity", "mtls", "issuers", 0, "intermediates"], [1], () =>
      bad("invalid-value", "unknown-field", "invalid-format", "out-of-range"),
    ),
  );
  add(
    field(
      ["sharedSignals", "transmitters", "okta", "poll"],
      [
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA" },
        { endpoint: "https://example.okta.com/poll", authorization: "OKTA" },
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", maxEvents: 100, every: "5s" },
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", maxEvents: 101 },
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", maxEvents: 0 },
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", every: "4s" },
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", every: "1h" },
        { endpoint: "https://example.okta.com/poll", authorization: "SSF_OKTA", every: "61m" },
      ],
      (v) => {
        const p = v as { authorization: string; maxEvents?: number; every?: string };
        if (!/^SSF_/.test(p.authorization)) return bad("invalid-format");
        if (p.maxEvents !== undefined && (p.maxEvents < 1 || p.maxEvents > 100)) return RANGE;
        return p.every === undefined ? ACCEPT : loose(duration(p.every, "1h", "5s"));
      },
    ),
  );
  add(
    field(
      ["sharedSignals", "audience"],
      ["x", "x".repeat(512), "x".repeat(513), ""],
      str((s) => (s === "" ? RANGE : s.length > 512 ? TOO_LONG : ACCEPT)),
    ),
  );
  add(
    field(
      ["sharedSignals", "transmitters", "okta", "criticalSubjectMembers"],
      [Array(16).fill("user"), Array(17).fill("user")],
      (v) => ((v as string[]).length > 16 ? RANGE : ACCEPT),
    ),
  );
  add(field(["sharedSignals", "transmitters", "okta", "authorization"], ["SSF_X", "Bad", "A1_"], form(isBinding)));
  add(
    field(
      ["sharedSignals", "transmitters", "okta", "algorithms"],
      [["RS256", "EdDSA"], ["HS256"], ["none"], ["RS257"]],
      (v) => ((v as string[])[0] === "RS256" ? ACCEPT : bad("ssf-algorithm", "invalid-value")),
    ),
  );
  add(
    field(
      ["sharedSignals", "transmitters", "okta", "events"],
      [[], ["account-purged"], ["session-revoked", "nope"]],
      (v) => ((v as string[]).length === 0 ? RANGE : (v as string[]).includes("nope") ? bad("invalid-value") : ACCEPT),
    ),
  );
  add(
    field(
      ["sharedSignals", "transmitters", "okta", "jwks"],
      [{ keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y" }] }],
      () => bad("ssf-key-source"),
    ),
  );
  add(
    field(
      ["sharedSignals", "transmitters", "Okta"],
      [{ issuer: "https://b.example", jwksUri: "https://b.example/k", events: ["session-revoked"] }],
      () => FORMAT,
    ),
  );
  add(
    field(
      ["sharedSignals", "transmitters", "b"],
      [{ issuer: "https://example.okta.com", jwksUri: "https://b.example/k", events: ["session-revoked"] }],
      () => bad("ssf-duplicate-issuer"),
    ),
  );

  // Service fields.
  add(
    field(
      [...SERVICE, "origin"],
      [
        { tunnel: "A" },
        { tunnel: "a" },
        { tunnel: "A-B" },
        "PAYMENTS_API",
        { url: "https://o.example.com", publicUrl: true },
        { url: "http://o.example.com", publicUrl: true },
        { tunnel: "A", url: "https://x.example" },
      ],
      (v) => {
        if (typeof v === "string") return bad("origin-not-tunnel");
        const o = v as { tunnel?: string; url?: string };
        if (o.tunnel !== undefined && o.url !== undefined) return bad("invalid-value", "unknown-field");
        if (o.url !== undefined) return o.url.startsWith("https://") ? ACCEPT : bad("invalid-format", "invalid-value");
        return isBinding(o.tunnel as string) ? ACCEPT : FORMAT;
      },
    ),
  );
  add(
    field(
      [...SERVICE, "owner"],
      ["x", ""],
      str((s) => (s === "" ? RANGE : ACCEPT)),
    ),
  );
  add(
    field(
      [...SERVICE, "tokenAudience"],
      ["x", "x".repeat(512), "x".repeat(513), "", "a b", "café", "a\u007f"],
      str((s) =>
        s === ""
          ? bad("out-of-range", "invalid-format")
          : s.length > 512
            ? TOO_LONG
            : /^[\x21-\x7e]+$/.test(s)
              ? ACCEPT
              : FORMAT,
      ),
    ),
  );
  add(
    field([...SERVICE, "accessAudiences"], [[AUD], [AUD2, AUD], ["c".repeat(64)], ["A".repeat(64)]], (v) => {
      const a = (v as string[])[0] as string;
      return !isAud(a) ? FORMAT : a === AUD || a === AUD2 ? ACCEPT : bad("unknown-access-audience");
    }),
  );
  const fwd = [
    "X-CSRF-Token",
    "Authorization",
    "a",
    "X--Y",
    "-X",
    "X-",
    "X_Y",
    "cf-ray",
    "CF-Ray",
    "X-Forwarded-Host",
    "Forwarded",
    "x-middleware-subrequest",
    "Proxy-Authorization",
    "x-envoy-original-path",
    "Content-Length",
    "Cookie",
    "X-Http-Method",
  ];
  add(
    field(
      [...SERVICE, "forwardHeaders"],
      fwd.map((h) => [h]),
      (v) => {
        const h = (v as string[])[0] as string;
        return !isForwardHeaderName(h) ? FORMAT : reservedForwardHeader(h) ? bad("reserved-header") : ACCEPT;
      },
    ),
  );
  add(field([...SERVICE, "forwardHeaders"], [[]], () => RANGE));
  add(
    field([...SERVICE, "hosts"], [[], ["payments.example.com", "pay.example.com"]], (v) =>
      (v as string[]).length === 0 ? RANGE : ACCEPT,
    ),
  );
  add(
    field(
      ["services", "orders"],
      [
        {
          hosts: ["*.example.com"],
          origin: { tunnel: "O" },
          owner: "o",
          routes: [
            {
              id: "r",
              methods: ["GET"],
              pathPrefix: "/",
              rules: [{ effect: "allow", principals: [{ public: true }] }],
            },
          ],
        },
      ],
      () => bad("overlapping-hosts"),
    ),
  );
  add(
    field(
      ["services", "orders"],
      [
        {
          hosts: ["payments.example.com"],
          origin: { tunnel: "O" },
          owner: "o",
          routes: [
            {
              id: "r",
              methods: ["GET"],
              pathPrefix: "/",
              rules: [{ effect: "allow", principals: [{ public: true }] }],
            },
          ],
        },
      ],
      () => bad("overlapping-hosts"),
    ),
  );
  add(field([...SERVICE, "tokenAudience"], ["https://payments.example.com"], () => ACCEPT));
  add(field([...SERVICE, "requireCertificate"], [true, "yes"], (v) => (v === true ? ACCEPT : bad("invalid-type"))));
  add(field(["identity", "mtls"], [undefined], () => bad("mtls-not-configured")).map(anywhere));

  // Routes.
  add(
    field([...ROUTE, "methods"], [["*"], [], ["get"], ["GET", "TRACE"], ["CONNECT"], "GET"], (v) => {
      if (!Array.isArray(v)) return bad("invalid-type");
      if (v.length === 0) return RANGE;
      return v.every((m) => ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"].includes(m))
        ? ACCEPT
        : bad("invalid-value");
    }),
  );
  const paths = [
    "/",
    "/v1/charge/",
    "/a//b",
    "/a/./b",
    "/a/../b",
    "/a\\b",
    "/a;b",
    "/a%2Fb",
    "/a?b",
    "/a#b",
    "/a{b",
    "/{x-y}",
    "/a{*}",
    "/{**}/a",
    "/a/{**}",
    "/{*}",
    "/{_x1}",
    "/{1x}",
    "/v1/café",
    "/files/my report",
    "v1",
    "",
    "/a\u0001",
    "/a\u0085b",
    "/.ward/x",
    "/.well-known/ward/x",
    "/a/*",
    "/a//",
  ];
  add(
    field(
      [...ROUTE, "path"],
      paths,
      form((s) => isPathPattern(s, false)),
    ).map((c) => ({
      ...c,
      verdict: c.verdict.ok ? c.verdict : refuse("invalid-path-pattern", "invalid-format"),
      at: pathText(ROUTE),
    })),
  );
  const prefixes = ["/", "/admin", "/admin/", "/admin//", "/a/{**}", "/a/{*}", "/.ward", "/.well-known/ward"];
  add(
    prefixes.map((p) => ({
      what: `pathPrefix ${p}`,
      doc: withValue(withValue(baseDocument(), [...ROUTE, "path"], undefined), [...ROUTE, "pathPrefix"], p),
      verdict: isPathPattern(p, true) ? ACCEPT : refuse("invalid-path-pattern"),
      at: pathText(ROUTE),
    })),
  );
  add(field([...ROUTE, "pathPrefix"], ["/v1"], () => bad("invalid-path-pattern")));
  add(
    field(
      ["services", "payments", "routes", 2],
      [
        { id: "charge", methods: ["PUT"], path: "/x", rules: [{ effect: "allow", principals: [{ public: true }] }] },
        { id: "dup", methods: ["*"], path: "/v1/charge", rules: [{ effect: "allow", principals: [{ public: true }] }] },
        {
          id: "dup",
          methods: ["PUT"],
          path: "/v1/charge",
          rules: [{ effect: "allow", principals: [{ public: true }] }],
        },
        {
          id: "dup",
          methods: ["GET"],
          path: "/live/{other}",
          rules: [{ effect: "allow", principals: [{ public: true }] }],
        },
        { id: "dup", methods: ["GET"], pathPrefix: "/x", rules: [{ effect: "allow", principals: [{ public: true }] }] },
      ],
      (v) => {
        const r = v as { id: string; methods: string[]; path?: string };
        if (r.id === "charge") return bad("duplicate-id");
        if (r.path === "/v1/charge" && r.methods[0] === "PUT") return ACCEPT;
        return r.path === undefined ? ACCEPT : bad("duplicate-route");
      },
    ),
  );
  add([
    {
      what: "pathPrefix /x beside path /x/{**}",
      doc: withValue(
        withValue(baseDocument(), ["services", "payments", "routes", 2], {
          id: "p1",
          methods: ["GET"],
          pathPrefix: "/x",
          rules: [{ effect: "allow", principals: [{ public: true }] }],
        }),
        ["services", "payments", "routes", 3],
        { id: "p2", methods: ["*"], path: "/x/{**}", rules: [{ effect: "allow", principals: [{ public: true }] }] },
      ),
      verdict: bad("duplicate-route"),
    },
  ]);
  add(
    field([...ROUTE, "websocket"], [true, false, {}, "yes"], (v) =>
      typeof v === "boolean" || (typeof v === "object" && v !== null) ? ACCEPT : bad("invalid-type", "invalid-value"),
    ),
  );
  add(field([...ROUTE, "methods"], [["POST"]], () => ACCEPT));
  add([
    {
      what: "websocket on a POST-only route",
      doc: withValue(withValue(baseDocument(), [...ROUTE, "methods"], ["POST"]), [...ROUTE, "websocket"], true),
      verdict: bad("websocket-without-get"),
    },
  ]);
  add(field([...ROUTE, "hide"], [true], () => bad("unknown-field")));
  add(field([...ROUTE, "rules"], [[]], () => RANGE));
  add(field([...ROUTE, "forwardHeaders"], [["X-A"], []], (v) => ((v as string[]).length === 0 ? RANGE : ACCEPT)));

  // Rules.
  add(
    field(
      [...RULE, "id"],
      ["no-contractors", "Rule"],
      str((s) => (s === "Rule" ? FORMAT : bad("duplicate-id"))),
    ).map((c) => ({ ...c, at: pathText(ROUTE) })),
  );
  add([
    {
      what: "rule id rule-2 beside a second rule without id",
      doc: withValue(
        withValue(baseDocument(), [...RULE, "id"], "rule-2"),
        ["services", "payments", "routes", 0, "rules", 1, "id"],
        undefined,
      ),
      verdict: bad("duplicate-id"),
      at: pathText(ROUTE),
    },
  ]);
  add(field([...RULE, "effect"], ["permit", "Allow"], () => bad("invalid-value")));
  add(field([...RULE, "mode"], ["audit", "enforce"], () => bad("audit-on-allow-rule")));
  add(
    field(["services", "payments", "routes", 0, "rules", 1, "mode"], ["audit", "enforce", "shadow"], (v) =>
      v === "shadow" ? bad("invalid-value") : ACCEPT,
    ),
  );
  add(
    field(["services", "payments", "routes", 0, "rules", 1, "rateLimit"], [{ limit: 1, period: "1s" }], () =>
      bad("rate-limit-on-deny"),
    ),
  );
  add(
    field(["services", "payments", "routes", 0, "rules", 1, "headers"], [{ "X-A": "b" }], () => bad("headers-on-deny")),
  );
  add(
    field(
      [...RULE, "bothFactors"],
      [
        {
          workload: [{ spiffe: "spiffe://prod.example.com/x" }],
          access: [{ email: "a@example.com" }],
          binding: "deployers",
        },
      ],
      () => bad("invalid-rule-principals"),
    ),
  );
  add(
    field(
      [...RULE, "principals"],
      [
        undefined,
        [],
        [{ group: "a", email: "a@b.c" }],
        [{ public: false }],
        [{ authenticated: "true" }],
        [{ set: "nope" }],
        [{ set: "sre" }],
        [{ serviceToken: CLIENT }],
        [{ serviceToken: `${CLIENT}.example.com` }],
        [{ serviceToken: CLIENT.toUpperCase() }],
        [{ serviceToken: "e367826f93b8d71185e03fe518aff3b.access" }],
        [{ serviceToken: "client" }],
        [{ emailDomain: "example.com" }],
        [{ emailDomain: "Example.com" }],
        [{ emailDomain: "-x.com" }],
        [{ claims: {} }],
        [{ claims: { a: "b", n: 3, ok: true, list: ["x", 1] } }],
        [{ claims: { a: { b: 1 } } }],
        [{ group: "" }],
        [{ trustDomain: "prod.example.com" }],
        [{ trustDomain: "Prod" }],
        [{ nope: 1 }],
      ],
      (v) => {
        if (v === undefined) return bad("invalid-rule-principals");
        const list = v as Record<string, unknown>[];
        if (list.length === 0) return RANGE;
        const m = list[0] as Record<string, unknown>;
        const [k, val] = Object.entries(m)[0] as [string, unknown];
        if (Object.keys(m).length !== 1) return bad("invalid-value");
        if (k === "public" || k === "authenticated")
          return val === true ? ACCEPT : bad("invalid-value", "invalid-type");
        if (k === "set") return val === "sre" ? ACCEPT : bad("unknown-principal-set");
        if (k === "serviceToken") return isClientId(val as string) ? ACCEPT : bad("invalid-service-token-id");
        if (k === "emailDomain")
          return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(val as string)
            ? ACCEPT
            : FORMAT;
        if (k === "claims") {
          const c = val as Record<string, unknown>;
          if (Object.keys(c).length === 0) return bad("invalid-value", "out-of-range");
          return Object.values(c).some((x) => typeof x === "object" && !Array.isArray(x))
            ? bad("invalid-type", "invalid-value")
            : ACCEPT;
        }
        if (k === "group") return val === "" ? RANGE : ACCEPT;
        if (k === "trustDomain") return isTrustDomain(val as string) ? ACCEPT : FORMAT;
        return bad("invalid-value", "unknown-field");
      },
    ),
  );
  add(
    field(
      [...RULE, "headers"],
      [
        "X-A",
        "X_A",
        "X A",
        "x-ward-user",
        "Authorization",
        "cookie",
        "Content-Length",
        "X-Real-IP",
        "Te",
        "Forwarded",
      ].map((h) => ({ [h]: "v" })),
      (v) => {
        const h = Object.keys(v as object)[0] as string;
        return !isRuleHeaderName(h) ? FORMAT : reservedRuleHeader(h) ? bad("reserved-header") : ACCEPT;
      },
    ),
  );
  add(
    field(
      [...RULE, "headers", "X-A"],
      [
        "café",
        "a\tb",
        "x".repeat(4096),
        "x".repeat(4097),
        "a\nb",
        "a\u0085",
        "a\u20acb",
        "a\u00d7b",
        "a\u00a0b",
        "",
        " a ",
      ],
      str(headerValue),
    ),
  );
  add(
    field(
      [...RULE, "when", "time", "hours"],
      [
        { from: "00:00", to: "24:00" },
        { from: "22:00", to: "06:00" },
        { from: "08:00", to: "08:00" },
        { from: "24:00", to: "00:00" },
        { from: "8:00", to: "09:00" },
        { from: "08:60", to: "09:00" },
        { from: "24:01", to: "09:00" },
        { from: "23:59", to: "24:00" },
      ],
      (v) => {
        const h = v as { from: string; to: string };
        if (!isHours(h.from) || !isHours(h.to)) return FORMAT;
        return h.from === h.to || (h.from === "24:00" && h.to === "00:00") ? bad("invalid-time-window") : ACCEPT;
      },
    ),
  );
  add(
    field([...RULE, "when", "time", "days"], [["sun"], [], ["Mon"], ["monday"]], (v) =>
      (v as string[]).length === 0 ? RANGE : (v as string[])[0] === "sun" ? ACCEPT : bad("invalid-value"),
    ),
  );
  add(
    field([...RULE, "when", "country"], [["DE"], ["XX"], ["T1"], ["de"], ["DEU"], [], ["D1"]], (v) => {
      const c = (v as string[])[0];
      if (c === undefined) return RANGE;
      return /^[A-Z]{2}$/.test(c) || c === "T1" ? ACCEPT : FORMAT;
    }),
  );
  add(
    field(
      [...RULE, "when", "scopes"],
      [["orders:read"], ["a b"], ['a"b'], ["a\\b"], ["x".repeat(255)], ["x".repeat(256)], [""], [], ["é"]],
      (v) => {
        const s = (v as string[])[0];
        if (s === undefined) return RANGE;
        if (s === "") return bad("out-of-range", "invalid-format");
        return isScope(s) ? ACCEPT : s.length > 255 ? TOO_LONG : FORMAT;
      },
    ),
  );
  add(
    field([...RULE, "when", "devicePosture"], [[], ["check-1"]], (v) =>
      (v as string[]).length === 0 ? RANGE : ACCEPT,
    ),
  );
  add(
    field([...RULE, "when", "claims"], [{}, { a: 1 }], (v) =>
      Object.keys(v as object).length === 0 ? bad("invalid-value", "out-of-range") : ACCEPT,
    ),
  );
  const windows: [string, string][] = [
    ["2026-03-02T09:00:00Z", "2026-03-02T09:00:01Z"],
    ["2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z"],
    ["2026-03-02T09:00:00Z", "2026-03-02T18:00:00+09:00"],
    ["2026-03-02T09:00:00.0001Z", "2026-03-02T09:00:00.0009Z"],
    ["2026-03-02T09:00:00.0001Z", "2026-03-02T09:00:00.0011Z"],
    ["2026-03-02T09:00:00.001Z", "2026-03-02T09:00:00.0015Z"],
    // Ten or more fraction digits: 50 ms, then 100 ms (a window), and the other way round (none).
    ["2026-03-02T09:00:00.0500000000Z", "2026-03-02T09:00:00.100Z"],
    ["2026-03-02T09:00:00.100Z", "2026-03-02T09:00:00.0500000000Z"],
    ["2026-03-02T09:00:00.00999999999Z", "2026-03-02T09:00:00.011Z"],
  ];
  add(
    windows.map(([nb, na]) => ({
      what: `notBefore ${nb} notAfter ${na}`,
      doc: withValue(
        withValue(baseDocument(), [...RULE, "when", "time", "notBefore"], nb),
        [...RULE, "when", "time", "notAfter"],
        na,
      ),
      verdict: instantMillis(nb) < instantMillis(na) ? ACCEPT : bad("invalid-time-window"),
    })),
  );
  add(
    field(
      [...RULE, "when", "time", "notAfter"],
      [
        "2026-13-01T00:00:00Z",
        "2026-03-02",
        "2026-03-02T09:00Z",
        "2026-03-02T09:00:00",
        "2025-02-29T09:00:00Z",
        "2024-02-29T09:00:00Z",
        "2026-04-31T00:00:00Z",
      ],
      form(isInstant),
    ),
  );

  // Identity: tokens, bindings, registry, issuers.
  const TI: Path = ["identity", "tokenIssuers", 0];
  add(
    field([...TI, "algorithms"], [["RS256", "EdDSA", "PS512"], ["HS256"], ["none"], ["ES256K"], []], (v) =>
      (v as string[]).length === 0 ? RANGE : (v as string[])[0] === "RS256" ? ACCEPT : bad("invalid-value"),
    ),
  );
  add(field([...TI, "trustDomain"], ["prod.example.com"], () => bad("token-issuer-trust-domain")));
  add(
    field([...TI, "kind"], ["spiffe-jwt-svid", "kubernetes", "OIDC"], (v) =>
      v === "kubernetes" ? ACCEPT : v === "OIDC" ? bad("invalid-value") : bad("token-issuer-trust-domain"),
    ),
  );
  add(
    field(
      [...TI, "keys"],
      [
        { discovery: "https://t.example/.well-known/openid-configuration" },
        { jwksUrl: "http://t.example/k" },
        { jwksUrl: "https://t.example/k#x" },
        { jwksUrl: "https://t.example/k", discovery: "https://t.example/d" },
        {},
      ],
      (v) => {
        const k = v as Record<string, string>;
        if (Object.keys(k).length !== 1) return bad("invalid-value");
        const u = Object.values(k)[0] as string;
        return u.startsWith("https://") && !u.includes("#") ? ACCEPT : bad("invalid-format", "invalid-value");
      },
    ),
  );
  add(
    field([...TI, "issuer"], ["https://acme.cloudflareaccess.com", "http://t.example", "https://", "t.example"], (v) =>
      v === "https://acme.cloudflareaccess.com"
        ? bad("duplicate-token-issuer")
        : bad("invalid-format", "invalid-value"),
    ),
  );
  add(
    field(
      ["identity", "tokenIssuers", 1],
      [
        {
          name: "gha",
          kind: "oidc",
          issuer: "https://other.example",
          keys: { jwksUrl: "https://other.example/k" },
          requireClaims: { a: "b" },
        },
        {
          name: "other",
          kind: "oidc",
          issuer: "https://token.actions.githubusercontent.com",
          keys: { jwksUrl: "https://other.example/k" },
          requireClaims: { a: "b" },
        },
      ],
      () => bad("duplicate-token-issuer"),
    ),
  );
  add(field(["identity", "tokenIssuers"], [[]], () => RANGE));
  add(
    field(
      ["identityBindings", "deployers", 0, "access"],
      ["alice@example.com", "ALICE@Example.com", CLIENT, "client-id", ""],
      str((s) =>
        s === "" ? RANGE : s.includes("@") ? ACCEPT : isClientId(s) ? ACCEPT : bad("invalid-service-token-id"),
      ),
    ),
  );
  add(
    field(
      ["identityBindings", "deployers", 0, "workload"],
      ["spiffe://prod.example.com/ci/", "spiffe://Prod/x"],
      () => FORMAT,
    ),
  );
  add(field(["identityBindings", "deployers"], [[]], () => RANGE));
  add(
    field(["services", "payments", "routes", 1, "rules", 0, "bothFactors", "binding"], ["nope", "Deployers"], (v) =>
      isName(v as string) ? bad("unknown-identity-binding") : FORMAT,
    ),
  );
  add(
    field(
      ["services", "payments", "routes", 1, "rules", 0, "bothFactors", "workload"],
      [[{ email: "a@example.com" }], [{ set: "sre" }], []],
      (v) =>
        (v as unknown[]).length === 0
          ? RANGE
          : "set" in ((v as object[])[0] as object)
            ? ACCEPT
            : bad("invalid-rule-principals"),
    ),
  );
  add(
    field(
      ["services", "payments", "routes", 1, "rules", 0, "bothFactors", "access"],
      [[{ spiffePrefix: "spiffe://prod.example.com/" }]],
      () => bad("invalid-rule-principals"),
    ),
  );
  const FP = "ab".repeat(32);
  add(
    field(
      ["identity", "mtls", "registry"],
      [
        [{ fingerprintSha256: FP, id: "spiffe://prod.example.com/a" }],
        [{ fingerprintSha256: FP.toUpperCase().match(/../g)?.join(":"), id: "spiffe://prod.example.com/a" }],
        [
          { fingerprintSha256: FP, id: "spiffe://prod.example.com/a" },
          { fingerprintSha256: FP.toUpperCase().match(/../g)?.join(":"), id: "spiffe://prod.example.com/b" },
        ],
        [{ fingerprintSha256: FP.slice(2), id: "spiffe://prod.example.com/a" }],
        [{ fingerprintSha256: `${FP.slice(1)}g`, id: "spiffe://prod.example.com/a" }],
        [{ fingerprintSha256: FP, id: "spiffe://Prod.example.com/a" }],
      ],
      (v) => {
        const reg = v as { fingerprintSha256: string; id: string }[];
        if (reg.length === 2) return bad("duplicate-fingerprint");
        const f = (reg[0] as { fingerprintSha256: string }).fingerprintSha256.replaceAll(":", "");
        return /^[0-9a-fA-F]{64}$/.test(f) && isSpiffe((reg[0] as { id: string }).id) ? ACCEPT : FORMAT;
      },
    ),
  );
  add(
    field(
      ["identity", "mtls", "issuers", 0],
      [
        { dn: "CN=", trustDomains: ["prod.example.com"] },
        { dn: "C=x", trustDomains: ["prod.example.com"] },
        { ski: "ab:CD:01", trustDomains: ["prod.example.com"] },
        { ski: "abc", trustDomains: ["prod.example.com"] },
        { ski: "zz", trustDomains: ["prod.example.com"] },
        { dn: "CN=x", trustDomains: [] },
        { dn: "CN=x", ski: "ab", trustDomains: ["prod.example.com"] },
      ],
      (v) => {
        const i = v as { dn?: string; ski?: string; trustDomains: string[] };
        if (i.dn !== undefined && i.ski !== undefined) return bad("invalid-value", "unknown-field");
        if (i.trustDomains.length === 0) return RANGE;
        if (i.dn !== undefined) return i.dn.length >= 3 ? ACCEPT : bad("out-of-range", "invalid-format");
        return /^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2})*$/.test(i.ski as string) ? ACCEPT : FORMAT;
      },
    ),
  );
  add(field(["identity", "mtls", "issuers"], [[]], () => RANGE));

  // Cross-field, sets, admin, unknown and misplaced fields.
  add(field(["identity", "access"], [undefined], () => bad("access-not-configured")).map(anywhere));
  add(field(["principalSets", "inner"], [[{ set: "sre" }]], () => bad("invalid-value")));
  add(field(["principalSets", "empty"], [[]], () => RANGE));
  add(field(["principalSets", "Bad"], [[{ public: true }]], () => FORMAT));
  add(field(["principalSets", "anyone"], [[{ authenticated: true }]], () => ACCEPT));
  add([
    {
      what: "admin through a set of authenticated",
      doc: withValue(
        withValue(baseDocument(), ["principalSets", "anyone"], [{ authenticated: true }]),
        ["admin", "principals"],
        [{ set: "anyone" }],
      ),
      verdict: bad("invalid-value"),
    },
  ]);
  add(
    field(
      ["admin", "principals"],
      [[{ public: true }], [{ authenticated: true }], [], [{ email: "ops@example.com" }]],
      (v) =>
        (v as object[]).length === 0
          ? RANGE
          : "email" in ((v as object[])[0] as object)
            ? ACCEPT
            : bad("invalid-value"),
    ),
  );
  add(
    field(
      ["services", "Payments2"],
      [
        {
          hosts: ["p2.example.com"],
          origin: { tunnel: "O" },
          owner: "o",
          routes: [
            { id: "r", methods: ["GET"], path: "/", rules: [{ effect: "allow", principals: [{ public: true }] }] },
          ],
        },
      ],
      () => FORMAT,
    ),
  );
  add(field(["metadata", "hide"], [true], () => bad("unknown-field")));
  add(field(["services", "payments", "routes", 0, "rules", 0, "rateLimit", "burst"], [5], () => bad("unknown-field")));
  add(field(["services", "payments", "rateLimit"], [{ limit: 1, period: "1s" }], () => bad("unknown-field")));
  add(field(["routes"], [[]], () => bad("unknown-field")));
  add(
    field(["services", "payments", "routes", 0, "rules", 0, "when", "hours"], [{ from: "08:00", to: "09:00" }], () =>
      bad("unknown-field"),
    ),
  );
  add(field(["services"], [{}], () => ACCEPT));
  add(field(["metadata"], [undefined], () => bad("missing-field")));
  add(field(["services", "payments", "owner"], [undefined], () => bad("missing-field")));
  add(field(["services", "payments", "routes", 0, "rules", 0, "effect"], [undefined], () => bad("missing-field")));
  add(field(["quarantine", "deniedRequests"], [undefined], () => bad("missing-field")));
  add(field(["services", "payments", "routes", 0, "rules", 0, "when", "claims"], [{ __proto__x: 1 }], () => ACCEPT));
  return cases;
}

/** A key named `__proto__` (JSON.parse keeps it as an own key; an object literal would not). */
export function protoCases(): { what: string; text: string; verdict: Verdict }[] {
  const base = JSON.stringify(baseDocument());
  return [
    {
      what: "claims __proto__",
      text: base.replace('"repository_owner_id":"65"', '"repository_owner_id":"65","__proto__":"x"'),
      verdict: refuse("invalid-value"),
    },
    {
      what: "principal set __proto__",
      text: base.replace('"principalSets":{', '"principalSets":{"__proto__":[{"public":true}],'),
      verdict: refuse("invalid-value", "invalid-format"),
    },
  ];
}
