// Do two route patterns match a common path? Deny rules apply on every route that matches a request
// (policy/evaluate.ts), so validation and reach must know which routes' requests another route's denies reach.
import type { PatternToken } from "./path-pattern.ts";

/**
 * A value for a `{*}` no literal can equal: literals never hold `{` (path-pattern.ts), so the witness stays
 * on the parameter's branch and never takes another route's literal.
 */
export const ANY_SEGMENT = "{*}";

function instantiate(tokens: readonly PatternToken[]): string[] {
  // `{**}` is last and may match nothing; a segment stands for any one.
  return tokens.flatMap((t) => (t.kind === "literal" ? [t.value] : t.kind === "segment" ? [ANY_SEGMENT] : []));
}

/**
 * The segments of one path both patterns match, or undefined when they share none. Exact: `{*}` is one
 * non-empty segment and `{**}` (always last) zero or more, as the trie matches them.
 */
export function overlapWitness(a: readonly PatternToken[], b: readonly PatternToken[]): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const ta = a[i];
    const tb = b[i];
    if (ta?.kind === "rest") return [...out, ...instantiate(b.slice(i))];
    if (tb?.kind === "rest") return [...out, ...instantiate(a.slice(i))];
    if (ta === undefined || tb === undefined) return ta === tb ? out : undefined;
    if (ta.kind === "literal" && tb.kind === "literal") {
      if (ta.value !== tb.value) return undefined;
      out.push(ta.value);
    } else if (ta.kind === "literal" || tb.kind === "literal") {
      // A literal segment is never empty (the trie's `{*}` skips ""), except a trailing "" (a path ending in
      // '/'), which `{*}` does not match.
      const value = ta.kind === "literal" ? ta.value : (tb as { value: string }).value;
      if (value === "") return undefined;
      out.push(value);
    } else {
      out.push(ANY_SEGMENT);
    }
  }
}
