// A segment trie: lookup cost follows the depth of the request path, not the number of routes.
import type { PatternToken } from "./path-pattern.ts";

interface TrieNode<T> {
  literal: Map<string, TrieNode<T>>;
  segment?: TrieNode<T>;
  /** Values whose pattern ends here with `{**}`: they match this node and everything below. */
  rest: T[];
  /** Values whose pattern ends exactly here. */
  exact: T[];
}

// Most nodes are leaves with one value: they share one empty map and list until something is added to theirs
// (a policy's tries hold a node per route, and an empty Map costs more than the route's own fields).
// biome-ignore lint/suspicious/noExplicitAny: never written to; replaced on the first insert
const NO_CHILDREN: Map<string, TrieNode<any>> = new Map();
const NO_VALUES: never[] = Object.freeze([]) as never[];

function node<T>(): TrieNode<T> {
  return { literal: NO_CHILDREN, rest: NO_VALUES, exact: NO_VALUES };
}

export class PathTrie<T> {
  private readonly root: TrieNode<T> = node();

  insert(tokens: readonly PatternToken[], value: T): void {
    let at = this.root;
    for (const token of tokens) {
      if (token.kind === "rest") {
        if (at.rest === NO_VALUES) at.rest = [];
        at.rest.push(value);
        return;
      }
      if (token.kind === "segment") {
        at = at.segment ??= node();
      } else {
        let next = at.literal.get(token.value);
        if (!next) {
          if (at.literal === NO_CHILDREN) at.literal = new Map();
          at.literal.set(token.value, (next = node()));
        }
        at = next;
      }
    }
    if (at.exact === NO_VALUES) at.exact = [];
    at.exact.push(value);
  }

  /**
   * Offers matching values to `accept`, most specific first (literal before `{*}` before `{**}`,
   * deeper `{**}` before shallower), and returns the first one accepted.
   */
  find(segments: readonly string[], accept: (value: T) => boolean): T | undefined {
    return this.walk(this.root, segments, 0, accept);
  }

  private walk(at: TrieNode<T>, segments: readonly string[], i: number, accept: (value: T) => boolean): T | undefined {
    if (i === segments.length) {
      for (const value of at.exact) if (accept(value)) return value;
    } else {
      const seg = segments[i]!;
      const literal = at.literal.get(seg);
      const found =
        (literal && this.walk(literal, segments, i + 1, accept)) ||
        (at.segment && seg !== "" && this.walk(at.segment, segments, i + 1, accept));
      if (found) return found;
    }
    for (const value of at.rest) if (accept(value)) return value;
    return undefined;
  }

  /**
   * Offers every value whose pattern matches, in the order `find` offers them (most specific first). The cost
   * follows the matching nodes, not the number of values.
   */
  forEachMatch(segments: readonly string[], visit: (value: T) => void): void {
    this.visitAll(this.root, segments, 0, visit);
  }

  private visitAll(at: TrieNode<T>, segments: readonly string[], i: number, visit: (value: T) => void): void {
    if (i === segments.length) {
      for (const value of at.exact) visit(value);
    } else {
      const seg = segments[i]!;
      const literal = at.literal.get(seg);
      if (literal) this.visitAll(literal, segments, i + 1, visit);
      if (at.segment && seg !== "") this.visitAll(at.segment, segments, i + 1, visit);
    }
    for (const value of at.rest) visit(value);
  }

  /**
   * Offers every value whose pattern ends exactly (not with `{**}`) at the same path spelt the other way: without
   * its trailing slash when `segments` has one (a final empty segment), with one when not. Nothing is allocated.
   */
  forEachExactOtherSlash(segments: readonly string[], visit: (value: T) => void): void {
    const slash = segments.length > 0 && segments[segments.length - 1] === "";
    const length = slash ? segments.length - 1 : segments.length + 1;
    if (length > 0) this.visitExact(this.root, segments, 0, length, visit);
  }

  /**
   * Offers every value whose pattern ends exactly (not with `{**}`) at a prefix of `segments` that ends in a segment
   * `cut` accepts and is followed by more than a trailing slash, or at that prefix with a trailing slash: the
   * script a server runs for the whole path, the rest being its PATH_INFO. (The whole path, and it without or with
   * its trailing slash, are forEachMatch's and forEachExactOtherSlash's.) The cost follows the matching nodes.
   */
  forEachExactCutPrefix(
    segments: readonly string[],
    cut: (segment: string) => boolean,
    visit: (value: T) => void,
  ): void {
    const last =
      segments.length > 0 && segments[segments.length - 1] === "" ? segments.length - 2 : segments.length - 1;
    this.visitCutPrefixes(this.root, segments, 0, last, cut, visit);
  }

