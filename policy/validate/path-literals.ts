// A route's literal segments against what a request's path may hold: a literal that every request holding it is
// refused for (canonical-target.ts) is a route that matches nothing, however its rules read.
import { canonicalTarget, type TargetProblem } from "../canonical-target.ts";
import type { PatternToken } from "../path-pattern.ts";

/**
 * The first literal of a parsed pattern that no request's path can hold, and why requests holding it are refused:
 * `a\u00a0` (a no-break space at the end, read as a space by NFKC: `path-trailing-dot-or-space`), `a／b` (a
 * fullwidth solidus, read as `/`). Asked of canonicalTarget itself, with the literal as the raw path's one
 * segment, so it stays in step with what the gateway refuses. A pattern's literals are written decoded and hold
 * no `%` (path-pattern.ts), so the raw segment decodes to the literal as it is.
 */
export function literalNoPathHolds(
  tokens: readonly PatternToken[],
): { literal: string; problem: TargetProblem } | undefined {
  for (const token of tokens) {
    if (token.kind !== "literal" || token.value === "") continue;
    const result = canonicalTarget("GET", "pattern.example", `/${token.value}`);
    if (!result.ok) return { literal: token.value, problem: result.problem };
  }
  return undefined;
}
