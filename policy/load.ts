// Policy text (YAML or JSON) -> validated document -> compiled policy, in one call for the CLI and Worker.
import { parse as parseYaml, YAMLParseError } from "yaml";
import { compilePolicy, type CompiledPolicy } from "./compile.ts";
import type { Issue } from "./issues.ts";
import { validatePolicy, type ValidationResult } from "./validate.ts";

export type ParseResult = { ok: true; value: unknown } | { ok: false; issue: Issue };

/** JSON is YAML, so one parser reads both; duplicate keys are an error rather than last-one-wins. */
export function parsePolicyText(text: string): ParseResult {
  try {
    return { ok: true, value: parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: false }) };
  } catch (error) {
    const message = error instanceof YAMLParseError || error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issue: { severity: "error", code: "invalid-syntax", path: "(document)", message: message.split("\n")[0]! },
    };
  }
}

export function validatePolicyText(text: string): ValidationResult {
  const parsed = parsePolicyText(text);
  return parsed.ok ? validatePolicy(parsed.value) : { ok: false, issues: [parsed.issue] };
}

export type LoadResult =
  | { ok: true; policy: CompiledPolicy; issues: Issue[] }
  | { ok: false; issues: Issue[] };

export async function loadPolicy(text: string): Promise<LoadResult> {
  const validated = validatePolicyText(text);
  if (!validated.ok) return validated;
  return { ok: true, policy: await compilePolicy(validated.policy), issues: validated.issues };
}
