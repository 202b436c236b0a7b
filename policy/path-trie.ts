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

function node<T>(): TrieNode<T> {
  return { literal: new Map(), rest: [], exact: [] };
}

export class PathTrie<T> {
  private readonly root: TrieNode<T> = node();

  insert(tokens: readonly PatternToken[], value: T): void {
    let at = this.root;
    for (const token of tokens) {
      if (token.kind === "rest") {
        at.rest.push(value);
        return;
      }
      if (token.kind === "segment") {
        at = at.segment ??= node();
      } else {
        let next = at.literal.get(token.value);
        if (!next) at.literal.set(token.value, (next = node()));
        at = next;
      }
    }
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

  /** True when nothing was inserted. */
  get empty(): boolean {
    const r = this.root;
    return r.literal.size === 0 && !r.segment && r.rest.length === 0 && r.exact.length === 0;
  }
}
