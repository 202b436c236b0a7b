// Random policies for the evaluate() oracle (evaluate-oracle.property.test.ts): a model of the generated
// routes and rules, and its document text, which loadPolicy compiles for evaluate.
export const NOW = Date.UTC(2026, 2, 2, 9, 0, 0);

// Randomness

export type Random = () => number;
export const int = (r: Random, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!;
export const chance = (r: Random, p: number) => r() < p;
/** The seed of policy `index` of a run, so the message can name it. */
export const policySeed = (seed: number, index: number) => (Math.imul(index + 1, 0x9e3779b1) ^ seed) >>> 0;

// ---------------------------------------------------------------------------------------------------------
// The generated policy model

export const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export type Matcher =
  | { email: string }
  | { emailDomain: string }
  | { group: string }
  | { serviceToken: string }
  | { spiffe: string }
  | { spiffePrefix: string }
  | { trustDomain: string }
  | { authenticated: true }
  | { public: true }
  | { set: string };

export interface GenRule {
  id: string;
  effect: "allow" | "deny";
  mode?: "audit";
  principals: Matcher[];
}

export interface GenRoute {
  id: string;
  methods: string[];
  path?: string;
  pathPrefix?: string;
  rules: GenRule[];
  /** Carries WebSocket upgrades (only on a route that takes GET): set by the grants oracle's generator. */
  websocket?: true;
}

export interface GenService {
  name: string;
  hosts: string[];
  hide?: boolean;
  mode?: "enforce" | "audit";
  caseInsensitivePaths?: boolean;
  requireCertificate?: boolean;
  routes: GenRoute[];
}

export interface GenPolicy {
  sets: Record<string, Matcher[]>;
  services: GenService[];
}

export const SETS: Record<string, Matcher[]> = {
  ops: [{ group: "ops" }, { email: "bob@example.com" }],
  robots: [
    { spiffePrefix: "spiffe://prod.example.com/ns/a/" },
    { serviceToken: "2acea42ebb5744d63ad3aad955ec50af.access" },
  ],
};

export const MATCHERS: Matcher[] = [
  { email: "ann@example.com" },
  { email: "bob@example.com" },
  { emailDomain: "example.com" },
  { emailDomain: "other.test" },
  { group: "ops" },
  { group: "dev" },
  { serviceToken: "2acea42ebb5744d63ad3aad955ec50af.access" },
  { serviceToken: "25eeec44d2bb6c507e275f3b3e4276bb.access" },
  { spiffe: "spiffe://prod.example.com/ns/a/sa/x" },
  { spiffePrefix: "spiffe://prod.example.com/ns/a/" },
  { spiffePrefix: "spiffe://prod.example.com/ns/a" },
  { trustDomain: "dev.example.com" },
  { authenticated: true },
  { public: true },
  { set: "ops" },
  { set: "robots" },
];

/** Pattern literals: plain, dotted (format suffixes), non-ASCII, and (case-sensitive services only) upper case. */
export const LITERALS = ["a", "b", "admin", "v1", "x.y", "é", "e", "a b", "a+b"];
export const UPPER_LITERALS = ["A", "Admin"];

export function genPattern(r: Random, caseInsensitive: boolean): { path?: string; pathPrefix?: string } {
  const depth = int(r, 4);
  const literals = caseInsensitive ? LITERALS : [...LITERALS, ...UPPER_LITERALS];
  const parts = Array.from({ length: depth }, () => {
    const k = r();
    if (k < 0.2) return "{*}";
    if (k < 0.27) return "{id}";
    return pick(r, literals);
  });
  const kind = r();
  if (kind < 0.3) {
    const base = `/${parts.join("/")}`;
    return { pathPrefix: depth > 0 && chance(r, 0.15) ? `${base}/` : base };
  }
  if (kind < 0.5) return { path: `/${[...parts, "{**}"].join("/")}` };
  const base = `/${parts.join("/")}`;
  // A trailing slash is significant in `path`: `/a/` ends in a literal empty segment.
  return { path: depth > 0 && chance(r, 0.12) ? `${base}/` : base };
}

export function genRule(r: Random, k: number): GenRule {
  const effect = chance(r, 0.45) ? "deny" : "allow";
  const count = 1 + int(r, 2);
  return {
    id: `r${k}`,
    effect,
    ...(effect === "deny" && chance(r, 0.2) ? { mode: "audit" as const } : {}),
    principals: Array.from({ length: count }, () => pick(r, MATCHERS)),
  };
}

export function genMethods(r: Random): string[] {
  if (chance(r, 0.2)) return ["*"];
  const weighted = ["GET", "GET", "GET", "HEAD", "POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  const out = new Set<string>();
  const n = 1 + int(r, 2);
  while (out.size < n) out.add(pick(r, weighted));
  return [...out];
}

export function genService(r: Random, name: string, hosts: string[]): GenService {
  const caseInsensitive = chance(r, 0.25);
  const routes = Array.from({ length: 1 + int(r, chance(r, 0.3) ? 10 : 6) }, (_, i) => ({
    id: `route${i}`,
    methods: genMethods(r),
    ...genPattern(r, caseInsensitive),
    rules: Array.from({ length: 1 + int(r, 3) }, (_, k) => genRule(r, k)),
  }));
  return {
    name,
    hosts,
    ...(chance(r, 0.25) ? { hide: true } : {}),
    ...(chance(r, 0.12) ? { mode: "audit" as const } : {}),
    ...(caseInsensitive ? { caseInsensitivePaths: true } : {}),
    ...(chance(r, 0.08) ? { requireCertificate: true } : {}),
    routes,
  };
}

export function genPolicy(r: Random): GenPolicy {
  const services = [genService(r, "app", ["app.example.com", "*.w.example.com"])];
  if (chance(r, 0.5)) services.push(genService(r, "api", ["api.example.com"]));
  return { sets: SETS, services };
}

export function documentText(g: GenPolicy): string {
  return JSON.stringify({
    version: 1,
    metadata: { environment: "test", owners: ["sec@example.com"] },
    identity: {
      access: { teamDomain: "https://team.cloudflareaccess.com", audiences: ["a".repeat(64)] },
      mtls: { issuers: [{ dn: "CN=Test CA,O=Test", trustDomains: ["prod.example.com", "dev.example.com"] }] },
      tokenIssuers: [
        {
          name: "spire",
          kind: "spiffe-jwt-svid",
          issuer: "https://spire.example.com",
          keys: { jwksUrl: "https://spire.example.com/bundle" },
          trustDomain: "prod.example.com",
          maxLifetime: "5m",
        },
        {
          name: "ci",
          kind: "oidc",
          issuer: "https://ci.example.com",
          keys: { jwksUrl: "https://ci.example.com/jwks" },
          requireClaims: { owner: "acme" },
          maxLifetime: "10m",
        },
      ],
    },
    principalSets: g.sets,
    services: Object.fromEntries(
      g.services.map((s) => {
        const { name, routes, ...rest } = s;
        return [name, { ...rest, origin: { tunnel: "APP" }, owner: "team@example.com", routes }];
      }),
    ),
  });
}
