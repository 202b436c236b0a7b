// Routes whose own path no request reaches: a literal holding letters an origin may change, where another route's
// pattern is that path as such an origin reads it (`/café` beside `/cafe`). Such requests are refused
// (path-letters-ambiguous: docs/policy.md, "Letters an origin may fold"), so the route decides only what its
// placeholders take, if anything.
import { escapedBeyondAscii } from "../escaped.ts";
import { foldedSpellings } from "../folded-spellings.ts";
import { foldLetters, NOT_ASCII } from "../letter-fold.ts";
import { parsePathPattern } from "../path-pattern.ts";
import type { Route } from "../schema.ts";
import type { Collector } from "./collector.ts";

export function checkLetterRoutes(
  routes: readonly Route[],
  at: string,
  out: Collector,
  caseInsensitivePaths: boolean,
): void {
  const patternOf = (route: Route) => route.path ?? route.pathPrefix;
  if (!routes.some((route) => NOT_ASCII.test(patternOf(route) ?? ""))) return;
  const byKey = new Map<string, number>();
  routes.forEach((route, r) => {
    const parsed = parsePathPattern(patternOf(route) ?? "", route.path === undefined);
    if (parsed.ok && !byKey.has(parsed.key)) byKey.set(parsed.key, r);
  });
  routes.forEach((route, r) => {
    const pattern = patternOf(route);
    if (pattern === undefined || !NOT_ASCII.test(pattern)) return;
    // `cafe` + U+0301 shows as `café`, but a request for `/café` as browsers send it (composed) is not it: it is
    // refused, or decided by another route (from a closing review, where it looked like an admin route's path).
    const composed = pattern.normalize("NFC");
    if (composed !== pattern)
      out.add(
        "warning",
        "route-letters-decomposed",
        `${at}.routes[${r}].${route.path !== undefined ? "path" : "pathPrefix"}`,
        `${escapedBeyondAscii(JSON.stringify(pattern))} is not in NFC: it shows as ${composed}, which a request written so (as browsers send it) does not reach`,
        `write it composed: ${composed}`,
      );
    // Placeholders are ASCII: every reading leaves them as they are.
    const segments = pattern.slice(1).split("/");
    const folded = segments.map(foldLetters);
    const target = { segments, folded: folded.some((s, i) => s !== segments[i]) ? folded : undefined };
    for (const spelling of foldedSpellings(caseInsensitivePaths, target)) {
      const read = `/${spelling.join("/")}`;
      const parsed = parsePathPattern(read, route.path === undefined);
      const other = parsed.ok ? byKey.get(parsed.key) : undefined;
      if (other === undefined || other === r) continue;
      out.add(
        "warning",
        "route-letters-refused",
        `${at}.routes[${r}].${route.path !== undefined ? "path" : "pathPrefix"}`,
        `requests to ${pattern} are refused (path-letters-ambiguous): an origin that changes letters reads it as ${read}, the path of routes[${other}]`,
        "rename one of the two paths, or merge their rules into one route",
      );
      return;
    }
  });
}
