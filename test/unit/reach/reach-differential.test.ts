// `ward reach` against the gateway's own decision, on generated policies and requests (the generators of the
// reach diff tests). Every request evaluate() allows by a rule appears in reach as a grant of that rule, on that
// route, for that method, to a principal naming the caller; every request refused by an enforced deny rule
// that an allow rule would otherwise let through shows that deny in the grant's overriddenBy; and every request
// a time-bounded grant lets through (applyGrants) has its row. The seed is printed; WARD_REACH_SEED replays it.
import { describe, expect, it } from "vitest";
import {
  applyGrants,
  buildIndexes,
  evaluate,
  METHODS,
  reach,
  type Grant,
  type TimedGrant,
  type PolicyDocument,
  type PrincipalMatcher,
} from "../../../policy/index.ts";
import { compilePrincipals, expandMatchers, principalsMatch } from "../../../policy/principals.ts";
import { principalName } from "../../../policy/reach/principals.ts";
import { seedFrom } from "../../support/prng.ts";
import { EMAILS, GROUPS, NOWS, randomBase, TOKENS, WORKLOADS } from "./policy-pairs.ts";
import { pairSeed, random } from "./random.ts";
import { sampleRequests, type Sample } from "./random-requests.ts";

const SEED = seedFrom("WARD_REACH_SEED");
const POLICIES = 600;

/** The names reach gives the matchers of a rule that match this caller (plain principals only). */
function matchingNames(doc: PolicyDocument, matchers: readonly PrincipalMatcher[], s: Sample): string[] {
  return expandMatchers(matchers, doc.principalSets)
    .filter((m) => principalsMatch(compilePrincipals([m], {}), s.request.identity))
    .map(principalName);
}

function ruleOf(doc: PolicyDocument, qualified: string) {
  const [service, route, rule] = qualified.split("/");
  const r = doc.services[service!]!.routes.find((x) => x.id === route)!;
  const i = r.rules.findIndex((x, n) => (x.id ?? `rule-${n + 1}`) === rule);
  return r.rules[i]!;
}

/** The same policy with every enforced deny rule removed. */
function withoutDenies(doc: PolicyDocument): PolicyDocument {
  const copy = structuredClone(doc);
  for (const s of Object.values(copy.services))
    for (const r of s.routes) r.rules = r.rules.filter((x) => x.effect === "allow" || x.mode === "audit");
  return copy;
}

describe(`ward reach against the gateway's decisions (seed ${SEED}; replay: WARD_REACH_SEED=${SEED})`, () => {
  it("lists every allowed request's grant, and every deny that refused an otherwise-allowed request", () => {
    const problems: string[] = [];
    let allowed = 0;
    let denied = 0;
    for (let round = 0; round < POLICIES && problems.length < 5; round++) {
      const r = random(pairSeed(SEED, round));
      const base = randomBase(r);
      if (!base) continue;
      const compiled = buildIndexes(base.doc, "v");
      const open = buildIndexes(withoutDenies(base.doc), "v-open");
      const grants = reach(compiled).grants;
      for (const s of sampleRequests(r, [base.doc], 60)) {
        const d = evaluate(compiled, s.request, s.now);
        const show = () =>
          `seed ${SEED} round ${round}: ${JSON.stringify(s.request)} at ${new Date(s.now).toISOString()} -> ${JSON.stringify({ reasons: d.reasons, route: d.route, rule: d.rule })}\n  policy: ${JSON.stringify(base.doc.services)}`;
        if (d.effect === "allow" && d.reasons.includes("allowed-by-rule") && d.rule) {
          allowed++;
          const rows = grants.filter((g) => g.rule === d.rule && g.route === d.route);
          const method = s.request.method;
          const byMethod = rows.filter((g) => g.methods.includes("*") || g.methods.includes(method));
          if (byMethod.length === 0) {
            problems.push(`no grant of ${d.rule} for ${method}: ${show()}`);
            continue;
          }
          const rule = ruleOf(base.doc, d.rule);
          if (rule.principals) {
            const names = matchingNames(base.doc, rule.principals, s);
            if (!byMethod.some((g) => names.includes(g.principal)))
              problems.push(`no grant of ${d.rule} names the caller (${names.join(", ")}): ${show()}`);
          }
        }
        if (d.effect === "deny" && d.reasons.includes("denied-by-rule") && d.rule) {
          const o = evaluate(open, s.request, s.now);
          if (o.effect !== "allow" || !o.rule || !o.reasons.includes("allowed-by-rule")) continue;
          const rule = ruleOf(base.doc, o.rule);
          if (!rule.principals) continue;
          denied++;
          const names = matchingNames(base.doc, rule.principals, s);
          const rows: Grant[] = grants.filter((g) => g.rule === o.rule && names.includes(g.principal));
          if (!rows.some((g) => g.overriddenBy.includes(d.rule!)))
            problems.push(
              `grant ${o.rule} to ${names.join(", ")} is refused by ${d.rule} but reach lists overriddenBy ${JSON.stringify(rows.map((g) => g.overriddenBy))}: ${show()}`,
            );
        }
      }
    }
    expect(problems.slice(0, 3).join("\n\n")).toBe("");
    expect(allowed).toBeGreaterThan(500);
    expect(denied).toBeGreaterThan(20);
  }, 120_000);
});

