// route-match.ts routes requests for `ward diff` as the gateway's trie does (policy/path-trie.ts): checked
// against the trie itself on random patterns and paths, and its representative paths against every path.
import { describe, expect, it } from "vitest";
import { parsePathPattern } from "../../../policy/path-pattern.ts";
import { PathTrie } from "../../../policy/path-trie.ts";
import type { ReachMethod } from "../../../policy/reach/methods.ts";
import { chooseRoute, matching, representativePaths, routePattern } from "../../../policy/reach/route-match.ts";
import { METHODS } from "../../../policy/schema.ts";
import { random } from "./random.ts";

const SEGMENTS = ["a", "b", "{*}", "{id}"];
const PATH_SEGMENTS = ["a", "b", "c", ""];

/** A route as reach describes it: `/a/{*}` or `/a (prefix)`, with some methods. */
function randomRoute(r: ReturnType<typeof random>, id: number) {
  const segments = Array.from({ length: r.int(4) }, () => r.pick(SEGMENTS));
  const prefix = r.chance(0.25);
  if (!prefix && r.chance(0.3)) segments.push("{**}");
  else if (!prefix && segments.length > 0 && r.chance(0.1)) segments.push("");
  const methods = r.chance(0.3) ? ["*"] : r.some(METHODS, 1, 3);
  const path = `/${segments.join("/")}`;
  const parsed = parsePathPattern(path, prefix);
  return routePattern({
    service: "s",
    route: `s/r${id}`,
    path: prefix ? `${path} (prefix)` : path,
    pattern: parsed.ok ? parsed.key : path,
    methods,
    mode: "enforce",
  });
}

describe("chooseRoute", () => {
  it("takes the route the gateway's trie takes, for random patterns, paths and methods", () => {
    const r = random(7);
    let compared = 0;
    let found = 0;
    for (let round = 0; round < 300; round++) {
      const routes = Array.from({ length: 1 + r.int(6) }, (_, i) => randomRoute(r, i));
      const trie = new PathTrie<(typeof routes)[number]>();
      for (const route of routes) {
        const prefix = route.info.path.endsWith(" (prefix)");
        const parsed = parsePathPattern(prefix ? route.info.path.slice(0, -9) : route.info.path, prefix);
        if (parsed.ok) trie.insert(parsed.tokens, route);
      }
      for (let k = 0; k < 30; k++) {
        const segments = Array.from({ length: 1 + r.int(4) }, () => r.pick(PATH_SEGMENTS));
        // Canonical paths have an empty segment only last.
        if (segments.slice(0, -1).includes("")) continue;
        const method = r.pick(METHODS) as ReachMethod;
        const expected = trie.find(segments, (route) => route.methods.has(method));
        const got = chooseRoute(matching(routes, segments), method);
        // Two routes of one pattern may both serve the method here (the validator refuses that): the trie takes
        // the first, which only pattern and methods can tell apart, so compare patterns.
        expect(got?.info.path, `${segments.join("/")} ${method} among ${routes.map((x) => x.info.path)}`).toBe(
          expected?.info.path,
        );
        compared++;
        if (expected) found++;
      }
    }
    expect(found / compared).toBeGreaterThan(0.3);
  });
});

describe("representativePaths", () => {
  it("gives, for every path, one that every pattern matches alike", () => {
    const r = random(11);
    for (let round = 0; round < 200; round++) {
      const routes = Array.from({ length: 1 + r.int(5) }, (_, i) => randomRoute(r, i));
      const reps = representativePaths(routes.map((x) => x.tokens));
      const signature = (segments: string[]) => routes.map((x) => matching([x], segments).length).join("");
      const covered = new Set(reps.map(signature));
      for (let k = 0; k < 40; k++) {
        const segments = Array.from({ length: 1 + r.int(6) }, () => r.pick([...PATH_SEGMENTS, "zz"]));
        if (segments.slice(0, -1).includes("")) continue;
        expect(covered.has(signature(segments)), `${segments.join("/")} among ${routes.map((x) => x.info.path)}`).toBe(
          true,
        );
      }
    }
  });

  it("names a segment no pattern has, and the empty last one", () => {
    const paths = representativePaths([
      routePattern({ service: "s", route: "s/r", path: "/x/{*}", pattern: "/x/{*}", methods: ["GET"], mode: "enforce" })
        .tokens,
    ]);
    expect(paths.map((p) => `/${p.join("/")}`)).toEqual([
      "/x",
      "/x/x1",
      "/x/x1/x1",
      "/x/x1/",
      "/x/",
      "/x1",
      "/x1/x1",
      "/x1/",
      "/",
    ]);
  });
});
