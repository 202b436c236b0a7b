// Generated policies: every way around a narrowed route that evaluate() actually allows (HEAD to a path the route
// takes by GET, or its exact path spelt with or without a trailing slash, decided by another route that admits
// someone the route refuses) must be reported by `ward validate` (route-escapable) on that route. Without deny
// rules (which can refuse a caller on both sides), every such warning must also name a real way around.
// The seed is printed; WARD_ESCAPE_SEED=<n> replays it, WARD_ESCAPE_ROUTES=<n> allows more routes per policy.
import { describe, expect, it } from "vitest";
import { buildIndexes } from "../../policy/compile.ts";
import { evaluate, validatePolicy, type CompiledPolicy, type PolicyDocument } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_ESCAPE_SEED");
const ROUTES_MAX = Number(process.env.WARD_ESCAPE_ROUTES ?? 4);
const POLICIES = 250;
const LITERALS = ["a", "b"];
const SEGMENTS = [...LITERALS, "x", "A"];
const PEOPLE = ["ann", "bob", "eve"];
const METHOD_SETS = [["GET"], ["GET"], ["HEAD"], ["POST"], ["GET", "POST"], ["GET", "HEAD"], ["*"]];
const METHODS = ["GET", "HEAD", "POST"] as const;

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

interface GenRoute {
  id: string;
  methods: string[];
  pattern: string;
  prefix: boolean;
  rules: { id: string; effect: "allow" | "deny"; mode?: "audit"; principals: { email: string }[] }[];
}

function genRoute(r: Random, i: number, denies: boolean): GenRoute {
  const depth = Math.floor(r() * 3);
  const parts = Array.from({ length: depth }, (_, k) =>
    r() < 0.3 ? (r() < 0.5 ? "{*}" : `{p${k}}`) : pick(r, LITERALS),
  );
  const kind = r();
  const prefix = kind < 0.25;
  let pattern = `/${parts.join("/")}`;
  if (prefix && depth > 0 && r() < 0.3) pattern += "/";
  if (!prefix && kind < 0.4) pattern = depth === 0 ? "/{**}" : `${pattern}/{**}`;
  else if (!prefix && kind < 0.6 && depth > 0) pattern += "/";
  const rules = Array.from({ length: 1 + Math.floor(r() * 2) }, (_, k) => {
    const audit = r() < 0.15;
    const effect = (denies && r() < 0.3) || audit ? ("deny" as const) : ("allow" as const);
    return {
      id: `r${k}`,
      effect,
      ...(audit ? { mode: "audit" as const } : {}),
      principals: [{ email: `${pick(r, PEOPLE)}@example.com` }],
    };
  });
  return { id: `route${i}`, methods: pick(r, METHOD_SETS), pattern, prefix, rules };
}

function documentOf(routes: GenRoute[], caseInsensitive = false): PolicyDocument {
  return {
    version: 1,
    metadata: { environment: "test", owners: ["sec@example.com"] },
    identity: { access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: {
      app: {
        hosts: ["app.example.com"],
        origin: { tunnel: "APP" },
        owner: "app-team",
        ...(caseInsensitive ? { caseInsensitivePaths: true } : {}),
        routes: routes.map((g) => ({
          id: g.id,
          methods: g.methods,
          ...(g.prefix ? { pathPrefix: g.pattern } : { path: g.pattern }),
          rules: g.rules,
        })),
      },
    },
  } as unknown as PolicyDocument;
}

/** Every path of up to four segments of SEGMENTS, with and without a trailing slash. */
function allPaths(): string[] {
  const out: string[][] = [[]];
  for (let depth = 1; depth <= 4; depth++)
    for (const path of out.filter((p) => p.length === depth - 1)) for (const s of SEGMENTS) out.push([...path, s]);
  return out.flatMap((p) => (p.length === 0 ? ["/"] : [`/${p.join("/")}`, `/${p.join("/")}/`]));
}
const PATHS = allPaths();
const toggled = (path: string) => (path === "/" ? undefined : path.endsWith("/") ? path.slice(0, -1) : `${path}/`);

describe(`route-escapable (params, caseInsensitivePaths, audit denies, prefix slashes) against evaluate() (seed ${SEED}; replay: WARD_ESCAPE_SEED=${SEED})`, () => {
  it("reports every way around a narrowed route, and without deny rules only those", () => {
    const r = prng(SEED);
    const now = Date.UTC(2026, 0, 1);
    let escapes = 0;
    let warned = 0;
    for (let p = 0; p < POLICIES; p++) {
      const denies = p % 2 === 0;
      const routes = Array.from({ length: 2 + Math.floor(r() * ROUTES_MAX) }, (_, i) => genRoute(r, i, denies));
      const ci = r() < 0.4;
      const valid = validatePolicy(documentOf(routes, ci));
      if (!valid.ok) continue; // two routes for one path and method: not a policy
      const policy: CompiledPolicy = buildIndexes(valid.policy, `generated-${p}`);
      const decide = (method: string, path: string, person: string) =>
        evaluate(
          policy,
          { method, host: "app.example.com", path, identity: { user: { email: `${person}@example.com` } } },
          now,
        );
      const byId = new Map(routes.map((g, i) => [`app/${g.id}`, i]));
      const takes = (g: GenRoute, m: string) => g.methods.includes("*") || g.methods.includes(m);
      // The routes evaluate() shows a way around, each with one example.
      const escaped = new Map<number, string>();
      for (const path of PATHS)
        for (const method of METHODS)
          for (const person of PEOPLE) {
            const own = decide(method, path, person);
            const index = own.route === undefined ? undefined : byId.get(own.route)!;
            if (index === undefined || own.effect === "allow") continue;
            const narrow = routes[index]!;
            if (!narrow.rules.some((x) => x.effect === "allow")) continue;
            const around: [string, string | undefined][] = [];
            if (method === "GET" && !takes(narrow, "HEAD")) around.push(["HEAD", path]);
            if (!narrow.prefix && !narrow.pattern.endsWith("{**}")) around.push([method, toggled(path)]);
            for (const [m, other] of around) {
              if (other === undefined) continue;
              const d = decide(m, other, person);
              if (d.effect === "allow" && d.route !== own.route) escaped.set(index, `${m} ${other} as ${person}`);
            }
          }
      const reported = new Set(
        validatePolicy(documentOf(routes, ci))
          .issues.filter((i) => i.code === "route-escapable")
          .map((i) => Number(/routes\[(\d+)\]$/.exec(i.path)![1])),
      );
      const context = `seed ${SEED}, policy ${p}, caseInsensitive ${ci}\n${JSON.stringify(routes)}`;
      for (const [index, example] of escaped) expect(reported, `${context}\nunreported: ${example}`).toContain(index);
      if (!denies)
        for (const index of reported) expect([...escaped.keys()], `${context}\nno way around`).toContain(index);
      escapes += escaped.size;
      warned += reported.size;
    }
    // The generator reaches the cases that matter, whatever the seed.
    expect(escapes).toBeGreaterThan(30);
    expect(warned).toBeGreaterThan(30);
  }, 60_000);
});