describe(`ward reach's grant rows against applyGrants (seed ${SEED}; replay: WARD_REACH_SEED=${SEED})`, () => {
  it("lists every request a grant allows", () => {
    const problems: string[] = [];
    let lifted = 0;
    for (let round = 0; round < POLICIES && problems.length < 5; round++) {
      const r = random(pairSeed(SEED ^ 0x5a5a, round));
      const base = randomBase(r);
      if (!base) continue;
      const compiled = buildIndexes(base.doc, "v");
      const services = Object.keys(base.doc.services);
      const grants: TimedGrant[] = Array.from({ length: 1 + r.int(3) }, (_, i) => {
        const service = r.pick(services);
        const routes = base.doc.services[service]!.routes.map((x) => x.id);
        const principal = r.pick<PrincipalMatcher>([
          { spiffe: r.pick(WORKLOADS) },
          { email: r.pick(EMAILS) },
          { serviceToken: r.pick(TOKENS) },
          { group: r.pick(GROUPS) },
        ]);
        return {
          id: `g${i}`,
          kind: r.chance(0.5) ? "exception" : "break-glass",
          principal,
          service,
          routes: r.chance(0.3) ? "*" : r.some(routes),
          methods: r.chance(0.3) ? "*" : r.some(METHODS, 1, 3),
          notBefore: r.pick(NOWS) - 1,
          notAfter: r.pick(NOWS) + 1000,
        };
      });
      const rows = reach(compiled, { grants }).grants.filter((g) => g.source !== "rule");
      for (const s of sampleRequests(r, [base.doc], 60)) {
        const d0 = evaluate(compiled, s.request, s.now);
        const d = applyGrants(compiled, d0, s.request.identity, grants, s.now);
        if (!d.exception) continue;
        lifted++;
        const rule = `${d.exception.kind}:${d.exception.id}`;
        const ok = rows.some(
          (g) =>
            g.rule === rule && g.route === d.route && (g.methods.includes("*") || g.methods.includes(s.request.method)),
        );
        if (!ok)
          problems.push(
            `seed ${SEED} round ${round}: ${JSON.stringify(s.request)} allowed by ${rule} on ${d.route} but reach rows are ${JSON.stringify(rows.filter((g) => g.rule === rule).map((g) => [g.route, g.methods]))}; grant ${JSON.stringify(grants.find((g) => g.id === d.exception!.id))}; routes ${JSON.stringify(base.doc.services[d.service!]!.routes.map((x) => [x.id, x.methods, x.path ?? x.pathPrefix]))}`,
          );
      }
    }
    expect(problems.slice(0, 3).join("\n\n")).toBe("");
    expect(lifted).toBeGreaterThan(50);
  }, 120_000);
});
