// validate: every issue at once, each with a path, a stable code, a message and a hint where one helps.
// The schema catches shape (its issues translated in schema-issues.ts); the checks in this folder catch what
// a schema cannot (references, shadowing, overlap).
import type { Issue } from "../issues.ts";
import { PolicyDocument } from "../schema.ts";
import { Collector } from "./collector.ts";
import { checkIssuers, checkRegistry } from "./identity.ts";
import { checkAdmin, checkPrincipalSets } from "./principals.ts";
import { checkablePart } from "./partial.ts";
import { fromZod } from "./schema-issues.ts";
import { checkServices } from "./services.ts";
import { checkScopesCarried, checkServiceAudiences, checkTokenIssuers } from "./tokens.ts";
import { checkSharedSignals } from "./ssf.ts";

export type ValidationResult =
  | { ok: true; policy: PolicyDocument; issues: Issue[] }
  | { ok: false; policy?: undefined; issues: Issue[] };

/** `options.warnings`: false to skip the checks that can only warn (errors are always found). */
export function validatePolicy(input: unknown, options: { warnings?: boolean } = {}): ValidationResult {
  const warnings = options.warnings ?? true;
  const parsed = PolicyDocument.safeParse(input);
  if (!parsed.success) {
    const schemaIssues = parsed.error.issues.flatMap((issue) => fromZod(issue, input));
    // The rest of the document is checked too, so its issues (warnings among them) come in the same run.
    const part = checkablePart(input, parsed.error.issues);
    return {
      ok: false,
      issues: part ? [...schemaIssues, ...checkDocument(part.doc, warnings).map(part.restore)] : schemaIssues,
    };
  }
  const issues = checkDocument(parsed.data, warnings);
  const errors = issues.some((i) => i.severity === "error");
  return errors ? { ok: false, issues } : { ok: true, policy: parsed.data, issues };
}

/** The checks beyond the schema, on a document that has its shape. */
function checkDocument(doc: PolicyDocument, warnings: boolean): Issue[] {
  const out = new Collector(warnings);
  checkRegistry(doc, out);
  checkIssuers(doc, out);
  checkTokenIssuers(doc, out);
  checkPrincipalSets(doc, out);
  checkAdmin(doc, out);
  checkServices(doc, out);
  checkServiceAudiences(doc, out);
  checkScopesCarried(doc, out);
  checkSharedSignals(doc, out);
  return out.issues;
}
