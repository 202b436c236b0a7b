// validate: every issue at once, each with a path, a stable code, a message and a hint where one helps.
// The schema catches shape (its issues translated in schema-issues.ts); the checks in this folder catch what
// a schema cannot (references, shadowing, overlap).
import type { z } from "zod";
import type { Issue } from "../issues.ts";
import { PolicyDocument } from "../schema.ts";
import { Collector } from "./collector.ts";
import { checkIssuers, checkRegistry } from "./identity.ts";
import { checkAdmin, checkPrincipalSets } from "./principals.ts";
import { fromZod } from "./schema-issues.ts";
import { checkServices } from "./services.ts";
import { checkSharedSignals } from "./ssf.ts";

export type ValidationResult =
  | { ok: true; policy: PolicyDocument; issues: Issue[] }
  | { ok: false; policy?: undefined; issues: Issue[] };

export function validatePolicy(input: unknown): ValidationResult {
  const parsed = PolicyDocument.safeParse(input);
  if (!parsed.success) {
    const schemaIssues = parsed.error.issues.flatMap((issue) => fromZod(issue, input));
    const rest = withoutBrokenServices(input, parsed.error.issues);
    return { ok: false, issues: rest ? [...schemaIssues, ...checkDocument(rest)] : schemaIssues };
  }
  const issues = checkDocument(parsed.data);
  const errors = issues.some((i) => i.severity === "error");
  return errors ? { ok: false, issues } : { ok: true, policy: parsed.data, issues };
}

/** The checks beyond the schema, on a document that has its shape. */
function checkDocument(doc: PolicyDocument): Issue[] {
  const out = new Collector();
  checkRegistry(doc, out);
  checkIssuers(doc, out);
  checkPrincipalSets(doc, out);
  checkAdmin(doc, out);
  checkServices(doc, out);
  checkSharedSignals(doc, out);
  return out.issues;
}

/**
 * When every schema issue lies inside some services, the document without those services may have the
 * schema's shape: checking it reports the rest of the policy's issues in the same run, rather than after the
 * schema errors are fixed. Anywhere else (metadata, identity, principal sets...) a broken part would make the
 * other checks report what is not wrong, such as references to a misspelt section: then only schema issues.
 */
function withoutBrokenServices(input: unknown, issues: readonly z.core.$ZodIssue[]): PolicyDocument | undefined {
  const broken = new Set<string>();
  for (const issue of issues) {
    const [section, name] = issue.path;
    if (section !== "services" || typeof name !== "string") return undefined;
    broken.add(name);
  }
  const doc = input as { services: Record<string, unknown> };
  const services = Object.fromEntries(Object.entries(doc.services).filter(([name]) => !broken.has(name)));
  const rest = PolicyDocument.safeParse({ ...doc, services });
  return rest.success ? rest.data : undefined;
}