  private visitCutPrefixes(
    at: TrieNode<T>,
    segments: readonly string[],
    i: number,
    last: number,
    cut: (segment: string) => boolean,
    visit: (value: T) => void,
  ): void {
    if (i >= last) return;
    const seg = segments[i]!;
    const here = cut(seg);
    const literal = at.literal.get(seg);
    if (literal) {
      if (here) this.visitCut(literal, visit);
      this.visitCutPrefixes(literal, segments, i + 1, last, cut, visit);
    }
    if (at.segment && seg !== "") {
      if (here) this.visitCut(at.segment, visit);
      this.visitCutPrefixes(at.segment, segments, i + 1, last, cut, visit);
    }
  }

  /** The values ending exactly at `at`, and at it with a trailing slash. */
  private visitCut(at: TrieNode<T>, visit: (value: T) => void): void {
    for (const value of at.exact) visit(value);
    const slash = at.literal.get("");
    if (slash) for (const value of slash.exact) visit(value);
  }

  /** Like visitAll over the first `length` segments (a missing one is ""), offering only values ending there. */
  private visitExact(
    at: TrieNode<T>,
    segments: readonly string[],
    i: number,
    length: number,
    visit: (value: T) => void,
  ): void {
    if (i === length) {
      for (const value of at.exact) visit(value);
      return;
    }
    const seg = i < segments.length ? segments[i]! : "";
    const literal = at.literal.get(seg);
    if (literal) this.visitExact(literal, segments, i + 1, length, visit);
    if (at.segment && seg !== "") this.visitExact(at.segment, segments, i + 1, length, visit);
  }

  /**
   * Offers every value whose pattern shares at least one path with `tokens` (a pattern), each once, until `visit`
   * returns true (anything else goes on) or `nodes` trie nodes have been looked at. The cost follows the
   * overlapping nodes, so checking every route against the others does not grow quadratically unless the patterns
   * do overlap pairwise (`{*}` before thousands of literals), which a caller that only warns bounds with `nodes`.
   * False when that budget ran out before the walk ended: some overlapping values may not have been offered.
   * `budget`: the caller's own count of nodes left, spent by this walk (`nodes` is then ignored).
   */
  forEachOverlap(
    tokens: readonly PatternToken[],
    visit: (value: T) => unknown,
    nodes = Infinity,
    budget: { left: number } = { left: nodes },
  ): boolean {
    this.overlapAll(this.root, tokens, 0, visit, budget);
    return budget.left >= 0;
  }

  /** True when `visit` asked to stop, or the budget is spent. */
  private overlapAll(
    at: TrieNode<T>,
    tokens: readonly PatternToken[],
    i: number,
    visit: (value: T) => unknown,
    budget: { left: number },
  ): boolean {
    if (--budget.left < 0) return true;
    const token = tokens[i];
    if (token === undefined) {
      // The pattern ends here: what ends here, and a `{**}` matching nothing more.
      return at.exact.some((v) => visit(v) === true) || at.rest.some((v) => visit(v) === true);
    }
    if (token.kind === "rest") return this.visitSubtree(at, visit, budget);
    // At least one more segment follows: a `{**}` ending here matches it.
    if (at.rest.some((v) => visit(v) === true)) return true;
    if (token.kind === "literal") {
      const literal = at.literal.get(token.value);
      if (literal && this.overlapAll(literal, tokens, i + 1, visit, budget)) return true;
      return !!at.segment && token.value !== "" && this.overlapAll(at.segment, tokens, i + 1, visit, budget);
    }
    // `{*}` is any one non-empty segment: every literal but "" (a trailing '/'), and every `{*}`.
    for (const [value, next] of at.literal)
      if (value !== "" && this.overlapAll(next, tokens, i + 1, visit, budget)) return true;
    return !!at.segment && this.overlapAll(at.segment, tokens, i + 1, visit, budget);
  }

  private visitSubtree(at: TrieNode<T>, visit: (value: T) => unknown, budget: { left: number }): boolean {
    if (--budget.left < 0) return true;
    if (at.exact.some((v) => visit(v) === true) || at.rest.some((v) => visit(v) === true)) return true;
    for (const next of at.literal.values()) if (this.visitSubtree(next, visit, budget)) return true;
    return !!at.segment && this.visitSubtree(at.segment, visit, budget);
  }

  /** True when nothing was inserted. */
  get empty(): boolean {
    const r = this.root;
    return r.literal.size === 0 && !r.segment && r.rest.length === 0 && r.exact.length === 0;
  }
}
