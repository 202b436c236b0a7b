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
}
