// Requests the gateway refused for their letters in OLD and takes in NEW. A path that an origin which changes
// letters reads as another route's path (`/x/café` as `/x/cafe`) is refused in every mode (path-letters-ambiguous:
// policy/evaluate.ts, lettersAmbiguous). Removing or renaming the other route lifts the refusal without changing a
// grant, so the per-route comparison sees nothing (a black-box review found such a diff exiting 0).
//
// Such a request is what its spellings are to an origin that changes letters: a principal gains by it only where
// OLD did not let them make the request as spelt so (no route, no grant, or a grant on tighter terms), as the moved
// requests are compared (diff-routing.ts). Otherwise every route removed under a catch-all would "widen". A spelling
// no route takes that OLD refused for its own letters stands for its spellings, which are among the others.
//
// The paths tried are the routes' classes (representativePaths), walked on past a segment along the routes whose
// literal is a spelling of it: `/x/á/c` beside `/{*}/a/c` is refused as `/x/a/c`; walked by literals alone, the
// paths left `/{*}/a/c` behind at `á` and none was `/x/á/c`.
import { foldedSpellings, MAX_SPELLINGS } from "../folded-spellings.ts";
import { folding } from "../folded-patterns.ts";
import { NOT_ASCII } from "../letter-fold.ts";
import { METHODS } from "../schema.ts";
import { forwardedLines, forwardedMore, Routing } from "./diff-routing.ts";
import { looser } from "./looser.ts";
import type { ReachMethod } from "./methods.ts";
import type { Reach, ServiceSettings } from "./model.ts";
import { chooseRoute, matching, patternMatches, representativePaths, type RoutePattern } from "./route-match.ts";
import type { SettingChange } from "./setting-change.ts";
import { compare } from "./sort.ts";

/** One request path in one policy: the routes matching it as written and as each spelling. */
interface View {
  written: RoutePattern[];
  matched: ReadonlySet<RoutePattern>;
  spellings: readonly (readonly string[])[];
  bySpelling: RoutePattern[][];
  /** More spellings than the gateway decides: refused whatever the routes. */
  tooMany: boolean;
}

function view(routes: readonly RoutePattern[], segments: readonly string[], caseInsensitive: boolean): View {
  const spellings = foldedSpellings(caseInsensitive, folding(segments));
  const written = matching(routes, segments);
  const tooMany = spellings.length > MAX_SPELLINGS;
  return {
    written,
    matched: new Set(written),
    spellings,
    bySpelling: tooMany ? [] : spellings.map((s) => matching(routes, s)),
    tooMany,
  };
}

/** Whether the gateway refuses the request for its letters: a spelling of it decided by a route it does not match. */
function refused(v: View, method: ReachMethod): boolean {
  if (v.tooMany) return true;
  return v.bySpelling.some((routes) => {
    const other = chooseRoute(routes, method);
    return other !== undefined && !v.matched.has(other);
  });
}

/**
 * Whether OLD refused a reading (by its index in `v.spellings`) itself for its letters. Such a reading that no route
 * takes was no request anyone made, yet it stands for its own readings, which are among the others (readings
 * compose): `/x/a` + U+0301 for `/x/á` is `/x/á` again to an origin that composes. Judged by them alone, as the
 * differential test does, lest every lifted path with a decomposed reading widen for everyone.
 */
function refusedReadings(
  routes: readonly RoutePattern[],
  v: View,
  caseInsensitive: boolean,
): (reading: number, method: ReachMethod) => boolean {
  const views = new Map<number, View>();
  return (reading, method) => {
    let read = views.get(reading);
    if (!read) views.set(reading, (read = view(routes, v.spellings[reading]!, caseInsensitive)));
    return refused(read, method);
  };
}

/**
 * Segments an origin that changes letters reads as this one, or as another that some origin reads differently: for
 * an ASCII one, its first character in fullwidth form (`ａ` for `a`: NFKC and best-fit read it back) and with a dot
 * above (`ȧ`: NFD reads it as `a` and U+0307, a reading of its own, which the gateway refuses as it refuses `ȧ`); for
 * one beyond ASCII, decomposed (`cafe` and U+0301 for `café`, which NFC composes).
 */
