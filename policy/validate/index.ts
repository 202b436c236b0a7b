// validate: every issue at once, each with a path, a stable code, a message and a hint where one helps.
// The schema catches shape (its issues translated in schema-issues.ts); the checks in this folder catch what
// a schema cannot (references, shadowing, overlap).
import type { Issue } from "../issues.ts";
import type { PolicyDocument } from "../schema.ts";
import { Collector } from "./collector.ts";
import { checkIssuers, checkRegistry } from "./identity.ts";
import { checkAdmin, checkBindings, checkPrincipalSets } from "./principals.ts";
import { checkablePart } from "./partial.ts";
import { withHintBudget } from "../suggest.ts";
import { fromZod } from "./schema-issues.ts";
import { ALL_ISSUES_UP_TO_VALUES, schemaPass } from "./schema-pass.ts";
import { checkServices } from "./services.ts";
import { checkScopesCarried, checkServiceAudiences, checkTokenIssuers } from "./tokens.ts";
import { checkConditionSources } from "./condition-sources.ts";
import { checkBreakGlassBound } from "./exceptions.ts";
import { checkSharedSignals } from "./ssf.ts";
import { checkClaimNumbers } from "./claim-numbers.ts";

export type ValidationResult =
  | { ok: true; policy: PolicyDocument; issues: Issue[] }
  | { ok: false; policy?: undefined; issues: Issue[] };

/**
 * At most this many routes in a policy, its services together: what an isolate holds of a policy grows with its
 * routes, and the Worker loads the policy within its memory (performance.md, "Limits"). Cheap routes go furthest:
 * 20,000 of the smallest valid ones still load within the 64 MiB a push may take, so this leaves room for the
 * rest of a route's cost, which push's byte bound limits.
 */
export const MAX_ROUTES = 10_000;

/** The routes of a document as written (any shape): each list under a service's `routes`. */
function routesWritten(input: unknown): number {
  const services = (input as { services?: unknown } | null)?.services;
  if (services === null || typeof services !== "object") return 0;
  let routes = 0;
  for (const service of Object.values(services)) {
    const list = (service as { routes?: unknown } | null)?.routes;
    if (Array.isArray(list)) routes += list.length;
  }
  return routes;
}

/** The too-many-routes error, when a document (of its shape) has more than `max` routes. */
function tooManyRoutes(doc: unknown, max: number): Issue | undefined {
  const routes = routesWritten(doc);
  if (routes <= max) return undefined;
  return {
    severity: "error",
    code: "too-many-routes",
    path: "services",
    message: `the policy has ${routes} routes; a policy may have at most ${max}, its services together`,
    hint: "merge routes that share rules (a pathPrefix, a {*} segment, a methods list), or split the services across environments",
  };
}

export interface ValidateOptions {
  /** False to skip the checks that can only warn (errors are always found). */
  warnings?: boolean;
  /**
   * Default MAX_ROUTES. A version already stored is loaded with no bound: it was within the one of the Ward that
   * took it, and an upgrade must not stop the gateway from loading the policy it runs.
   */
  maxRoutes?: number;
  /** Every schema issue of a document of up to this many values; a larger one's first (schema-pass.ts). */
  allIssuesUpTo?: number;
  /** A version already stored: the checks added for text as written are not made (Collector.stored). */
  stored?: boolean;
}

export function validatePolicy(input: unknown, options: ValidateOptions = {}): ValidationResult {
  return withHintBudget(() => validate(input, options));
}

function validate(input: unknown, options: ValidateOptions): ValidationResult {
  const warnings = options.warnings ?? true;
  const maxRoutes = options.maxRoutes ?? MAX_ROUTES;
  const parsed = schemaPass(input, options.allIssuesUpTo ?? ALL_ISSUES_UP_TO_VALUES);
  if (!parsed.success) {
    const schemaIssues = parsed.issues.flatMap((issue) => fromZod(issue, input));
    if (parsed.stoppedEarly) {
      // Its routes as written: a bad one among them is counted too.
      const tooMany = tooManyRoutes(input, maxRoutes);
      return { ok: false, issues: [...stoppedEarly(schemaIssues), ...(tooMany ? [tooMany] : [])] };
    }
    // The rest of the document is checked too, so its issues (warnings among them) come in the same run.
    const part = checkablePart(input, parsed.issues);
    const tooMany = part && tooManyRoutes(part.doc, maxRoutes);
    if (tooMany) return { ok: false, issues: [...schemaIssues, tooMany] };
    return {
      ok: false,
      issues: part
        ? [...schemaIssues, ...checkDocument(part.doc, warnings, options.stored ?? false).map(part.restore)]
        : schemaIssues,
    };
  }
  // Checked first, alone: the other checks' own memory grows with the routes.
  const tooMany = tooManyRoutes(parsed.data, maxRoutes);
  if (tooMany) return { ok: false, issues: [tooMany] };
  const issues = checkDocument(parsed.data, warnings, options.stored ?? false);
  const errors = issues.some((i) => i.severity === "error");
  return errors ? { ok: false, issues } : { ok: true, policy: parsed.data, issues };
}

/** A large document's first schema issues, saying that more may follow. */
function stoppedEarly(issues: Issue[]): Issue[] {
  const note = `validation stopped at this error: a policy of over ${ALL_ISSUES_UP_TO_VALUES} values is checked up to its first schema error, so fix it and validate again`;
  return issues.map((issue, i) =>
    i === issues.length - 1 ? { ...issue, hint: issue.hint === undefined ? note : `${issue.hint}; ${note}` } : issue,
  );
}

/** The checks beyond the schema, on a document that has its shape. */
function checkDocument(doc: PolicyDocument, warnings: boolean, stored: boolean): Issue[] {
  const out = new Collector(warnings, stored);
  checkRegistry(doc, out);
  checkIssuers(doc, out);
  checkTokenIssuers(doc, out);
  checkPrincipalSets(doc, out);
  checkBindings(doc, out);
  checkAdmin(doc, out);
  checkClaimNumbers(doc, out);
  checkServices(doc, out);
  checkServiceAudiences(doc, out);
  checkScopesCarried(doc, out);
  checkConditionSources(doc, out);
  checkBreakGlassBound(doc, out);
  checkSharedSignals(doc, out);
  return out.finish();
}
