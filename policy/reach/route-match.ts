// Route patterns as the gateway matches them (policy/path-trie.ts), for comparing the routing of two policies:
// whether a pattern matches a path, which of the matching routes the gateway takes, and one path for each set
// of paths that every pattern of both policies treats alike (so that comparing those paths compares all).
import { parsePathPattern, type PatternToken } from "../path-pattern.ts";
import type { ReachMethod } from "./methods.ts";
import { expandMethods } from "./methods.ts";
import type { RouteInfo } from "./model.ts";

export interface RoutePattern {
  info: RouteInfo;
  tokens: readonly PatternToken[];
  methods: ReadonlySet<ReachMethod>;
}

/** A route's pattern from RouteInfo's `pattern` (a pathPrefix already ends in `{**}` there). */
export function routePattern(info: RouteInfo): RoutePattern {
  const parsed = parsePathPattern(info.pattern);
  // A validated policy's patterns all parse; one that does not matches nothing, as it could not be compiled.
  const tokens = parsed.ok ? parsed.tokens : [{ kind: "literal" as const, value: "\u0000" }];
  return { info, tokens, methods: new Set(expandMethods(info.methods)) };
}

/**
 * `{*}` is one non-empty segment, a final `{**}` any rest (none included), a literal itself. `wild`: the positions
 * that may be any segment (those an origin that changes letters may read otherwise: diff-letters.ts).
 */
export function patternMatches(
  tokens: readonly PatternToken[],
  segments: readonly string[],
  wild?: readonly boolean[],
): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "rest") return true;
    const segment = segments[i];
    if (segment === undefined) return false;
    if (wild?.[i]) continue;
    if (token.kind === "literal" ? token.value !== segment : segment === "") return false;
  }
  return tokens.length === segments.length;
}

/** The trie's order at one position: the pattern ending here, then a literal, then `{*}`, then `{**}`. */
function rank(token: PatternToken | undefined): number {
  return token === undefined ? 0 : token.kind === "literal" ? 1 : token.kind === "segment" ? 2 : 3;
}

/**
 * Which of two patterns that match one path the trie offers first (negative: `a`): they part at the first
 * position where they differ, and there the trie tries the more specific kind first.
 */
function precedence(a: readonly PatternToken[], b: readonly PatternToken[]): number {
  for (let i = 0; i <= Math.max(a.length, b.length); i++) {
    const [ta, tb] = [a[i], b[i]];
    const d = rank(ta) - rank(tb);
    if (d !== 0) return d;
    if (ta === undefined || ta.kind === "rest") return 0;
  }
  return 0;
}

/** The routes whose pattern matches the path, whatever their methods. */
export function matching(routes: readonly RoutePattern[], segments: readonly string[]): RoutePattern[] {
  return routes.filter((route) => patternMatches(route.tokens, segments));
}

/** The route the gateway takes for a method among the routes that match a path: the most specific that serves it. */
export function chooseRoute(matched: readonly RoutePattern[], method: ReachMethod): RoutePattern | undefined {
  let best: RoutePattern | undefined;
  for (const route of matched) {
    if (!route.methods.has(method)) continue;
    if (!best || precedence(route.tokens, best.tokens) < 0) best = route;
  }
  return best;
}

/**
 * One path (as segments) for each class of paths that all the patterns treat alike. Whether a pattern matches
 * depends only on the number of segments and, at each position, on which literal of the patterns the segment
 * is, or whether it is another non-empty segment or empty (a trailing `/`). So the paths are built position
 * by position from the literals of the patterns still matching, one segment no pattern names, and the empty
 * one (only last, as canonical paths have it); past the last position any pattern tells apart, one more
 * segment stands for any longer path.
 *
 * `readings`: what else a segment may be read as (diff-letters.ts: an origin that changes letters reads `á` as `a`);
 * a pattern whose literal is one of them stays in the walk past that segment, so the paths go on to what it tells
 * apart further (`/{*}/á/c` beside `/{*}/a/c`, whose spelling the other decides). None: a literal is itself alone.
 */
export function representativePaths(
  patterns: readonly (readonly PatternToken[])[],
  readings: (segment: string) => readonly string[] = () => [],
): string[][] {
  const literals = new Set(patterns.flatMap((p) => p.flatMap((t) => (t.kind === "literal" ? [t.value] : []))));
  let other = "x";
  for (let i = 1; literals.has(other); i++) other = `x${i}`;
  const paths: string[][] = [];
  const walk = (prefix: string[], alive: readonly (readonly PatternToken[])[]) => {
    const i = prefix.length;
    // Patterns that can still tell segments at position i apart (the others end before i, or match any rest).
    const telling = alive.filter((p) => p[i] !== undefined && p[i]!.kind !== "rest");
    const next = new Set<string>();
    for (const p of telling) {
      const token = p[i]!;
      if (token.kind === "literal") next.add(token.value);
    }
    next.add(other);
    for (const segment of next) {
      const path = [...prefix, segment];
      paths.push(path);
      if (telling.length === 0 || segment === "") continue;
      walk(
        path,
        alive.filter((p) => {
          const t = p[i];
          if (t === undefined || t.kind !== "literal") return t !== undefined;
          return t.value === segment || readings(segment).includes(t.value);
        }),
      );
    }
    if (!next.has("")) paths.push([...prefix, ""]);
  };
  walk([], patterns);
  return paths;
}
