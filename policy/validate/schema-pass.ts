// The schema's pass over a document, its issues bounded by the memory they take. zod builds an issue for every
// bad element of a list (a union's holds one per branch): with Ward's words, 3-7 KiB each. A list of 20,000
// numbers where principals go (43 KB of JSON) took 140 MiB to report, more than an isolate has for a push.
import type { z } from "zod";
import { firstErrorOnly, IdentityBindings, PolicyDocument, PrincipalSets, Services } from "../schema.ts";
import { findInside } from "./find-inside.ts";

/**
 * Documents of up to this many values (objects, lists, strings, numbers, booleans, nulls) get every schema
 * issue at once: ~30 MiB at worst. A larger one is read up to its first schema error, which is what it reports
 * (validation stops there, the checks beyond the schema included): its values bound what it can cost, not the
 * number of its errors. The examples have 300-600 values; 100 routes of the generated shape ~4,700.
 */
export const ALL_ISSUES_UP_TO_VALUES = 4_000;

/**
 * The same where the CLI validates a file on the operator's own machine (`ward validate`, push's and shadow's
 * check before anything is sent, `ward dev`), which has the memory for every issue of any policy they write
 * (~700 MiB at worst): the gateway still reports a large document's first error only.
 */
export const ALL_ISSUES_ON_A_WORKSTATION = 100_000;

export type SchemaPass =
  | { success: true; data: PolicyDocument }
  | { success: false; issues: z.core.$ZodIssue[]; stoppedEarly: boolean };

/** Whether `input` holds more than `limit` values; the walk stops there. */
export function holdsMoreValues(input: unknown, limit: number): boolean {
  const pending: unknown[] = [input];
  let values = 0;
  while (pending.length > 0) {
    const value = pending.pop();
    if (++values > limit) return true;
    if (value === null || typeof value !== "object") continue;
    // At most `limit` values are ever pending.
    const record = value as Record<string, unknown>;
    for (const key in record) {
      pending.push(record[key]);
      if (pending.length + values > limit) return true;
    }
  }
  return false;
}

/** zod's own early stop (what z.validate passes; not in its public ParseContext type): no child past a bad one. */
const EARLY = { abortEarly: true } as z.core.ParseContext<z.core.$ZodIssue>;

/** The document's maps of named entries: zod's records check every entry, even with EARLY. */
const MAPS = { principalSets: PrincipalSets, identityBindings: IdentityBindings, services: Services } as const;

/**
 * At most this many keys in one object of a large document, but the document and its maps (MAPS): zod checks
 * every entry of a record (a rule's headers, a claims requirement, SSF transmitters...) and names every
 * unknown key of an object, so 100,000 entries of a rule's headers made 100,000 issues, out of 64 MiB. No object
 * of a policy has a use for more.
 */
export const MAX_KEYS_IN_ONE_OBJECT = 1_000;

/** The first object past MAX_KEYS_IN_ONE_OBJECT, as an issue, walking everything but the document's and its maps' own keys. */
function wideObject(input: Record<string, unknown>): z.core.$ZodIssue | undefined {
  return findInside(input, (_child, childKeys, parentDepth, key, path) => {
    if (!childKeys || childKeys.length <= MAX_KEYS_IN_ONE_OBJECT) return undefined;
    // The document's maps may be as large as they are: each entry is checked on its own.
    if (parentDepth === 0 && typeof key === "string" && Object.hasOwn(MAPS, key)) return undefined;
    const message = `an object of ${childKeys.length} keys: no part of a policy has a use for more than ${MAX_KEYS_IN_ONE_OBJECT}`;
    return { code: "custom", path: path(), message, input: undefined } as z.core.$ZodIssue;
  });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const failed = (issues: z.core.$ZodIssue[], stoppedEarly: boolean): SchemaPass => ({
  success: false,
  issues,
  stoppedEarly,
});

/**
 * Up to ALL_ISSUES_UP_TO_VALUES values, every issue. Past it, the first error only, in one pass as cheap as a
 * full one: the document with its maps emptied, then each entry of each map on its own (EARLY stops inside an
 * entry, and a claims requirement is cut to its first bad claim), put together as the full pass would.
 */
export function schemaPass(input: unknown, allIssuesUpTo = ALL_ISSUES_UP_TO_VALUES): SchemaPass {
  if (!holdsMoreValues(input, allIssuesUpTo)) {
    // A workstation checks every issue of a document the gateway checks up to its first: the bound on an
    // object's keys applies there too, or `ward validate` would pass what a push is refused (from a review).
    const wide =
      isPlainObject(input) && holdsMoreValues(input, ALL_ISSUES_UP_TO_VALUES) ? wideObject(input) : undefined;
    const parsed = PolicyDocument.safeParse(input);
    if (wide) return failed([wide, ...(parsed.success ? [] : parsed.error.issues)], false);
    return parsed.success ? { success: true, data: parsed.data } : failed(parsed.error.issues, false);
  }
  firstErrorOnly.claims = true;
  try {
    return upToFirstError(input);
  } finally {
    firstErrorOnly.claims = false;
  }
}

function upToFirstError(input: unknown): SchemaPass {
  if (!isPlainObject(input)) {
    const parsed = PolicyDocument.safeParse(input, EARLY);
    return parsed.success ? { success: true, data: parsed.data } : failed(parsed.error.issues, true);
  }
  const wide = wideObject(input);
  if (wide) return failed([wide], true);
  const rest: Record<string, unknown> = { ...input };
  for (const section of Object.keys(MAPS)) if (isPlainObject(input[section])) rest[section] = {};
  const parsed = PolicyDocument.safeParse(rest, EARLY);
  if (!parsed.success) return failed(parsed.error.issues, true);
  const data: Record<string, unknown> = parsed.data;
  for (const [section, schema] of Object.entries(MAPS)) {
    const entries = input[section];
    if (!isPlainObject(entries)) continue;
    // Filled as zod fills a record's output, key by key (the same object the full pass gives).
    const out: Record<string, unknown> = {};
    for (const key in entries) {
      const one = schema.safeParse({ [key]: entries[key] }, EARLY);
      if (!one.success)
        return failed(
          one.error.issues.map((issue) => ({ ...issue, path: [section, ...issue.path] })),
          true,
        );
      out[key] = (one.data as Record<string, unknown>)[key];
    }
    data[section] = out;
  }
  return { success: true, data: data as PolicyDocument };
}
