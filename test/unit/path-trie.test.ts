// The segment trie: which pattern a canonical path finds, most specific first.
import { describe, expect, it } from "vitest";
import { canonicalTarget } from "../../policy/canonical-target.ts";
import { parsePathPattern } from "../../policy/path-pattern.ts";
import { PathTrie } from "../../policy/path-trie.ts";

/** A pattern is written "/a/{*}" (path) or "prefix:/a" (pathPrefix); the stored value is that text. */
function trieOf(patterns: readonly string[]): PathTrie<string> {
  const trie = new PathTrie<string>();
  for (const p of patterns) {
    const prefix = p.startsWith("prefix:");
    const parsed = parsePathPattern(prefix ? p.slice("prefix:".length) : p, prefix);
    if (!parsed.ok) throw new Error(`${p}: ${parsed.message}`);
    trie.insert(parsed.tokens, p);
  }
  return trie;
}

function segmentsOf(path: string): string[] {
  const result = canonicalTarget("GET", "example.com", path);
  if (!result.ok) throw new Error(`${path}: ${result.problem}`);
  return result.target.segments;
}

function find(
  trie: PathTrie<string>,
  path: string,
  accept: (value: string) => boolean = () => true,
): string | undefined {
  return trie.find(segmentsOf(path), accept);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [item, ...p]),
  );
}

describe("specificity: literal > {*} > {**}, whatever the insertion order", () => {
  const patterns = ["/a/b", "/a/{*}", "/a/{**}", "/{**}"];
  const orders = permutations(patterns);

  it.each([
    ["/a/b", "/a/b"],
    ["/a/c", "/a/{*}"],
    ["/a/b/c", "/a/{**}"],
    ["/a", "/a/{**}"],
    ["/a/", "/a/{**}"],
    ["/b", "/{**}"],
    ["/", "/{**}"],
  ])("%s finds %s", (path, expected) => {
    expect(orders).toHaveLength(24);
    for (const order of orders) expect(find(trieOf(order), path), order.join(" ")).toBe(expected);
  });
});

describe("deeper {**} before shallower", () => {
  const patterns = ["/{**}", "prefix:/a", "prefix:/a/b", "/a/b/c/{**}"];

  it.each([
    ["/a/b/c/d", "/a/b/c/{**}"],
    ["/a/b/c", "/a/b/c/{**}"],
    ["/a/b/x", "prefix:/a/b"],
    ["/a/b", "prefix:/a/b"],
    ["/a/x/y", "prefix:/a"],
    ["/x/y", "/{**}"],
  ])("%s finds %s", (path, expected) => {
    for (const order of permutations(patterns)) expect(find(trieOf(order), path)).toBe(expected);
  });
});

describe("{*} is exactly one non-empty segment", () => {
  const trie = trieOf(["/a/{*}", "/{*}", "/x/{*}/y"]);

  it.each([
    ["/a/b", "/a/{*}"],
    ["/q", "/{*}"],
    ["/x/1/y", "/x/{*}/y"],
    ["/a/", undefined],
    ["/", undefined],
    ["/a/b/c", undefined],
    ["/x/1", undefined],
  ])("%s -> %s", (path, expected) => {
    expect(find(trie, path)).toBe(expected);
  });

  it("never matches an empty segment even as the last resort", () => {
    expect(trieOf(["/{*}/"]).find(["", ""], () => true)).toBeUndefined();
    expect(trieOf(["/{*}/"]).find(["a", ""], () => true)).toBe("/{*}/");
  });
});

describe("prefix semantics", () => {
  const trie = trieOf(["prefix:/admin"]);

  it.each([
    ["/admin", true],
    ["/admin/", true],
    ["/admin/users", true],
    ["/admin/users/1/edit", true],
    ["/administrator", false],
    ["/adm", false],
    ["/", false],
    ["/x/admin", false],
    ["/Admin", false],
  ])("prefix /admin matches %s: %s", (path, matches) => {
    expect(find(trie, path)).toBe(matches ? "prefix:/admin" : undefined);
  });

  it("prefix / matches every path", () => {
    const all = trieOf(["prefix:/"]);
    for (const path of ["/", "/a", "/a/", "/a/b/c"]) expect(find(all, path)).toBe("prefix:/");
  });

  it("an exact path matches only itself, trailing slash included", () => {
    const exact = trieOf(["/a", "/b/"]);
    expect(find(exact, "/a")).toBe("/a");
    expect(find(exact, "/a/")).toBeUndefined();
    expect(find(exact, "/b/")).toBe("/b/");
    expect(find(exact, "/b")).toBeUndefined();
    expect(find(trieOf(["/"]), "/")).toBe("/");
    expect(find(trieOf(["/"]), "/a")).toBeUndefined();
  });

  it("literals compare decoded segments", () => {
    const decoded = trieOf(["/café/a b"]);
    expect(find(decoded, "/caf%C3%A9/a%20b")).toBe("/café/a b");
    expect(find(decoded, "/café/a b")).toBe("/café/a b");
  });
});

describe("accept: refused values fall back to the next most specific", () => {
  const trie = trieOf(["/a/b", "/a/{*}", "prefix:/a", "/{**}"]);

  it.each<[string[], string | undefined]>([
    [[], "/a/b"],
    [["/a/b"], "/a/{*}"],
    [["/a/b", "/a/{*}"], "prefix:/a"],
    [["/a/b", "/a/{*}", "prefix:/a"], "/{**}"],
    [["/a/b", "/a/{*}", "prefix:/a", "/{**}"], undefined],
  ])("refusing %j finds %s", (refused, expected) => {
    expect(find(trie, "/a/b", (v) => !refused.includes(v))).toBe(expected);
  });

  it("offers values of one pattern in insertion order", () => {
    const twice = new PathTrie<string>();
    const parsed = parsePathPattern("/x");
    if (!parsed.ok) throw new Error(parsed.message);
    twice.insert(parsed.tokens, "first");
    twice.insert(parsed.tokens, "second");
    const offered: string[] = [];
    expect(
      twice.find(["x"], (v) => {
        offered.push(v);
        return v === "second";
      }),
    ).toBe("second");
    expect(offered).toEqual(["first", "second"]);
  });
});

describe("backtracking", () => {
  it("the leftmost literal wins between two partial wildcards", () => {
    expect(find(trieOf(["/{*}/b", "/a/{*}"]), "/a/b")).toBe("/a/{*}");
  });

  it("a literal branch that dead-ends falls back to the {*} branch", () => {
    expect(find(trieOf(["/a/{*}/c", "/{*}/b/d"]), "/a/b/d")).toBe("/{*}/b/d");
  });

  it("an empty trie finds nothing", () => {
    expect(find(new PathTrie<string>(), "/")).toBeUndefined();
  });
});
