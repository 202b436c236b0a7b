// Generated cases for headers-differential.test.ts: a policy whose services and routes forward random names and
// set random headers, client requests with header names real proxies, identity layers and frameworks read (in
// any case, listed in Connection, sent twice), and origin answers with the URLs and cookies an origin may leak.
import { stringify } from "yaml";
import { reservedForForwarding, reservedForRuleHeaders, type ForwardCase } from "./header-oracle.ts";

export type Rand = () => number;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const chance = (r: Rand, p: number): boolean => r() < p;

/** The name in one of the spellings clients send: lower case, Title-Case, upper case, or mixed. */
export function spelt(r: Rand, name: string): string {
  switch (int(r, 0, 3)) {
    case 0:
      return name;
    case 1:
      return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
    case 2:
      return name.toUpperCase();
    default:
      return [...name].map((c) => (chance(r, 0.5) ? c.toUpperCase() : c)).join("");
  }
}

/** Request header names: identity, proxy, framework and platform headers, the standard ones, hop-by-hop. */
export const REQUEST_NAMES: readonly string[] = [
  // client addresses and the "real" target
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "x-forwarded-user",
  "x-forwarded-email",
  "x_forwarded_user",
  "x.forwarded.for",
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "client-ip",
  "x-originating-ip",
  "x-original-url",
  "x-original-uri",
  "x-original-host",
  "x-rewrite-url",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "x-middleware-subrequest",
  "x-middleware-prefetch",
  "x-nextjs-data",
  // Cloudflare's, Access's, Miniflare's, Envoy's, Ward's own
  "cf-connecting-ip",
  "cf-ray",
  "cf-ipcountry",
  "cf-visitor",
  "cf-worker",
  "cdn-loop",
  "cf-access-jwt-assertion",
  "cf-access-authenticated-user-email",
  "cf-access-client-id",
  "cf-access-client-secret",
  "mf-cf-blob",
  "x-envoy-original-path",
  "x-envoy-external-address",
  "x-envoy-internal",
  "x-envoy-peer-metadata",
  "ward-assertion",
  "ward-request-id",
  "ward-anything",
  "x-ward-user",
  // identity other proxies assert
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-user",
  "x-user-email",
  "x_user_email",
  "x.user.email",
  "x-email",
  "x-groups",
  "x-roles",
  "x-scopes",
  "remote-user",
  "x-webauth-user",
  "x-auth-request-email",
  "x-pomerium-jwt-assertion",
  "x-client-cert",
  "x-ssl-client-cert",
  "ssl-client-cert",
  "x-arr-clientcert",
  "x-amzn-oidc-data",
  "x-goog-authenticated-user-email",
  "x-ms-client-principal-name",
  "x-api-key",
  // hop-by-hop
  "host",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "proxy-connection",
  // standard ones
  "accept",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "pragma",
  "if-none-match",
  "if-match",
  "if-modified-since",
  "if-unmodified-since",
  "if-range",
  "content-type",
  "content-language",
  "content-encoding",
  "range",
  "user-agent",
  "origin",
  "referer",
  "x-requested-with",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
  "sec-purpose",
  "sec-ch-ua",
  "sec-ch-ua-mobile",
  "sec-ch-ua-platform",
  "upgrade-insecure-requests",
  "dnt",
  "priority",
  "traceparent",
  "tracestate",
  "baggage",
  "b3",
  "x-b3-traceid",
  "x-b3-sampled",
  "x-request-id",
  // an app's own, some the policy forwards, two STRIP_HEADERS names
  "x-tenant-id",
  "x_tenant_id",
  "x.tenant.id",
  "x-csrf-token",
  "x-internal-debug",
  "x-tenant-override",
  "x-by-rule",
  "x-custom-1",
  "sec-ch-ua-arch",
  `x-${"long".repeat(30)}`,
];

/** Names a policy may forward (docs: the name pattern, not reserved), identity-like ones among them. */
const FORWARDABLE = [
  "Authorization",
  "X-Tenant-Id",
  "x-csrf-token",
  "X-Api-Key",
  "x-internal-debug",
  "X-Tenant-Override",
  "x-user-email",
  "X-Groups",
  "Remote-User",
  "Accept",
  "Cookie",
  "X-Custom-1",
  "x-client-cert",
  "Sec-Ch-Ua-Arch",
  "Cdn-Loop",
  "X-By-Rule",
  "Referer",
].filter((n) => !reservedForForwarding(n));

