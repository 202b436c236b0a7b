// The portal (worker/pages/portal.ts) against the gateway's own decision, on generated policies: an app is listed
// for a person exactly when the gateway lets them open one of its links, and the link it lists opens. Routes
// overlap (exact paths beside prefixes, `{*}` segments, trailing slashes), deny rules sit on other routes, some
// on trial (audit), services may take only callers with a client certificate, and some fold case. No rule has
// conditions, which the portal leaves to the moment an app is opened. The seed is printed on failure;
// WARD_PORTAL_SEED=<n> replays it.
import { describe, expect, it } from "vitest";
import { buildIndexes } from "../../policy/compile.ts";
import { evaluate, validatePolicy, type Identity, type PolicyDocument } from "../../policy/index.ts";
import { appsFor } from "../../worker/pages/portal.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_PORTAL_SEED");
const POLICIES = 400;
// A fullwidth a, which an origin that folds letters reads as a (docs/policy.md, "Letters an origin may fold").
const SEGMENTS = ["a", "b", "A", "\uFF41"];
const PEOPLE = ["ann", "bob", "eve"];
const NOW = Date.UTC(2026, 0, 1);

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

function genRoute(r: Random, i: number) {
  const parts = Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.2 ? "{*}" : pick(r, SEGMENTS)));
  let pattern = `/${parts.join("/")}`;
  if (parts.length > 0 && r() < 0.25) pattern += "/";
  const rules = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, k) => {
    const effect = r() < 0.4 ? "deny" : "allow";
    return {
      id: `r${k}`,
      effect,
      ...(effect === "deny" && r() < 0.25 ? { mode: "audit" } : {}),
      principals: [{ email: `${pick(r, PEOPLE)}@example.com` }],
    };
  });
  return {
    id: `route${i}`,
    methods: r() < 0.2 ? ["*"] : r() < 0.8 ? ["GET", "HEAD"] : ["POST"],
    ...(r() < 0.35 ? { pathPrefix: pattern } : { path: pattern }),
    rules,
  };
}

function documentOf(r: Random): PolicyDocument {
  const services: Record<string, unknown> = {};
  for (const name of ["app", "tools"]) {
    services[name] = {
      hosts: [`${name}.example.com`],
      origin: { tunnel: name.toUpperCase() },
      owner: `${name}-team`,
      ...(r() < 0.25 ? { requireCertificate: true } : {}),
      ...(r() < 0.25 ? { caseInsensitivePaths: true } : {}),
      routes: Array.from({ length: 1 + Math.floor(r() * 5) }, (_, i) => genRoute(r, i)),
    };
  }
  return {
    version: 1,
    metadata: { environment: "test", owners: ["sec@example.com"] },
    identity: {
      access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["a".repeat(64)] },
      mtls: { issuers: [{ dn: "CN=Test CA", trustDomains: ["example.com"] }] },
    },
    services,
  } as unknown as PolicyDocument;
}

describe(`the portal against the gateway's decisions (seed ${SEED}; replay: WARD_PORTAL_SEED=${SEED})`, () => {
  it("lists an app exactly when one of its links opens, and its listed link opens", () => {
    const r = prng(SEED);
    let policies = 0;
    let listed = 0;
    let unlisted = 0;
    for (let p = 0; p < POLICIES; p++) {
      const document = documentOf(r);
      const valid = validatePolicy(document);
      if (!valid.ok) continue; // two routes for one path and method, say: not a policy
      policies++;
      const policy = buildIndexes(valid.policy, `generated-${p}`);
      for (const person of PEOPLE) {
        for (const withCertificate of [false, true]) {
          const identity: Identity = {
            user: { email: `${person}@example.com` },
            ...(withCertificate ? { workload: { id: `spiffe://example.com/${person}` } } : {}),
          };
          const opens = (host: string, path: string) =>
            evaluate(policy, { method: "GET", host, path, identity }, NOW).effect === "allow";
          const apps = new Map(appsFor(policy, identity, "https:", "").map((a) => [a.service, new URL(a.url)]));
          for (const [name, service] of Object.entries(valid.policy.services)) {
            const host = `${name}.example.com`;
            const context = `seed ${SEED}, policy ${p}, ${identity.user!.email}${withCertificate ? " with a certificate" : ""}, ${name}\n${JSON.stringify(document.services[name])}`;
            const link = apps.get(name);
            if (link) {
              listed++;
              expect(link.host, context).toBe(host);
              expect(opens(host, link.pathname), `${context}\nlisted ${link.pathname}`).toBe(true);
              continue;
            }
            unlisted++;
            // Not listed: none of the paths it could link (a GET route's literal path or prefix) opens.
            for (const route of service.routes) {
              const path = route.pathPrefix ?? route.path!;
              if (path.includes("{") || !(route.methods.includes("GET") || route.methods.includes("*"))) continue;
              expect(opens(host, path), `${context}\nnot listed, yet ${path} opens`).toBe(false);
            }
          }
        }
      }
    }
    // The generator makes enough valid policies, and both outcomes, for the property to say something.
    expect(policies).toBeGreaterThan(POLICIES / 4);
    expect(listed).toBeGreaterThan(100);
    expect(unlisted).toBeGreaterThan(100);
  });
});
