// A generated, differential test of policy validation (`ward validate`, and the gateway's push, which loads text
// with the same validator and push's YAML bound) against an oracle written from docs/policy.md alone
// (validate-oracle.ts), on a valid policy changed one field at a time (validate-cases.ts): values just inside
// and just outside each documented bound, hostile spellings, wrong types, duplicates, unknown and misplaced
// fields, and the cross-field contradictions the reference names. For each case:
//
// - accepted or refused as the reference says, and a refusal with (one of) the code(s) the reference names;
// - an accepted document compiles, and `ward schema`'s JSON Schema accepts it too (an editor must not flag
//   what validate takes);
// - a document refused at a field whose form the schema writes as a pattern (an `emailDomain`, a route's `path`
//   or `pathPrefix`) is refused by the schema too, at that field: checking only the first direction let the
//   schema take `-x.com` and `/a／b`. The rest of the reverse is fine where the reference says so (what a
//   pattern cannot say: a service's caseInsensitivePaths, routes that clash, invisible characters);
// - push's load (loadPolicy with the Worker's YAML bound) agrees with `ward validate`.
//
// Also: characters a reviewer cannot see, as written (invalid-syntax) and escaped (invalid-format), from the
// whole Unicode database (validate-text-cases.ts), and every few cases the same document padded past 4,000
// values, which the gateway checks only up to its first schema error.
//
// Where the reference is silent or loose, the oracle follows Ward and says so beside the case: the path rules
// of "Canonical request targets" (a literal ending in a dot or space) hold for patterns too; rule header values
// take all of Latin-1's printable half; µ and ς are not "lower case" at a caseInsensitivePaths service.
//
// The seed is fixed, so a run is repeatable; WARD_VALIDATE_SEED=<n> tries another and is printed on failure.
import { describe, expect, it } from "vitest";
import { ALL_ISSUES_ON_A_WORKSTATION, type Issue, loadPolicy, validatePolicyText } from "../../policy/index.ts";
import { policyJsonSchema } from "../../policy/json-schema.ts";
import { prng, seedFrom } from "../support/prng.ts";
import { type Case, fixedCases, protoCases, withValue } from "./validate-cases.ts";
import { generatedCases } from "./validate-generated-cases.ts";
import { crossCases } from "./validate-cross-cases.ts";
import { escapedJson, rawJson, unseenCases } from "./validate-text-cases.ts";
import { schemaErrors } from "./validate-schema.ts";

const SEED = seedFrom("WARD_VALIDATE_SEED", 20261206);
const PER_FIELD = 16;
const UNSEEN = 120;
const LARGE_EVERY = 8;
const PUSH_YAML_BYTES = 768 * 1024;
/** `ward schema`, made once: its route patterns ask the validator of every letter that may be refused. */
const SCHEMA = policyJsonSchema();

/** Characters `invalid-syntax` refuses in the text itself (JSON.stringify writes them as they are). */
const INVISIBLE_IN_TEXT =
  /[\p{Default_Ignorable_Code_Point}\p{Cf}\x00-\x08\x0b\x0c\x0e-\x1f\u007f-\u009f\u2028\u2029]/u;

async function disagreement(
  c: { what: string; verdict: Case["verdict"]; at?: string },
  text: string,
): Promise<string | undefined> {
  const got = validatePolicyText(text);
  const errors = got.issues.filter((i) => i.severity === "error");
  const shown = errors.map((i) => `${i.code}@${i.path}`).join(", ");
  if (c.verdict.ok) {
    if (!got.ok) return `${c.what}: refused (${shown}), the reference accepts it`;
    const loaded = await loadPolicy(text, { yamlUpTo: PUSH_YAML_BYTES });
    if (!loaded.ok) return `${c.what}: validates but push refuses it`;
    const schema = schemaErrors(SCHEMA, JSON.parse(text));
    if (schema.length > 0) return `${c.what}: accepted, but ward schema refuses it (${schema.slice(0, 2).join("; ")})`;
    return undefined;
  }
  if (got.ok) return `${c.what}: accepted, the reference refuses it (${c.verdict.codes.join("|")})`;
  const unflagged = unflaggedBySchema(errors, text);
  if (unflagged !== undefined) return `${c.what}: refused (${unflagged}), but ward schema accepts it there`;
  const codes = INVISIBLE_IN_TEXT.test(text) ? ["invalid-syntax"] : c.verdict.codes;
  if (!errors.some((i) => codes.includes(i.code)))
    return `${c.what}: refused as ${shown}, the reference says ${codes.join("|")}`;
  if (
    c.at !== undefined &&
    !INVISIBLE_IN_TEXT.test(text) &&
    !errors.some(
      (i) => codes.includes(i.code) && (i.path.startsWith(c.at as string) || (c.at as string).startsWith(i.path)),
    )
  )
    return `${c.what}: ${codes.join("|")} at ${shown}, not at ${c.at}`;
  const pushed = await loadPolicy(text, { yamlUpTo: PUSH_YAML_BYTES });
  if (pushed.ok) return `${c.what}: validate refuses it, push takes it`;
  return undefined;
}