/** Names a rule may set (not reserved for `headers`), with a STRIP_HEADERS name and standard ones. */
const SETTABLE = [
  "X-Tenant-Id",
  "x-by-rule",
  "Accept",
  "x-internal-debug",
  "User-Agent",
  "X-Api-Key",
  "x-user-email",
  "Content-Type",
  "X-Request-Id",
  "Referer",
].filter((n) => !reservedForRuleHeaders(n));

const PRINTABLE = " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\"";
const printable = (r: Rand, n: number): string => Array.from({ length: n }, () => pick(r, [...PRINTABLE])).join("");

/** Values of every shape a header takes: empty, lists, padding, addresses, overrides, credentials, long, odd. */
function value(r: Rand, unicode: boolean): string {
  const values: (() => string)[] = [
    () => "",
    () => "1",
    () => "a, b",
    () => "a,b,,c",
    () => "  padded  ",
    () => "tab\there",
    () => "x=1; y=2",
    () => '"quoted, with a comma"',
    () => "10.20.30.40",
    () => "203.0.113.7, 10.20.30.40",
    () => "for=10.20.30.40;proto=http;host=admin.internal",
    () => "/admin?x=1",
    () => "DELETE",
    () => "middleware:middleware:middleware:middleware:middleware",
    () => "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
    () => "Basic YWRtaW46YWRtaW4=",
    () => "ceo@example.com",
    () => "a".repeat(int(r, 200, 3000)),
    () => printable(r, int(r, 1, 40)),
  ];
  if (unicode)
    values.push(
      () => "caf\u00e9",
      () => "\u65e5\u672c\u8a9e",
      () => "na\u00efve \u2013 dash",
    );
  return pick(r, values)();
}

const COOKIE_PIECES = [
  "theme=dark",
  "lang=de",
  "sid=abc123",
  "prefs=a,b",
  'q="x y"',
  "novalue",
  "=nameless",
  "a=%ZZ",
  "CF_Authorization=eyJ.planted.token",
  "cf_authorization=t",
  "CF_AppSession=s",
  "CF_Binding=b",
  '"CF_Authorization"=t',
  "CF%5FAuthorization=t",
  "CF.Authorization=t",
  "CF_Authorization[]=t",
  "x=1 CF_Authorization=y",
  "CF+Binding=z",
  "cf authorization=t",
  "note=about_cf_binding",
  "CF%5fAppSession=q",
  "CF_Authorization =spaced",
  "CF_Authorization%00x=t",
];

function cookieValue(r: Rand): string {
  const pieces = Array.from({ length: int(r, 1, 4) }, () => pick(r, COOKIE_PIECES));
  return pieces.map((p, i) => (i === 0 ? p : pick(r, ["; ", ";", ";  ", "; ", ", "]) + p)).join("");
}

/** The generated policy's one workload-token issuer (its key is for show: no token here is validly signed). */
export const ISSUER = "https://issuer.gen.test";
const ISSUER_KEY = {
  kty: "EC",
  crv: "P-256",
  x: "vk6Fi0IIeqQV71P1qFoUxV27Du4q1FVsmIlgWBuaHR4",
  y: "SnmKubNSCjwmIaeiJddpTSkcUttfPq_9jf8hK1KmV-A",
  kid: "gen-1",
  alg: "ES256",
  use: "sig",
};

const b64url = (value: unknown): string =>
  btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const token = (iss: string): string =>
  `${b64url({ alg: "ES256", kid: "gen-1", typ: "JWT" })}.${b64url({ iss, sub: "ci", aud: "https://gen-0.localhost", iat: 1700000000, exp: 4102444800 })}.c2lnbmF0dXJl`;

/** Authorization values: the policy's issuer's tokens in every form, another issuer's, other schemes. */
function authorizationValue(r: Rand): string {
  return pick(r, [
    () => `Bearer ${token(ISSUER)}`,
    () => `bearer  ${token(ISSUER)}`,
    () => `Bearer\t${token(ISSUER)}`,
    () => `Token ${token(ISSUER)}`,
    () => `Bearer ${token(ISSUER)}, Bearer ${token("https://other.test")}`,
    () => `Bearer ${token(`${ISSUER}/`)}`,
    () => `Bearer ${token("https://other.test")}`,
    () => "Basic YWRtaW46YWRtaW4=",
    () => "Bearer a.b",
  ])();
}