function twins(segment: string): string[] {
  if (NOT_ASCII.test(segment)) {
    const decomposed = segment.normalize("NFD");
    return decomposed !== segment ? [decomposed] : [];
  }
  const first = segment.charCodeAt(0);
  if (!(first > 0x20 && first < 0x7f)) return [];
  const rest = segment.slice(1);
  const dotted = `${segment[0]}\u0307`.normalize("NFC");
  return [String.fromCharCode(first + 0xfee0) + rest, ...(dotted.length === 1 ? [dotted + rest] : [])];
}

/**
 * The path as written, then with each segment (one at a time, then all) written as each of its twins: the requests
 * whose letters an origin folds onto the patterns' literals (`/c/ａ` onto `/{*}/a`), which the literals themselves
 * do not stand for.
 */
function withTwins(segments: readonly string[]): (readonly string[])[] {
  const all = segments.map(twins);
  const paths: (readonly string[])[] = [segments];
  all.forEach((ts, i) => {
    for (const t of ts) paths.push(segments.map((s, j) => (j === i ? t : s)));
  });
  if (all.filter((ts) => ts.length > 0).length > 1) paths.push(segments.map((s, i) => all[i]![0] ?? s));
  return paths;
}

/**
 * What an origin that changes letters may read a segment as, in either case setting, for representativePaths: a
 * path with a route's `á` goes on along a route's `a` (a spelling of it the other route decides) as well as its own.
 */
function segmentReadings(): (segment: string) => readonly string[] {
  const memo = new Map<string, readonly string[]>();
  return (segment) => {
    let read = memo.get(segment);
    if (read === undefined) {
      const spellings = [false, true].flatMap((ci) => foldedSpellings(ci, folding([segment])).map((s) => s[0]!));
      memo.set(segment, (read = [...new Set(spellings)]));
    }
    return read;
  };
}

const routeKey = (r: RoutePattern) => JSON.stringify([r.info.pattern, r.info.methods]);

/** The routes of one list whose pattern and methods the other lacks: what one policy routes otherwise. */
function changedRoutes(a: readonly RoutePattern[], b: readonly RoutePattern[]): RoutePattern[] {
  const [inA, inB] = [new Set(a.map(routeKey)), new Set(b.map(routeKey))];
  return [...a.filter((r) => !inB.has(routeKey(r))), ...b.filter((r) => !inA.has(routeKey(r)))];
}

/** What a lifted request is now forwarded with beyond what a reading of it was, by the pair of routes. */
interface Carried {
  example: string;
  from: string;
  to: string;
  more: NonNullable<ReturnType<typeof forwardedMore>>;
}

/** The lines of `carried`, as routingChanges words them for a request that moved. */
function carriedLines(carried: Iterable<Carried>): SettingChange[] {
  return [...carried].flatMap((c) =>
    forwardedLines(
      `${c.example} (and the like), refused for its letters before, now reaches ${c.to} (read as an origin that changes letters reads it, it reached ${c.from})`,
      c.more,
    ),
  );
}

/**
 * The requests of each service, enforcing in both, that OLD refused for their letters and NEW takes, with who may get
 * in now and could not make the request as an origin that changes letters reads it before: a reading (`/x/cafe`
 * or `/x/café` for `/x/cafe` and U+0301) that no grant of theirs took in OLD, or took on tighter terms; and what it
 * is forwarded with now beyond what such a reading was (headers, upgrades, rate limits). Audit mode in OLD forwarded
 * every reading to everyone; a service turned to audit is the service changes' part. `listed`: a principal already
 * named on the route by the requests that moved to it (diff-routing.ts), not named again.
 */
