// A realistic, valid policy of any size, for benchmarks: N routes spread over services of (by default) 20
// routes each. Every service has its own host (every tenth also a wildcard host), a tunnel origin and an
// owning team; its routes are REST-style resources with literal paths, {param} segments and some pathPrefix
// routes, each with several rules built from principal sets, scopes, time windows, rate limits and deny rules.
// Deterministic: the same arguments always give the same document (so the same policy version).
import type { PolicyInput } from "../../policy/index.ts";

export const ROUTES_PER_SERVICE = 20;
/** Teams own services round-robin; each team has a principal set (workloads and an Access group). */
export const TEAMS = 16;
export const TRUST_DOMAIN = "prod.example.com";
/** Every service whose index is a multiple of this also answers on `*.<name>.apps.example.com`. */
export const WILDCARD_EVERY = 10;

const RESOURCES = [
  "orders",
  "invoices",
  "customers",
  "shipments",
  "products",
  "accounts",
  "reports",
  "payments",
  "refunds",
  "users",
  "projects",
  "tickets",
  "documents",
  "events",
  "metrics",
  "subscriptions",
];
/** Route kinds per resource: list, create, get, update, and an export prefix or a nested history path. */
const KINDS = 5;

/** Identities the generated rules name, so that benchmarks can build requests that hit them. */
export const PEOPLE = {
  /** In the `sre` set (by e-mail and group). */
  oncall: "oncall@example.com",
  /** In the `suspended` set, which every route denies. */
  suspended: "mallory@example.com",
  /** Domain of the `contractors` set, which write routes deny. */
  contractorDomain: "contractors.example.net",
} as const;
export const QUARANTINED_WORKLOAD = `spiffe://${TRUST_DOMAIN}/ns/quarantine/sa/compromised`;

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

export function teamName(team: number): string {
  return `team-${pad(team, 2)}`;
}
export function teamOf(service: number): number {
  return service % TEAMS;
}
export function teamWorkload(team: number, account = "api"): string {
  return `spiffe://${TRUST_DOMAIN}/ns/${teamName(team)}/sa/${account}`;
}
export function serviceName(service: number): string {
  return `svc-${pad(service, 5)}`;
}
export function serviceHost(service: number): string {
  return `${serviceName(service)}.internal.example.com`;
}
export function wildcardSuffix(service: number): string | undefined {
  return service % WILDCARD_EVERY === 0 ? `${serviceName(service)}.apps.example.com` : undefined;
}
/** The name of a service's r-th resource (services start at different resources, so paths vary). */
export function resourceName(service: number, r: number): string {
  const i = (service + r) % RESOURCES.length;
  const round = Math.floor(r / RESOURCES.length);
  return round === 0 ? RESOURCES[i]! : `${RESOURCES[i]}-${round + 1}`;
}
/** Does the r-th resource get an export pathPrefix route (even r) or a nested history route (odd r)? */
export function hasExportPrefix(r: number): boolean {
  return r % 2 === 0;
}

type RouteInput = PolicyInput["services"][string]["routes"][number];
type RuleInput = RouteInput["rules"][number];

// Fresh objects for every route, as a parsed YAML or JSON document would have.
const denySuspended = (): RuleInput => ({
  id: "deny-suspended",
  effect: "deny",
  principals: [{ set: "suspended" }],
  description: "suspended people and quarantined workloads reach nothing",
});
const denyContractors = (): RuleInput => ({
  id: "deny-contractors",
  effect: "deny",
  principals: [{ set: "contractors" }],
});
const sreRead = (): RuleInput => ({ id: "sre-read", effect: "allow", principals: [{ set: "sre" }] });

