// The routes of one service whose path patterns parse, in a trie: the checks that compare routes with each other
// (cross-route-deny.ts, route-escapes.ts) find the overlapping ones through it instead of comparing every pair.
import { parsePathPattern, type PatternToken } from "../path-pattern.ts";
import { PathTrie } from "../path-trie.ts";
import type { Route } from "../schema.ts";

export interface ParsedRoute {
  index: number;
  route: Route;
  tokens: PatternToken[];
}

export function routeTrie<T extends ParsedRoute>(
  routes: readonly Route[],
  entry: (parsed: ParsedRoute) => T = (p) => p as T,
): { parsed: T[]; trie: PathTrie<T> } {
  const parsed: T[] = [];
  const trie = new PathTrie<T>();
  routes.forEach((route, index) => {
    const result = parsePathPattern(route.path ?? route.pathPrefix ?? "", route.path === undefined);
    if (!result.ok) return;
    const value = entry({ index, route, tokens: result.tokens });
    parsed.push(value);
    trie.insert(result.tokens, value);
  });
  return { parsed, trie };
}
