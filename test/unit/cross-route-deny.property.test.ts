// Generated policies and requests: evaluate() against a reference written from the definition, with route
// patterns matched by regular expressions rather than the trie. A request is denied when an enforced deny rule
// naming the caller sits on ANY route that matches it (pattern and method); otherwise the most specific
// route's allow decides. A deny route also reaches the path with its last segment cut at a dot (`/a.json` as
// `/a`: Rails' format suffix). The seed is printed on failure; WARD_DENY_SEED=<n> replays it.
import { describe, expect, it } from "vitest";
import { buildIndexes } from "../../policy/compile.ts";
import { evaluate, validatePolicy, type CompiledPolicy, type PolicyDocument } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_DENY_SEED");
const POLICIES = 300;
const REQUESTS = 40;
const SEGMENTS = ["a", "b", "c"];
const PEOPLE = ["ann", "bob", "eve"];
const METHODS = ["GET", "POST"] as const;

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

interface GenRoute {
  id: string;
  methods: string[];
  pattern: string;
  prefix: boolean;
  rules: { id: string; effect: "allow" | "deny"; mode?: "audit"; principals: { email: string }[] }[];
}

function genRoute(r: Random, i: number): GenRoute {
  const depth = Math.floor(r() * 3) + (r() < 0.3 ? 0 : 1);
  const parts = Array.from({ length: depth }, () => (r() < 0.3 ? "{*}" : pick(r, SEGMENTS)));
  const kind = r();
  const prefix = kind < 0.3;
  if (!prefix && kind < 0.5) parts.push("{**}");
  const rules = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, k) => {
    const effect = r() < 0.45 ? ("deny" as const) : ("allow" as const);
    return {
      id: `r${k}`,
      effect,
      ...(effect === "deny" && r() < 0.25 ? { mode: "audit" as const } : {}),
      principals: [{ email: `${pick(r, PEOPLE)}@example.com` }],
    };
  });
  return {
    id: `route${i}`,
    methods: r() < 0.3 ? ["*"] : [pick(r, METHODS)],
    pattern: `/${parts.join("/")}`,
    prefix,
    rules,
  };
}

function documentOf(routes: GenRoute[]): PolicyDocument {
  return {
    version: 1,
    metadata: { environment: "test", owners: ["sec@example.com"] },
    identity: { access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: {
      app: {
        hosts: ["app.example.com"],
        origin: { tunnel: "APP" },
        owner: "app-team",
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

/** The route's pattern as a regular expression over the canonical path. */
function regexOf(g: GenRoute): RegExp {
  const parts = g.pattern === "/" ? [] : g.pattern.slice(1).split("/");
  let body = "";
  for (const p of parts) {
    if (p === "{**}") body += "(/.*)?";
    else if (p === "{*}") body += "/[^/]+";
    else body += `/${p}`;
  }
  if (g.prefix) return new RegExp(`^${body}(/.*)?$`);
  return new RegExp(`^${body === "" ? "/" : body}$`);
}

function takes(g: GenRoute, method: string): boolean {
  return g.methods.includes("*") || g.methods.includes(method);
}

describe(`cross-route deny rules against the definition (seed ${SEED}; replay: WARD_DENY_SEED=${SEED})`, () => {
  it("decides every generated request as the definition says", () => {
    const r = prng(SEED);
    let checked = 0;
    let deniedAcross = 0;
    let onTrial = 0;
    let bySuffix = 0;
    for (let p = 0; p < POLICIES; p++) {
      const routes = Array.from({ length: 2 + Math.floor(r() * 5) }, (_, i) => genRoute(r, i));
      const valid = validatePolicy(documentOf(routes));
      if (!valid.ok) continue; // two routes for one path and method: not a policy
      const policy: CompiledPolicy = buildIndexes(valid.policy, `generated-${p}`);
      const described = JSON.stringify(routes);
      const regexes = routes.map(regexOf);
      for (let q = 0; q < REQUESTS; q++) {
        const depth = Math.floor(r() * 4);
        const suffix = depth > 0 && r() < 0.4 ? pick(r, [".json", ".b.json"]) : "";
        const path = `/${Array.from({ length: depth }, () => pick(r, [...SEGMENTS, "x"])).join("/")}${suffix}`;
        // The path, and each spelling with its last segment cut at a dot, as deny routes read it.
        const cuts = [...path.matchAll(/\./g)].map((m) => path.slice(0, m.index)).filter((cut) => !cut.endsWith("/"));
        const method = pick(r, METHODS);
        const person = pick(r, PEOPLE);
        const email = `${person}@example.com`;
        const d = evaluate(
          policy,
          { method, host: "app.example.com", path, identity: { user: { email } } },
          Date.UTC(2026, 0, 1),
        );
        const context = `seed ${SEED}, policy ${p}, ${method} ${path} as ${email}\n${described}`;
        const matching = routes.filter((g, i) => regexes[i]!.test(path) && takes(g, method));
        const chosen = d.route ? routes.find((g) => `app/${g.id}` === d.route) : undefined;
        // The trie's choice is one of the matching routes, or none exactly when none matches.
        expect(chosen === undefined, context).toBe(matching.length === 0);
        if (!chosen) continue;
        expect(matching, context).toContain(chosen);
        const names = (g: GenRoute, audit: boolean) =>
          g.rules
            .filter((x) => x.effect === "deny" && (x.mode === "audit") === audit && x.principals[0]!.email === email)
            .map((x) => `app/${g.id}/${x.id}`);
        const denying = routes.filter(
          (g, i) => [path, ...cuts].some((spelling) => regexes[i]!.test(spelling)) && takes(g, method),
        );
        const enforced = denying.flatMap((g) => names(g, false));
        const trial = denying.flatMap((g) => names(g, true));
        const allows = chosen.rules.some((x) => x.effect === "allow" && x.principals[0]!.email === email);
        checked++;
        if (enforced.length > 0) {
          expect(d.effect, context).toBe("deny");
          expect(d.reasons, context).toEqual(["denied-by-rule"]);
          expect(enforced, context).toContain(d.rule);
          if (!d.rule!.startsWith(`app/${chosen.id}/`)) deniedAcross++;
          if (!matching.some((g) => names(g, false).includes(d.rule!))) bySuffix++;
        } else if (allows) {
          expect(d.effect, context).toBe("allow");
          if (trial.length > 0) {
            onTrial++;
            expect(d.reasons, context).toEqual(["allowed-by-rule", "audit-would-deny"]);
            expect(trial, context).toContain(d.wouldDeny?.rule);
          } else {
            expect(d.wouldDeny, context).toBeUndefined();
          }
        } else {
          expect(d.effect, context).toBe("deny");
          expect(d.reasons, context).toEqual(["no-matching-rule"]);
        }
      }
    }
    // The generator reaches the cases that matter, whatever the seed.
    expect(checked).toBeGreaterThan(1000);
    expect(deniedAcross).toBeGreaterThan(20);
    expect(onTrial).toBeGreaterThan(10);
    expect(bySuffix).toBeGreaterThan(0);
  }, 60_000);
});
