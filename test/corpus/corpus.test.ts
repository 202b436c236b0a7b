// The decision corpus: policies and requests as data (test/corpus/cases/*.yaml), each with the decision
// the core must reach. Every case is its own test; the coverage tests below keep the corpus from
// silently shrinking (every reason, every target problem, every principal matcher and condition kind).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import {
  Conditions,
  PrincipalMatcher,
  REASONS,
  STATE_REASONS,
  UPGRADE_REASONS,
  REQUEST_PROBLEMS,
  TimeWindow,
  evaluate,
  loadPolicy,
  type CompiledPolicy,
  type Decision,
  type Rule,
  type RequestProblem,
} from "../../policy/index.ts";
import { ruleId } from "../../policy/compile.ts";

// Every problem a request can be refused for (a new one then needs a case here).
const PROBLEMS: readonly RequestProblem[] = REQUEST_PROBLEMS;

// ---- the case file format -------------------------------------------------------------------------

const ReasonSchema = z.enum(REASONS);
const ProblemSchema = z.enum(PROBLEMS as [RequestProblem, ...RequestProblem[]]);

const IdentitySchema = z.strictObject({
  workload: z.strictObject({ id: z.string() }).optional(),
  user: z
    .strictObject({
      email: z.string(),
      sub: z.string().optional(),
      groups: z.array(z.string()).optional(),
      devicePosture: z.record(z.string(), z.boolean()).optional(),
    })
    .optional(),
  serviceToken: z.strictObject({ clientId: z.string() }).optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
  /** A verified workload token, as the Worker builds it (policy/token-claims.ts). */
  workloadToken: z
    .strictObject({
      issuer: z.string(),
      kind: z.enum(["spiffe-jwt-svid", "kubernetes", "oidc"]),
      subject: z.string(),
      spiffeId: z.string().optional(),
      claims: z.record(z.string(), z.unknown()),
    })
    .optional(),
  scopes: z.array(z.string()).optional(),
});

const CaseSchema = z.strictObject({
  name: z.string().min(1),
  request: z.strictObject({
    method: z.string(),
    host: z.string(),
    path: z.string(),
    query: z.string().optional(),
    country: z.string().optional(),
    /** The request carries content (a Content-Length or Transfer-Encoding). */
    body: z.boolean().optional(),
  }),
  /** Required: `{}` is the anonymous caller. */
  identity: IdentitySchema,
  /** Required: the core never reads a clock. */
  time: z.iso.datetime({ offset: true }),
  expect: z.strictObject({
    effect: z.enum(["allow", "deny"]),
    status: z.int(),
    reasons: z.array(ReasonSchema).min(1),
    /** A string is asserted equal; null asserts that the decision has none; omitted is not checked. */
    route: z.string().nullable().optional(),
    rule: z.string().nullable().optional(),
    /** Always asserted: omitted means the decision carries no problem. */
    problem: ProblemSchema.optional(),
    /** Always asserted: omitted means "enforce". */
    mode: z.enum(["enforce", "audit"]).optional(),
    /**
     * The key of the one rate-limit obligation (a list: of each, one per credential counted); null asserts there is
     * none; omitted is not checked.
     */
    rateLimitKey: z
      .union([z.string(), z.array(z.string()).min(2)])
      .nullable()
      .optional(),
    /** Headers obligations, asserted exactly when given. */
    headers: z.record(z.string(), z.string()).optional(),
    /** Audit mode: what enforce mode would have answered, asserted when given. */
    wouldDeny: z
      .strictObject({ status: z.int(), reasons: z.array(ReasonSchema).min(1), rule: z.string().optional() })
      .optional(),
  }),
});
type Case = z.infer<typeof CaseSchema>;