function connectionValue(r: Rand): string {
  const tokens = [
    "keep-alive",
    "close",
    "X-Tenant-Id",
    "accept",
    "Cookie",
    "cf-connecting-ip",
    "ward-assertion",
    "x-forwarded-for",
    "x-by-rule",
    "user-agent",
    "x-custom-1",
    "TE",
  ];
  if (chance(r, 0.05)) tokens.push("upgrade");
  const chosen = Array.from({ length: int(r, 1, 3) }, () => spelt(r, pick(r, tokens)));
  return chosen.join(pick(r, [",", ", ", " , "]));
}

/** The fields of one request: a few to a few dozen, some names twice, now and then an Upgrade. */
export function requestFields(r: Rand, unicode: boolean): [string, string][] {
  const fields: [string, string][] = [];
  for (let i = int(r, 0, 14); i > 0; i--) {
    const name = pick(r, REQUEST_NAMES);
    const v =
      name === "cookie"
        ? cookieValue(r)
        : name === "authorization" && chance(r, 0.7)
          ? authorizationValue(r)
          : name === "connection"
            ? connectionValue(r)
            : name === "cf-connecting-ip"
              ? pick(r, ["203.0.113.7", "2001:db8::1", "", "203.0.113.7, 10.0.0.1", "203.0.113.7:443", "fe80::1%eth0"])
              : value(r, unicode);
    fields.push([spelt(r, name), v]);
    // The same name again, in another spelling (several Cookie fields; a second Authorization).
    if (chance(r, 0.15))
      fields.push([
        spelt(r, name),
        name === "cookie" ? cookieValue(r) : name === "authorization" ? authorizationValue(r) : value(r, unicode),
      ]);
  }
  // The names whose handling is most particular, more often than the corpus would draw them.
  if (chance(r, 0.2)) fields.push([spelt(r, "authorization"), authorizationValue(r)]);
  if (chance(r, 0.2)) fields.push([spelt(r, "cookie"), cookieValue(r)]);
  if (chance(r, 0.1)) fields.push([spelt(r, "connection"), connectionValue(r)]);
  if (chance(r, 0.04)) fields.push([spelt(r, "upgrade"), pick(r, ["websocket", "h2c", ""])]);
  return fields;
}

export interface GeneratedRoute {
  service: string;
  host: string;
  tunnel: string;
  route: string;
  prefix: string;
  forwardHeaders: string[];
  ruleHeaders: Record<string, string>;
}

const TUNNELS = ["WIKI", "PAYMENTS_API", "ORDERS_API"];

/** A policy of three services and their routes, each with its own forwardHeaders and rule headers (or none). */
export function generatedPolicy(r: Rand, routesPerService: number): { yaml: string; routes: GeneratedRoute[] } {
  const routes: GeneratedRoute[] = [];
  const services: Record<string, unknown> = {};
  for (const [s, tunnel] of TUNNELS.entries()) {
    const name = `gen-${s}`;
    const serviceForwards = chance(r, 0.6) ? some(r, FORWARDABLE) : undefined;
    const serviceRoutes = [];
    for (let i = 0; i < routesPerService; i++) {
      // Authorization on a third of the routes: a workload token must not reach the app even there.
      const routeForwards = chance(r, 0.5) ? some(r, FORWARDABLE) : chance(r, 0.35) ? ["Authorization"] : undefined;
      const headers = chance(r, 0.5)
        ? Object.fromEntries(
            some(r, SETTABLE).map((n) => [n, pick(r, ["acme", "", "a, b", " padded\tvalue ", printable(r, 30)])]),
          )
        : undefined;
      const prefix = `/__answer/r${i}`;
      serviceRoutes.push({
        id: `r${i}`,
        methods: ["GET"],
        pathPrefix: prefix,
        ...(routeForwards ? { forwardHeaders: routeForwards } : {}),
        rules: [{ effect: "allow", principals: [{ public: true }], ...(headers ? { headers } : {}) }],
      });
      routes.push({
        service: name,
        host: `${name}.localhost`,
        tunnel,
        route: `r${i}`,
        prefix,
        forwardHeaders: [...(serviceForwards ?? []), ...(routeForwards ?? [])],
        ruleHeaders: headers ?? {},
      });
    }
    services[name] = {
      hosts: [`${name}.localhost`],
      origin: { tunnel },
      owner: "team@example.com",
      ...(serviceForwards ? { forwardHeaders: serviceForwards } : {}),
      routes: serviceRoutes,
    };
  }
  const doc = {
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    identity: {
      tokenIssuers: [
        {
          name: "gen-issuer",
          kind: "oidc",
          issuer: ISSUER,
          keys: { jwks: { keys: [ISSUER_KEY] } },
          requireClaims: { repository_owner: "gen" },
        },
      ],
    },
    services,
  };
  return { yaml: stringify(doc), routes };
}