/**
 * Refusals at fields `ward schema` writes a pattern for (schema-patterns.ts), and what shows each is a pattern's:
 * an emailDomain's form, and a route pattern's (but a caseInsensitivePaths service's lower case, which the
 * route's schema cannot see, and Ward's letters that fold together beside others: validate is the authority).
 */
const PATTERNED: readonly { field: RegExp; code: string; not?: RegExp }[] = [
  { field: /\.emailDomain$/, code: "invalid-format" },
  { field: /\.routes\[\d+\]\.(path|pathPrefix)$/, code: "invalid-path-pattern", not: /caseInsensitivePaths/ },
];

/**
 * The first refusal at a patterned field that the JSON Schema does not flag there, if any. Flagged at the field or
 * around it: a matcher's emailDomain is flagged where the matcher's forms (anyOf) all fail.
 */
function unflaggedBySchema(errors: readonly Issue[], text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined; // text JSON refuses (a raw control character): invalid-syntax, no field an editor shows
  }
  const flagged = schemaErrors(SCHEMA, doc).map((e) => e.slice(2, e.indexOf(": ")));
  for (const e of errors) {
    if (!PATTERNED.some((p) => p.field.test(e.path) && p.code === e.code && !p.not?.test(e.message))) continue;
    if (!flagged.some((at) => e.path === at || e.path.startsWith(`${at}.`) || e.path.startsWith(`${at}[`)))
      return `${e.code}@${e.path}`;
  }
  return undefined;
}

/**
 * The same case in a document of more than 4,000 values (an unused principal set of 2,000 matchers), which the
 * gateway checks only up to its first schema error ("Validation issues"): accepted or refused all the same, by
 * `ward validate` (every issue) and by push.
 */
function largeDisagreement(c: Case): string | undefined {
  const text = JSON.stringify(withValue(c.doc, ["principalSets", "padding"], Array(2000).fill({ public: true })));
  const workstation = validatePolicyText(text, { allIssuesUpTo: ALL_ISSUES_ON_A_WORKSTATION }).ok;
  const gateway = validatePolicyText(text).ok;
  if (workstation === c.verdict.ok && gateway === c.verdict.ok) return undefined;
  return `${c.what}, in a document of over 4,000 values: ward validate ${workstation ? "accepts" : "refuses"}, push ${gateway ? "accepts" : "refuses"}, the reference ${c.verdict.ok ? "accepts" : "refuses"}`;
}

describe("policy validation, against docs/policy.md", () => {
  it("accepts and refuses each field's values as the reference says", async () => {
    const r = prng(SEED);
    const cases = [...fixedCases(), ...crossCases(), ...generatedCases(r, PER_FIELD)];
    const found: string[] = [];
    let total = cases.length;
    for (const [i, c] of cases.entries()) {
      const d = await disagreement(c, JSON.stringify(c.doc));
      if (d !== undefined) found.push(d);
      const large = i % LARGE_EVERY === 0 ? largeDisagreement(c) : undefined;
      if (large !== undefined) found.push(large);
    }
    for (const { text, escaped } of unseenCases(r, UNSEEN)) {
      total += 2;
      for (const [c, json] of [
        [text, rawJson(text.doc)],
        [escaped, escapedJson(escaped.doc)],
      ] as const) {
        const d = await disagreement(c, json);
        if (d !== undefined) found.push(d);
      }
    }
    for (const c of protoCases()) {
      total++;
      const d = await disagreement(c, c.text);
      if (d !== undefined) found.push(d);
    }
    if (found.length > 0)
      expect.fail(
        `${found.length} of ${total} cases disagree (replay: WARD_VALIDATE_SEED=${SEED})\n${found.join("\n")}`,
      );
  }, 20_000);
});