const CaseFileSchema = z
  .strictObject({
    description: z.string().optional(),
    /** An inline policy document ... */
    policy: z.record(z.string(), z.unknown()).optional(),
    /** ... or a policy file, relative to the case file. */
    policyFile: z.string().optional(),
    cases: z.array(CaseSchema).min(1),
  })
  .refine((f) => (f.policy === undefined) !== (f.policyFile === undefined), {
    message: "give exactly one of policy and policyFile",
  });

// ---- loading ------------------------------------------------------------------------------------

interface CorpusFile {
  file: string;
  policy: CompiledPolicy;
  cases: Case[];
}

const casesDir = join(import.meta.dirname, "cases");
const caseFiles = readdirSync(casesDir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

async function loadCorpusFile(file: string): Promise<CorpusFile> {
  const path = join(casesDir, file);
  const parsed = CaseFileSchema.safeParse(parseYaml(readFileSync(path, "utf8"), { uniqueKeys: true }));
  if (!parsed.success) throw new Error(`${file}: not a valid case file: ${z.prettifyError(parsed.error)}`);
  const data = parsed.data;
  const text =
    data.policyFile !== undefined
      ? readFileSync(resolve(dirname(path), data.policyFile), "utf8")
      : JSON.stringify(data.policy);
  const loaded = await loadPolicy(text);
  if (!loaded.ok) {
    throw new Error(
      `${file}: policy is not valid:\n${loaded.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`,
    );
  }
  return { file, policy: loaded.policy, cases: data.cases };
}

const corpus: CorpusFile[] = await Promise.all(caseFiles.map(loadCorpusFile));

function decide(policy: CompiledPolicy, c: Case): Decision {
  return evaluate(
    policy,
    {
      method: c.request.method,
      host: c.request.host,
      path: c.request.path,
      query: c.request.query,
      country: c.request.country,
      body: c.request.body,
      identity: c.identity,
    },
    Date.parse(c.time),
  );
}

// ---- one test per case --------------------------------------------------------------------------

for (const { file, policy, cases } of corpus) {
  describe(file, () => {
    it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const d = decide(policy, c);
      const want = c.expect;
      expect(d.effect, "effect").toBe(want.effect);
      expect(d.status, "status").toBe(want.status);
      expect(d.reasons, "reasons").toEqual(want.reasons);
      expect(d.problem, "problem").toBe(want.problem);
      expect(d.mode, "mode").toBe(want.mode ?? "enforce");
      if (want.route !== undefined) expect(d.route, "route").toBe(want.route ?? undefined);
      if (want.rule !== undefined) expect(d.rule, "rule").toBe(want.rule ?? undefined);
      if (want.rateLimitKey === null) {
        expect(d.obligations.rateLimits, "rate limits").toEqual([]);
      } else if (want.rateLimitKey !== undefined) {
        expect(
          d.obligations.rateLimits.map((r) => r.key),
          "rate-limit keys",
        ).toEqual(typeof want.rateLimitKey === "string" ? [want.rateLimitKey] : want.rateLimitKey);
      }
      if (want.headers !== undefined) expect(d.obligations.headers, "headers").toEqual(want.headers);
      if (want.wouldDeny !== undefined) expect(d.wouldDeny, "wouldDeny").toEqual(want.wouldDeny);
      // Invariants that hold for every decision.
      if (d.effect === "allow") expect(d.status).toBe(200);
      if (d.mode === "audit" && d.effect === "allow" && d.reasons[0] === "audit-would-deny") {
        expect(d.wouldDeny?.reasons).toEqual(d.reasons.slice(1));
      }
    });
  });
}

// ---- coverage -----------------------------------------------------------------------------------

const allCases = corpus.flatMap((f) => f.cases.map((c) => ({ ...f, case: c })));

/** Every rule of a policy by qualified id, to see which constructs decided a case. */
function rulesById(policy: CompiledPolicy): Map<string, Rule> {
  const out = new Map<string, Rule>();
  for (const [service, s] of Object.entries(policy.document.services)) {
    for (const route of s.routes) {
      for (const [i, rule] of route.rules.entries()) out.set(`${service}/${route.id}/${ruleId(rule, i)}`, rule);
    }
  }
  return out;
}