function routesFor(service: number, count: number): RouteInput[] {
  const team = teamName(teamOf(service));
  const routes: RouteInput[] = [];
  for (let k = 0; k < count; k++) {
    const r = Math.floor(k / KINDS);
    const res = resourceName(service, r);
    const read = `${res}:read`;
    const write = `${res}:write`;
    const teamRead: RuleInput = {
      id: "team-read",
      effect: "allow",
      principals: [{ set: team }],
      when: { scopes: [read] },
    };
    switch (k % KINDS) {
      case 0:
        routes.push({
          id: `${res}-list`,
          methods: ["GET", "HEAD"],
          path: `/v1/${res}`,
          rules: [
            denySuspended(),
            teamRead,
            sreRead(),
            {
              id: "auditors-office-hours",
              effect: "allow",
              principals: [{ set: "auditors" }],
              when: { time: { days: ["mon", "tue", "wed", "thu", "fri"], hours: { from: "07:00", to: "19:00" } } },
            },
          ],
        });
        break;
      case 1:
        routes.push({
          id: `${res}-create`,
          methods: ["POST"],
          path: `/v1/${res}`,
          rules: [
            denySuspended(),
            {
              id: "team-write",
              effect: "allow",
              principals: [{ set: team }],
              when: { scopes: [write] },
              rateLimit: { limit: 100, period: "60s" },
            },
            denyContractors(),
          ],
        });
        break;
      case 2:
        routes.push({
          id: `${res}-get`,
          methods: ["GET", "HEAD"],
          path: `/v1/${res}/{id}`,
          rules: [
            denySuspended(),
            teamRead,
            sreRead(),
            {
              id: "partner-reporting",
              effect: "allow",
              principals: [{ spiffe: teamWorkload((teamOf(service) + 1) % TEAMS, "reporting") }],
              when: { scopes: [read] },
            },
          ],
        });
        break;
      case 3:
        routes.push({
          id: `${res}-update`,
          methods: ["PUT", "PATCH", "DELETE"],
          path: `/v1/${res}/{id}`,
          rules: [
            denySuspended(),
            denyContractors(),
            {
              id: "team-write",
              effect: "allow",
              principals: [{ set: team }],
              when: { scopes: [write] },
              headers: { "X-Actor-Team": team },
            },
          ],
        });
        break;
      default:
        routes.push(
          hasExportPrefix(r)
            ? {
                id: `${res}-export`,
                methods: ["GET", "HEAD"],
                pathPrefix: `/v1/${res}/export/`,
                rules: [
                  denySuspended(),
                  sreRead(),
                  {
                    id: "team-export",
                    effect: "allow",
                    principals: [{ set: team }],
                    when: { scopes: [`${res}:export`] },
                  },
                ],
              }
            : {
                id: `${res}-history`,
                methods: ["GET"],
                path: `/v1/${res}/{id}/history/{version}`,
                rules: [denySuspended(), teamRead],
              },
        );
    }
  }
  return routes;
}

/** A valid policy document with exactly `routes` routes (the last service may have fewer). */
export function generatePolicy(routes: number, routesPerService = ROUTES_PER_SERVICE): PolicyInput {
  if (!Number.isInteger(routes) || routes < 1) throw new Error("routes must be a positive integer");
  const principalSets: NonNullable<PolicyInput["principalSets"]> = {
    sre: [{ group: "sre" }, { email: PEOPLE.oncall }],
    auditors: [{ group: "auditors" }],
    suspended: [{ email: PEOPLE.suspended }, { spiffe: QUARANTINED_WORKLOAD }],
    contractors: [{ emailDomain: PEOPLE.contractorDomain }],
  };
  for (let t = 0; t < TEAMS; t++) {
    principalSets[teamName(t)] = [
      { spiffePrefix: `spiffe://${TRUST_DOMAIN}/ns/${teamName(t)}/` },
      { group: teamName(t) },
    ];
  }

  const services: PolicyInput["services"] = {};
  const serviceCount = Math.ceil(routes / routesPerService);
  for (let s = 0; s < serviceCount; s++) {
    const wildcard = wildcardSuffix(s);
    const team = teamName(teamOf(s));
    services[serviceName(s)] = {
      hosts: wildcard ? [serviceHost(s), `*.${wildcard}`] : [serviceHost(s)],
      origin: { tunnel: serviceName(s).toUpperCase().replace(/-/g, "_") },
      owner: `${team}@example.com`,
      hide: s % 3 === 0,
      description: `generated service ${s} owned by ${team}`,
      routes: routesFor(s, Math.min(routesPerService, routes - s * routesPerService)),
    };
  }

  return {
    version: 1,
    metadata: {
      environment: "production",
      trustDomains: [TRUST_DOMAIN],
      owners: ["security@example.com"],
      description: `generated benchmark policy: ${routes} routes in ${serviceCount} services`,
    },
    identity: {
      access: {
        teamDomain: "https://example.cloudflareaccess.com",
        audiences: ["0f4c1e0b8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243a"],
      },
      mtls: { issuers: [{ dn: "CN=Example Workload CA,O=Example Inc", trustDomains: [TRUST_DOMAIN] }] },
      // The scopes rules ask for come in workload tokens (JWT-SVIDs).
      tokenIssuers: [
        {
          name: "spire",
          kind: "spiffe-jwt-svid",
          issuer: `https://spire.${TRUST_DOMAIN}`,
          keys: { jwksUrl: `https://spire.${TRUST_DOMAIN}/bundle` },
          trustDomain: TRUST_DOMAIN,
          algorithms: ["RS256", "ES256"],
          clockSkew: "30s",
          maxLifetime: "5m",
        },
      ],
    },
    principalSets,
    exceptions: { maxDuration: "7d", breakGlassMaxDuration: "30m" },
    services,
  };
}

/** Number of routes in a (generated) document. */
export function countRoutes(doc: PolicyInput): number {
  return Object.values(doc.services).reduce((n, service) => n + service.routes.length, 0);
}