export function lettersLifted(
  before: Reach,
  after: Reach,
  /** Whether diff-routing.ts listed a principal on a route (route, principal), or a pair of routes (from, to). */
  listed: (a: string, b: string) => boolean = () => false,
): SettingChange[] {
  const candidates = new Set<string>();
  for (const [service, newSettings] of after.settings.services) {
    const oldSettings = before.settings.services.get(service);
    if (oldSettings?.mode === "enforce" && newSettings.mode === "enforce") candidates.add(service);
  }
  const [was, now] = [new Routing(before, candidates), new Routing(after, candidates)];
  const changes: SettingChange[] = [];
  const readings = segmentReadings();
  for (const service of [...candidates].sort(compare)) {
    const [oldRoutes, newRoutes] = [was.byService.get(service) ?? [], now.byService.get(service) ?? []];
    const [oldSettings, newSettings] = [before, after].map((r) => r.settings.services.get(service)!) as [
      ServiceSettings,
      ServiceSettings,
    ];
    const [oldCase, newCase] = [oldSettings.caseInsensitivePaths, newSettings.caseInsensitivePaths];
    // Which requests are refused for their letters depends on the routes' patterns and methods and on the case
    // setting alone: a service that kept them refuses the same ones.
    const changed = changedRoutes(oldRoutes, newRoutes);
    if (oldCase === newCase && changed.length === 0) continue;
    const patterns = [...oldRoutes, ...newRoutes].map((r) => r.tokens);
    const found = new Map<string, { example: string; principals: Set<string> }>();
    const carried = new Map<string, Carried>();
    for (const written of representativePaths(patterns, readings))
      for (const segments of withTwins(written)) {
        const wild = segments.map((segment) => NOT_ASCII.test(segment));
        if (!wild.includes(true)) continue; // nothing an origin reads otherwise: never refused so
        // Decided alike in both unless a route one of them lacks may match it as written or as spelt (the readings
        // change only the segments beyond ASCII, `wild`): only those are read further (a service of thousands of
        // routes has thousands of paths, few near the change).
        if (oldCase === newCase && !changed.some((r) => patternMatches(r.tokens, segments, wild))) continue;
        const old = view(oldRoutes, segments, oldCase);
        if (old.spellings.length === 0) continue;
        const fresh = view(newRoutes, segments, newCase);
        const readingRefused = refusedReadings(oldRoutes, old, oldCase);
        for (const method of METHODS) {
          if (!refused(old, method) || refused(fresh, method)) continue;
          const to = chooseRoute(fresh.written, method)?.info;
          if (!to) continue; // no route takes it: refused still
          const example = `${method} /${encodeURI(segments.join("/"))}`;
          const granted = now.grantsOn(to, method);
          // Each reading's route in OLD (none: nobody made that request), compared as a moved request is.
          const froms = old.bySpelling.map((routes) => chooseRoute(routes, method)?.info);
          const gaining = [...granted].filter(([principal, grants]) => {
            if (listed(to.route, principal)) return false;
            const newDenies = now.deniesAt(grants, segments, method, newCase);
            return froms.some((from, k) => {
              if (!from && readingRefused(k, method)) return false;
              const had = (from && was.grantsOn(from, method).get(principal)) ?? [];
              if (had.length === 0) return true;
              return looser(had, grants, was.deniesAt(had, old.spellings[k]!, method, oldCase), newDenies);
            });
          });
          if (gaining.length > 0) {
            let entry = found.get(to.route);
            if (!entry) found.set(to.route, (entry = { example, principals: new Set() }));
            for (const [principal] of gaining) entry.principals.add(principal);
          }
          for (const from of froms) {
            // The same route's own settings are the per-route comparison's part.
            if (!from || from.route === to.route || carried.has(`${from.route} ${to.route}`)) continue;
            if (listed(from.route, to.route)) continue; // the requests that moved between them said it
            const more = forwardedMore(oldSettings, newSettings, from, to, method, granted, was.grantsOn(from, method));
            if (more) carried.set(`${from.route} ${to.route}`, { example, from: from.route, to: to.route, more });
          }
        }
      }
    for (const [route, { example, principals }] of [...found].sort(([a], [b]) => compare(a, b)))
      changes.push({
        kind: "route",
        change: `${example} (and the like) was refused for its letters (path-letters-ambiguous: an origin that changes letters reads it as another route's path) and now reaches ${route}: may let in ${[...principals].sort(compare).join(", ")}`,
        widens: true,
      });
    changes.push(...carriedLines([...carried.values()].sort((a, b) => compare(a.to, b.to) || compare(a.from, b.from))));
  }
  return changes;
}
