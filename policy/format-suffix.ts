// A format suffix on a path's last segment: Rails routes every path with an optional `(.:format)` (`/admin.json`
// is served as `/admin`, once a trailing slash is dropped), and Spring MVC before 5.3 matches `/admin.*` as
// `/admin`. Deny rules reach those spellings (policy/evaluate.ts), and the readers of the policy that say what
// deny rules reach (ward reach, ward diff) read them the same way.
import type { PatternToken } from "./path-pattern.ts";

/** Where the segment is cut: at its first dot (Spring) and its last (Rails: a format holds none); none at 0. */
function dotsOf(segment: string): number[] {
  const first = segment.indexOf(".", 1);
  const last = segment.lastIndexOf(".");
  return first === -1 ? [] : first === last ? [first] : [first, last];
}

/**
 * The spellings a format suffix hides in a request's segments: its last segment (or the one before a trailing
 * slash) cut at its first and at its last dot, without the trailing slash. At most two, however many dots.
 */
export function suffixlessSpellings(segments: readonly string[]): string[][] {
  const at = segments.at(-1) === "" && segments.length > 1 ? segments.length - 2 : segments.length - 1;
  const named = segments[at] ?? "";
  return dotsOf(named).map((dot) => [...segments.slice(0, at), named.slice(0, dot)]);
}

/**
 * The same for a route's pattern: the requests it matches whose path ends in its last literal (before a
 * trailing empty segment or `{**}`), spelt without the suffix. `{*}` or `{**}` in that place take any suffix
 * themselves, so a pattern ending so has none of its own.
 */
export function suffixlessPatterns(tokens: readonly PatternToken[]): PatternToken[][] {
  let at = tokens.length - 1;
  const last = tokens[at];
  if (last?.kind === "rest" || (last?.kind === "literal" && last.value === "" && at > 0)) at--;
  const named = tokens[at];
  if (named?.kind !== "literal") return [];
  return dotsOf(named.value).map((dot) => [
    ...tokens.slice(0, at),
    { kind: "literal" as const, value: named.value.slice(0, dot) },
  ]);
}
