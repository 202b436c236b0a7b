// Which route patterns share a path: overlapWitness against brute force over every short path, and
// forEachMatch offering every matching pattern in find's order.
import { describe, expect, it } from "vitest";
import { parsePathPattern, type PatternToken } from "../../policy/path-pattern.ts";
import { overlapWitness } from "../../policy/path-overlap.ts";
import { PathTrie } from "../../policy/path-trie.ts";

function tokensOf(p: string): PatternToken[] {
  const prefix = p.startsWith("prefix:");
  const parsed = parsePathPattern(prefix ? p.slice("prefix:".length) : p, prefix);
  if (!parsed.ok) throw new Error(`${p}: ${parsed.message}`);
  return parsed.tokens;
}

function matches(pattern: string, segments: readonly string[]): boolean {
  const trie = new PathTrie<string>();
  trie.insert(tokensOf(pattern), pattern);
  return trie.find(segments, () => true) !== undefined;
}

/** Every pattern of up to three segments over a, b, {*}, optionally ending in {**} or a trailing '/'. */
function allPatterns(): string[] {
  const parts = ["a", "b", "{*}"];
  const bodies: string[][] = [[]];
  for (let n = 1; n <= 3; n++)
    for (const body of bodies.filter((b) => b.length === n - 1)) for (const p of parts) bodies.push([...body, p]);
  const out: string[] = [];
  for (const body of bodies) {
    out.push(`/${body.join("/")}`, `/${[...body, "{**}"].join("/")}`);
    if (body.length > 0) out.push(`/${body.join("/")}/`, `prefix:/${body.join("/")}`);
  }
  return [...new Set(out)];
}

/** Every segment list of up to four segments over a, b, c, optionally with a trailing "" (a path ending in '/'). */
function allPaths(): string[][] {
  const lists: string[][] = [[]];
  for (let n = 1; n <= 4; n++)
    for (const l of lists.filter((x) => x.length === n - 1)) for (const s of ["a", "b", "c"]) lists.push([...l, s]);
  return [...lists, ...lists.map((l) => [...l, ""])];
}

describe("overlapWitness", () => {
  const patterns = allPatterns();
  const paths = allPaths();

  it("finds a shared path exactly when one exists, and the path it gives matches both", () => {
    const matched = new Map(patterns.map((p) => [p, paths.map((path) => matches(p, path))]));
    let overlapping = 0;
    for (const a of patterns) {
      for (const b of patterns) {
        const witness = overlapWitness(tokensOf(a), tokensOf(b));
        const [ma, mb] = [matched.get(a)!, matched.get(b)!];
        const shared = ma.some((m, i) => m && mb[i]);
        expect(witness !== undefined, `${a} and ${b}`).toBe(shared);
        if (witness) {
          overlapping++;
          expect(matches(a, witness) && matches(b, witness), `${a} and ${b}: /${witness.join("/")}`).toBe(true);
        }
      }
    }
    // Both answers occur often: the comparison is not vacuous.
    expect(overlapping).toBeGreaterThan(patterns.length * 5);
    expect(overlapping).toBeLessThan(patterns.length ** 2 / 2);
  });

  it.each([
    ["prefix:/admin", "/admin/users", "/admin/users"],
    ["/a/{*}/c", "/a/b/{**}", "/a/b/c"],
    ["/{**}", "/x/{*}", "/x/{*}"],
  ])("%s and %s share %s", (a, b, path) => {
    expect(`/${overlapWitness(tokensOf(a), tokensOf(b))!.join("/")}`).toBe(path);
  });

  it.each([
    ["/a/{*}", "/a"],
    ["/a/{*}", "/a/"],
    ["prefix:/admin", "/administrator"],
  ])("%s and %s share nothing", (a, b) => {
    expect(overlapWitness(tokensOf(a), tokensOf(b))).toBeUndefined();
  });
});

describe("PathTrie.forEachMatch", () => {
  it("offers every matching pattern, in find's order, and nothing else", () => {
    const patterns = allPatterns();
    const trie = new PathTrie<string>();
    for (const p of patterns) trie.insert(tokensOf(p), p);
    for (const path of allPaths()) {
      const seen: string[] = [];
      trie.forEachMatch(path, (p) => seen.push(p));
      expect(seen.sort(), `/${path.join("/")}`).toEqual(patterns.filter((p) => matches(p, path)).sort());
      const order: string[] = [];
      trie.forEachMatch(path, (p) => order.push(p));
      // The first offered is the one find returns; removing it, the next is what find returns among the rest.
      expect(order[0]).toBe(trie.find(path, () => true));
      for (let i = 1; i < order.length; i++)
        expect(trie.find(path, (p) => !order.slice(0, i).includes(p))).toBe(order[i]);
    }
  });

  it("forEachOverlap offers, once each, exactly the patterns overlapWitness says share a path", () => {
    const patterns = allPatterns();
    const trie = new PathTrie<string>();
    for (const p of patterns) trie.insert(tokensOf(p), p);
    for (const query of patterns) {
      const seen: string[] = [];
      trie.forEachOverlap(tokensOf(query), (p) => seen.push(p));
      expect(seen.length, query).toBe(new Set(seen).size);
      const expected = patterns.filter((p) => overlapWitness(tokensOf(query), tokensOf(p)) !== undefined);
      expect(seen.sort(), query).toEqual(expected.sort());
    }
  });

  it("forEachOverlap stops when the visitor says so, or when its node budget is spent", () => {
    const patterns = allPatterns();
    const trie = new PathTrie<string>();
    for (const p of patterns) trie.insert(tokensOf(p), p);
    const all: string[] = [];
    trie.forEachOverlap(tokensOf("/{**}"), (p) => all.push(p));
    expect(all.length).toBe(patterns.length);
    const first: string[] = [];
    trie.forEachOverlap(tokensOf("/{**}"), (p) => first.push(p) >= 3);
    expect(first).toEqual(all.slice(0, 3));
    const budgeted: string[] = [];
    trie.forEachOverlap(tokensOf("/{**}"), (p) => budgeted.push(p), 2);
    expect(budgeted.length).toBeGreaterThan(0);
    expect(budgeted.length).toBeLessThan(all.length);
    expect(all).toEqual(expect.arrayContaining(budgeted));
  });

  it("knows when it is empty", () => {
    const trie = new PathTrie<string>();
    expect(trie.empty).toBe(true);
    trie.insert(tokensOf("/a"), "/a");
    expect(trie.empty).toBe(false);
  });
});
