// Policy text (YAML or JSON) -> validated document -> compiled policy, in one call for the CLI and Worker.
import { buildIndexes, compilePolicy, type CompiledPolicy } from "./compile.ts";
import type { Issue } from "./issues.ts";
import { invisibleInText, invisibleInValue } from "./invisible-text.ts";
import { firstRepeatedMember } from "./json-members.ts";
import { protoKeyPath } from "./validate/proto-key.ts";
import { writtenAsJson } from "./stored-version.ts";
import { validatePolicy, type ValidationResult } from "./validate/index.ts";
import { MAX_YAML_UNITS, type ParseResult, parseYamlText, protoIssue, syntaxIssue, yamlUnits } from "./yaml-text.ts";

export type { ParseResult } from "./yaml-text.ts";

/**
 * Control characters YAML does not allow anywhere (outside its printable set: C0 but tab, LF and CR; DEL; C1
 * but NEL), which the parser lets through in comments. Refused: a policy is reviewed as text, and what a
 * reviewer cannot see has no place in it (and a push's JSON body would carry each one as six bytes).
 */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]/;

/** How policy text is parsed. */
export interface ParseOptions {
  /**
   * YAML only up to this many bytes and (text as written) MAX_YAML_UNITS: the Worker, its parser's memory. JSON
   * up to any size.
   */
  yamlUpTo?: number;
  /**
   * A version already stored (its source), not text as written: read as the Ward that took it read it, so an
   * upgrade never stops the gateway loading, or an operator rolling back to, what an older Ward accepted. The
   * checks added since are for text as written: keys that name one property twice (last-wins then), a
   * `__proto__` key (dropped then), the route bound.
   */
  stored?: boolean;
}

/** Parsing, then validating. */
export interface LoadOptions extends ParseOptions {
  /** Every schema issue of a document of up to this many values; a larger one's first (validate/schema-pass.ts). */
  allIssuesUpTo?: number;
}

/**
 * Text written as JSON, read with the native JSON.parse (a fraction of the YAML parser's time and memory), a
 * repeated key refused as the YAML parser refuses it. Undefined when it is not JSON: YAML's own flow style opens
 * with `{` too, and the YAML parser reads it (and says what is wrong with text that is neither).
 */
function parseJson(text: string): ParseResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const repeated = firstRepeatedMember(text);
  if (repeated !== undefined) return syntaxIssue(`Map keys must be unique: "${repeated.slice(0, 100)}" is repeated`);
  return { ok: true, value };
}

/**
 * JSON is YAML, so one parser could read both; text written as JSON is read as JSON (parseJson). Duplicate keys
 * are an error rather than last-one-wins, in either.
 */
export function parsePolicyText(text: string, options: ParseOptions = {}): ParseResult {
  const parsed = parseText(text, options);
  // Checks added for text as written: a version stored before them loads as it always did.
  if (!parsed.ok || options.stored) return parsed;
  const inText = invisibleInText(text);
  if (inText)
    return syntaxIssue(
      `invisible or direction-changing character ${inText.code} at line ${inText.line}: a reviewer cannot see it, so a policy may not hold it`,
    );
  const inValue = invisibleInValue(parsed.value);
  if (inValue)
    return {
      ok: false,
      issue: {
        severity: "error",
        code: "invalid-format",
        path: inValue.path,
        message: `holds ${inValue.code}, an invisible, control or direction-changing character (written as an escape): a reviewer cannot see it`,
      },
    };
  return parsed;
}

function parseText(text: string, options: ParseOptions): ParseResult {
  const control = CONTROL.exec(text);
  if (control) {
    const line = text.slice(0, control.index).split("\n").length;
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return {
      ok: false,
      issue: {
        severity: "error",
        code: "invalid-syntax",
        path: "(document)",
        message: `control character U+${code} at line ${line}: YAML does not allow it in a document`,
      },
    };
  }
  if (writtenAsJson(text)) {
    const json = parseJson(text);
    if (json) {
      // The YAML reader refuses a `__proto__` key as it reads; JSON.parse keeps it, to be found by name.
      const proto = json.ok && !options.stored ? protoKeyPath(json.value) : undefined;
      return proto === undefined ? json : protoIssue(proto);
    }
  }
  const { yamlUpTo, stored = false } = options;
  if (yamlUpTo !== undefined) {
    // Past the bounds, the YAML parser's memory would take the isolate down: only JSON is read there.
    if (text.length > yamlUpTo / 3 && new TextEncoder().encode(text).length > yamlUpTo)
      return syntaxIssue(`policy text over ${yamlUpTo} bytes is read only as JSON, and this is not JSON`);
    // (A stored source within the bytes was within the units, if any, of the Ward that took it.)
    if (!stored && yamlUnits(text, MAX_YAML_UNITS) > MAX_YAML_UNITS)
      return syntaxIssue(
        `policy text of more than ${MAX_YAML_UNITS} YAML units (scalars, keys, items) is read only as JSON, and this is not JSON: ward push sends such a file in its JSON form`,
      );
  }
  return parseYamlText(text, stored);
}

export function validatePolicyText(text: string, options: LoadOptions = {}): ValidationResult {
  const parsed = parsePolicyText(text, options);
  const validateOptions = {
    ...(options.stored ? { maxRoutes: Number.POSITIVE_INFINITY, stored: true } : {}),
    ...(options.allIssuesUpTo === undefined ? {} : { allIssuesUpTo: options.allIssuesUpTo }),
  };
  return parsed.ok ? validatePolicy(parsed.value, validateOptions) : { ok: false, issues: [parsed.issue] };
}

export type LoadResult = { ok: true; policy: CompiledPolicy; issues: Issue[] } | { ok: false; issues: Issue[] };

async function compiled(validated: ValidationResult): Promise<LoadResult> {
  if (!validated.ok) return validated;
  return { ok: true, policy: await compilePolicy(validated.policy), issues: validated.issues };
}

export function loadPolicy(text: string, options: LoadOptions = {}): Promise<LoadResult> {
  return compiled(validatePolicyText(text, options));
}

/**
 * A validated document the gateway stored as canonical JSON beside its source (worker/policy-store/store.ts), under
 * `version`, the SHA-256 of exactly that text, which the caller has checked. Read with the native JSON.parse
 * (far faster on a cold isolate than the YAML parser), validated like any text, and compiled under that
 * version: the name stays the stored bytes' hash even when this Ward's schema fills in a default the one that
 * stored it did not know, so upgrading Ward does not orphan stored versions. (JSON.parse takes a repeated
 * key's last value where `ward validate` refuses it; canonical JSON has none, and the bytes are checked.)
 */
export function loadStoredDocument(text: string, version: string): LoadResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ severity: "error", code: "invalid-syntax", path: "(document)", message }] };
  }
  // Its warnings were shown when it was pushed; a cold isolate needs only to know it is still valid.
  const validated = validatePolicy(value, { warnings: false, maxRoutes: Number.POSITIVE_INFINITY, stored: true });
  if (!validated.ok) return validated;
  return { ok: true, policy: buildIndexes(validated.policy, version), issues: validated.issues };
}
