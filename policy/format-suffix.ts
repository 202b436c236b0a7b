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

/**
 * Whether a server may run this segment as a script with the rest of the path after it as PATH_INFO: PHP (nginx's
 * `fastcgi_split_path_info`, Apache's AcceptPathInfo), CGI and ASP.NET run `/admin.php` for `/admin.php/x`. Any
 * segment with a dot after its first character (the extension a handler is chosen by); deny rules reach such a
 * request's prefix (policy/evaluate.ts), which can only refuse more.
 */
export const mayRunAsScript = (segment: string): boolean => segment.indexOf(".", 1) !== -1;

/** Whether any segment before the last (or before a trailing slash) may be a script with the rest as PATH_INFO. */
export function mayCarryPathInfo(segments: readonly string[]): boolean {
  const last = segments.at(-1) === "" ? segments.length - 2 : segments.length - 1;
  for (let i = 0; i < last; i++) if (mayRunAsScript(segments[i]!)) return true;
  return false;
}

/**
 * For the readers of a policy (ward reach, ward diff): the requests whose PATH_INFO runs a route's exact pattern as
 * a script, as a pattern: the route's pattern (without its trailing slash) followed by `{**}`. Undefined when its
 * last segment cannot be a script (no dot in a literal; `{**}` reaches below itself already).
 */
export function pathInfoPattern(tokens: readonly PatternToken[]): PatternToken[] | undefined {
  let end = tokens.length;
  const last = tokens[end - 1];
  if (last === undefined || last.kind === "rest") return undefined;
  if (last.kind === "literal" && last.value === "" && end > 1) end--;
  const script = tokens[end - 1]!;
  if (script.kind === "literal" ? !mayRunAsScript(script.value) : script.kind !== "segment") return undefined;
  return [...tokens.slice(0, end), { kind: "rest" }];
}

/** For the readers too: the prefixes of a request's segments that a server may run as a script (mayCarryPathInfo). */
export function pathInfoSpellings(segments: readonly string[]): string[][] {
  const last = segments.at(-1) === "" ? segments.length - 2 : segments.length - 1;
  const out: string[][] = [];
  for (let i = 0; i < last; i++) if (mayRunAsScript(segments[i]!)) out.push(segments.slice(0, i + 1));
  return out;
}