function some<T>(r: Rand, xs: readonly T[]): T[] {
  const chosen = xs.filter(() => chance(r, 0.25));
  return chosen.length > 0 ? chosen : [pick(r, xs)];
}

/** One request to one of the policy's routes. */
export function forwardCase(r: Rand, route: GeneratedRoute, strip: string, unicode: boolean): ForwardCase {
  return {
    scheme: chance(r, 0.8) ? "https" : "http",
    host: route.host,
    path: `${route.prefix}/${pick(r, ["", "page", "a/b", "caf%C3%A9"])}`,
    query: "",
    fields: requestFields(r, unicode),
    forwardHeaders: route.forwardHeaders,
    ruleHeaders: route.ruleHeaders,
    strip,
    issuers: [ISSUER],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Origin answers.

/** What the generated URLs hold of the origin's network and credentials: none may reach a client in a URL. */
export const INTERNAL = ["10.20.30.40", "internal.corp", "0x7f.1", "[::1]", "gstatic", "admin:pw"];

/** URLs an origin writes: relative, on the gateway's host in its spellings, elsewhere in every form browsers read. */
function url(r: Rand, host: string): string {
  const forms: ((h: string) => string)[] = [
    () => "/next",
    () => "next?x=1",
    () => "?page=2",
    () => "#top",
    () => "",
    () => "/a, /b",
    () => "/search?q=a, b",
    (h) => `//${h}/x`,
    (h) => `https://${h}/x?y=1#z`,
    (h) => `http://${h}/x`,
    (h) => `https://${h}:8443/x`,
    (h) => `https://${h}:443/x`,
    (h) => `http://${h}:80/x`,
    (h) => `HTTPS://${h.toUpperCase()}/x`,
    (h) => `https://${h}./x`,
    (h) => `ws://${h}/socket`,
    (h) => `https://10.20.30.40:8080@${h}/x`,
    (h) => `//admin:pw@${h}/x`,
    () => "//10.20.30.40:8080/internal",
    () => "http://10.20.30.40/x",
    () => "https://internal.corp/x",
    () => "http:\\\\10.20.30.40\\x",
    () => "/\\10.20.30.40/x",
    () => "http:/10.20.30.40/x",
    () => "ws://10.20.30.40/s",
    () => "http://0x7f.1/",
    () => "http://[::1]/x",
    () => "mailto:help@example.com",
    () => "tel:+15551234",
    () => "sms:+15551234",
    () => "blob:http://10.20.30.40/3f1c",
    () => "view-source:http://10.20.30.40/",
    () => "data:text/html,hi",
    () => "javascript:alert(1)",
    () => "urn:internal.corp:8080",
    () => "http://internal.corp:99999/x",
    () => "https://fonts.gstatic.com",
  ];
  return pick(r, forms)(host);
}

function refresh(r: Rand, host: string): string {
  const d = pick(r, ["0", "5", "1.5", ".5", "", "abc", "30"]);
  const u = url(r, host);
  const forms = [
    () => d,
    () => `${d};`,
    () => `${d}; url=${u}`,
    () => `${d};URL=${u}`,
    () => `${d}, ${u}`,
    () => `${d} ${u}`,
    () => `${d}; url='${u}'`,
    () => `${d}; url="${u}"`,
    () => `${d};url = ${u}`,
    () => `${d}; url='${u}' then`,
    () => `${d}; url="${u}", 0; url=${url(r, host)}`,
    () => `${d}; ur=${u}`,
    () => `${d}; u${u}`,
    // A URL behind punctuation, and with backslashes, which WHATWG reads as slashes.
    () => `${d}; (${u})`,
    () => `${d}; u${u.replaceAll("/", "\\")}`,
    () => `${d}; u/\\${u.replace(/^[a-z]*:?\/\//i, "")}`,
  ];
  return pick(r, forms)();
}

function linkValue(r: Rand, host: string): string {
  const params = [
    () => "; rel=preload",
    () => '; rel="preload"',
    () => "; as=image",
    () => "; rel=preconnect",
    () => `; anchor="${url(r, host)}"`,
    () => `; imagesrcset="${url(r, host)} 1x, ${url(r, host)} 2x"`,
    () => '; title="a, <b>"',
    () => "; crossorigin",
    () => "; title*=UTF-8''x",
    () => '; title=a"b',
    () => "; type=text/css",
    () => '; title="open',
  ];
  let v = `<${url(r, host)}>`;
  for (let i = int(r, 0, 3); i > 0; i--) v += pick(r, params)();
  return v;
}

const SET_COOKIES = [
  "session=abc",
  "CF_Authorization=eyJ.planted.token",
  "cf_appsession=x",
  "=CF_Binding=y",
  "theme=dark, CF_Authorization=inside-a-value",
  "a,CF_Authorization=in-the-name",
  'theme="dark,cf_appsession=q"',
  "=CF_Authorization=nameless",
  "CF_Authorization =spaced",
  "pref=cf_binding_docs",
  "lang=en",
  "CF%5FBinding=p",
];
const COOKIE_ATTRIBUTES = [
  "; Path=/",
  "; Domain=localhost",
  "; Domain=example.com",
  "; HttpOnly",
  "; Secure; SameSite=Lax",
  "; Max-Age=0",
  "; Path=/, CF_Authorization=attribute",
];

const OTHER_ANSWER_FIELDS: (() => [string, string])[] = [
  () => ["content-type", "text/html; charset=utf-8"],
  () => ["cache-control", "no-store"],
  () => ["x-powered-by", "Express"],
  () => ["server", "nginx/1.25 (internal.corp)"],
  () => ["vary", "Accept, Cookie"],
  () => ["etag", '"abc, def"'],
  () => ["access-control-allow-origin", "https://app.example.com"],
  () => ["ward-request-id", "planted-by-the-origin"],
  () => ["ward-assertion", "planted"],
  () => ["x-upstream", "10.20.30.40:8080"],
  () => ["x-multi", "1"],
];

/** Names an origin's Connection header may list: its own fields (hop-by-hop for that answer), and connection options. */
const CONNECTION_NAMES = [
  "x-upstream",
  "X-Powered-By",
  "server",
  "x-multi",
  "keep-alive",
  "close",
  "upgrade",
  "ward-request-id",
  "x-not-sent",
];

/** A Connection value: a few names, spaced as origins do; now and then more than a proxy reads (a 502). */
function answerConnection(r: Rand): string {
  if (chance(r, 0.04)) return Array.from({ length: int(r, 60, 70) }, (_, i) => `x-n${i}`).join(",");
  return Array.from({ length: int(r, 1, 3) }, () => pick(r, CONNECTION_NAMES)).join(pick(r, [", ", ",", " , "]));
}

/** Hop-by-hop fields an origin (or its HTTP stack) may answer with, for the connection, not the client. */
const HOP_BY_HOP_FIELDS: (() => [string, string])[] = [
  () => ["keep-alive", "timeout=5"],
  () => ["proxy-connection", "keep-alive"],
  () => ["te", "trailers"],
  () => ["trailer", "x-checksum"],
  () => ["upgrade", "h2c"],
  () => ["proxy-authenticate", 'Basic realm="internal"'],
];

export interface Answer {
  status: number;
  fields: [string, string][];
}

/** An origin's answer: a status and its fields, Location, Refresh, Content-Location, Link, Set-Cookie among them. */
export function answer(r: Rand, host: string): Answer {
  const fields: [string, string][] = [];
  const times = (p: number, max: number) => (chance(r, p) ? int(r, 1, max) : 0);
  for (let i = times(0.5, 2); i > 0; i--) fields.push(["location", url(r, host)]);
  for (let i = times(0.35, 2); i > 0; i--) fields.push(["refresh", refresh(r, host)]);
  for (let i = times(0.3, 2); i > 0; i--) fields.push(["content-location", url(r, host)]);
  for (let i = times(0.4, 2); i > 0; i--)
    fields.push(["link", Array.from({ length: int(r, 1, 3) }, () => linkValue(r, host)).join(", ")]);
  for (let i = times(0.5, 4); i > 0; i--)
    fields.push(["set-cookie", pick(r, SET_COOKIES) + (chance(r, 0.6) ? pick(r, COOKIE_ATTRIBUTES) : "")]);
  for (let i = times(0.6, 3); i > 0; i--) fields.push(pick(r, OTHER_ANSWER_FIELDS)());
  for (let i = times(0.2, 2); i > 0; i--) fields.push(["connection", answerConnection(r)]);
  for (let i = times(0.15, 2); i > 0; i--) fields.push(pick(r, HOP_BY_HOP_FIELDS)());
  // Shuffled: the order of fields of different names is no part of the answer.
  for (let i = fields.length - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  return { status: pick(r, [200, 201, 204, 301, 302, 303, 307, 308, 404, 500]), fields };
}