const MATCHER_KINDS = PrincipalMatcher.options.map((o) => Object.keys(o.shape)[0]!);
const CONDITION_KINDS = [
  ...Object.keys(Conditions.shape).filter((k) => k !== "time"),
  ...Object.keys(TimeWindow.shape).map((k) => `time.${k}`),
];

function matcherKinds(rule: Rule): string[] {
  const matchers = [
    ...(rule.principals ?? []),
    ...(rule.bothFactors?.workload ?? []),
    ...(rule.bothFactors?.access ?? []),
  ];
  return [...matchers.map((m) => Object.keys(m)[0]!), ...(rule.bothFactors ? ["bothFactors"] : [])];
}

function conditionKinds(rule: Rule): string[] {
  const when = rule.when ?? {};
  return [...Object.keys(when).filter((k) => k !== "time"), ...Object.keys(when.time ?? {}).map((k) => `time.${k}`)];
}

describe("corpus coverage", () => {
  it("has at least 150 cases", () => {
    expect(allCases.length).toBeGreaterThanOrEqual(150);
  });

  it("has unique case names within each file", () => {
    for (const { file, cases } of corpus) {
      const names = cases.map((c) => c.name);
      expect(
        names.filter((n, i) => names.indexOf(n) !== i),
        file,
      ).toEqual([]);
    }
  });

  it("expects every reason of the policy's own decisions at least once", () => {
    const seen = new Set(allCases.flatMap((c) => c.case.expect.reasons));
    expect(REASONS.filter((r) => !seen.has(r) && !STATE_REASONS.includes(r) && !UPGRADE_REASONS.includes(r))).toEqual(
      [],
    );
    expect(STATE_REASONS.filter((r) => seen.has(r))).toEqual([]); // evaluate() alone cannot give them
  });

  it("expects every target problem at least once", () => {
    const seen = new Set(allCases.map((c) => c.case.expect.problem));
    expect(PROBLEMS.filter((p) => !seen.has(p))).toEqual([]);
  });

  it("asserts rate-limit keys, audit mode and hidden (404) denials somewhere", () => {
    expect(allCases.some((c) => typeof c.case.expect.rateLimitKey === "string")).toBe(true);
    expect(
      allCases.some((c) => c.case.expect.mode === "audit" && c.case.expect.reasons[0] === "audit-would-deny"),
    ).toBe(true);
    expect(
      allCases.some((c) => c.case.expect.status === 404 && c.case.expect.reasons.includes("no-matching-rule")),
    ).toBe(true);
  });

  it("has every principal matcher kind (and bothFactors) decide some case", () => {
    const decided = new Set<string>();
    for (const { policy, case: c } of allCases) {
      const rule = rulesById(policy).get(decide(policy, c).rule ?? "");
      if (rule) for (const kind of matcherKinds(rule)) decided.add(kind);
    }
    expect([...MATCHER_KINDS, "bothFactors"].filter((k) => !decided.has(k))).toEqual([]);
  });

  it("has every condition kind both hold (rule applies) and fail somewhere", () => {
    const held = new Set<string>();
    const failed = new Set<string>();
    for (const { policy, case: c } of allCases) {
      const rules = rulesById(policy);
      for (const t of decide(policy, c).trace) {
        const kinds = conditionKinds(rules.get(t.rule)!);
        for (const k of kinds) {
          if (t.outcome === "applies") held.add(k);
          if (t.outcome === "conditions-failed") failed.add(k);
        }
      }
    }
    expect(
      CONDITION_KINDS.filter((k) => !held.has(k)),
      "never held",
    ).toEqual([]);
    expect(
      CONDITION_KINDS.filter((k) => !failed.has(k)),
      "never failed",
    ).toEqual([]);
  });
});
