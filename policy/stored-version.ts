// How a policy version is kept in the POLICY KV namespace: the key names and what is stored under each. The
// Worker reads and writes them (worker/policy-store/), and the CLI writes them too (`ward dev`'s local KV,
// `ward push --bootstrap`'s wrangler commands): one layout, spelled once, so the two can never disagree on
// where a version lives.
import type { CompiledPolicy } from "./compile.ts";
import { canonicalJson } from "./hash.ts";

/** The active version's pointer: its value is the version (the document's SHA-256), nothing else. */
export const ACTIVE_KEY = "policy:active";
/** A candidate version evaluated beside the active one on every request, for the log only (ward shadow). */
export const SHADOW_KEY = "policy:shadow";
/** A version's source, as first pushed (YAML or JSON, comments and all): what history and diff show. */
export const versionKey = (version: string): string => `policy:v:${version}`;
/**
 * The same version's validated document in canonical JSON, whose bytes hash to the version: an isolate
 * checks that hash and loads it with JSON.parse (parsing the YAML source was most of a cold start, ~300 of
 * ~320 ms for a 1,000-route policy in workerd). Because the check is on the stored bytes, not on the document
 * as this Ward's schema fills it in, a later Ward with a new default still loads it. Versions stored without
 * a document (pushed by an older Ward, or put by hand) load from the source, and then get one.
 */
export const documentKey = (version: string): string => `policy:doc:${version}`;

/**
 * Policy text the admin API takes in a push (or as a shadow candidate, or a bootstrap) written as YAML, in UTF-8
 * bytes. The bound is the isolate's memory, not KV's 25 MiB a value: loading YAML (parse, validate, compile) takes
 * ~75 MiB of V8's heap at its peak per MiB of text, and the isolate that does it has 128 MB for everything, its
 * own policy, its caches and the young generation included (performance.md, "Limits that follow from
 * Cloudflare's"; `node test/bench/push-memory.ts` checks it). A route costs ~200-730 bytes of YAML: some
 * 1,000-3,500 routes.
 */
export const MAX_POLICY_BYTES = 768 * 1024;
/**
 * The same for a policy written as JSON, which the Worker parses with the native JSON.parse: what it costs is the
 * document's objects, not a parser's, so a push of 4 MiB of compact JSON (~8,000 routes of the generated shape)
 * is read, loaded and stored within 64 MiB of heap (push-memory.ts checks it). `ward push` sends a larger YAML
 * file in its JSON form.
 */
export const MAX_JSON_POLICY_BYTES = 4 * 1024 * 1024;

/**
 * And at most this many values (objects, arrays, strings, member names, numbers, true, false and null): what
 * JSON.parse and the checks after it hold follows them, not the bytes (4 MiB of `[{},{},...]` takes ~90 MiB to
 * parse, and 4 MiB of `[0,0,...]` is two million values). The generated policy at the byte bound has ~490,000;
 * 600,000 empty objects parse within ~40 MiB.
 */
export const MAX_JSON_POLICY_VALUES = 600_000;

/**
 * How many values JSON text holds, counted without building anything: each `{`, `[` and string, and each number
 * or literal (a character that can start one, right after `[`, `,` or `:`). Any text is counted, and a string
 * left open runs to its end.
 */
export function jsonValueCount(text: string): number {
  let values = 0;
  // The last character outside strings that was not white space.
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) values++;
    else if (c === 0x22 /* " */) {
      values++;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
    } else if ((last === 0x5b || last === 0x2c /* , */ || last === 0x3a) /* : */ && startsScalar(c)) values++;
    last = c;
  }
  return values;
}

/** A digit, `-`, or the first letter of true, false or null. */
const startsScalar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x74 || c === 0x66 || c === 0x6e;

/** Whether policy text is written as JSON: it opens an object (YAML's own flow style is JSON only if JSON.parse takes it). */
export const writtenAsJson = (text: string): boolean => /^[ \t\r\n]*\{/.test(text);

/** Why a push of this text is refused for its size, or undefined: the Worker and the CLI say the same. */
export function policyTooLarge(text: string): string | undefined {
  const bytes = new TextEncoder().encode(text).length;
  const json = writtenAsJson(text);
  if (json && bytes > MAX_POLICY_BYTES && bytes <= MAX_JSON_POLICY_BYTES) {
    const values = jsonValueCount(text);
    if (values <= MAX_JSON_POLICY_VALUES) return undefined;
    return `the policy holds ${values} JSON values; a push takes at most ${MAX_JSON_POLICY_VALUES}, what the Worker can parse within its memory (docs/performance.md)`;
  }
  if (bytes <= MAX_POLICY_BYTES) return undefined;
  return `the policy is ${bytes} bytes; a push takes at most ${MAX_POLICY_BYTES} (${MAX_POLICY_BYTES / 1024} KiB) of YAML, or ${MAX_JSON_POLICY_BYTES} (${MAX_JSON_POLICY_BYTES / 1048576} MiB) written as JSON, what the Worker can load within its memory (docs/performance.md)`;
}

/** What is stored under documentKey: the validated document in canonical JSON, the bytes that hash to the version. */
export const storedDocument = (policy: CompiledPolicy): string => canonicalJson(policy.document);

/**
 * The records that store a version, in the order they are written: the source, then the document (a reader
 * that finds no document falls back to the source). The version names the document: the source is written only
 * where none that is this version is stored yet (worker/policy-store/store.ts), so the text first pushed is the
 * one kept.
 */
export function versionRecords(policy: CompiledPolicy, source: string): [key: string, value: string][] {
  return [
    [versionKey(policy.version), source],
    [documentKey(policy.version), storedDocument(policy)],
  ];
}
