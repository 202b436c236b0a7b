// Generated cases for the request-target differential through the gateway (target-differential.test.ts): small
// random policies whose routes allow or deny everyone (prefixes, exact paths, templates, as the evaluate oracle's
// generator writes them), and requests to them whose paths are spelt the ways origins and proxies read two ways:
// encoded letters, dot segments in every spelling, doubled, encoded and back slashes, `;` parameters, trailing
// dots and spaces, format suffixes, PATH_INFO, case and Unicode look-alikes, and an allowed route's path walked
// out of with `..` into a denied one (and, now and then, into one that allows).
import {
  chance,
  genMethods,
  genPattern,
  int,
  pick,
  type GenPolicy,
  type GenRoute,
  type GenService,
  type Random,
  documentText,
} from "../../unit/oracle/random-policy.ts";
import { fill, genMethod } from "../../unit/oracle/random-request.ts";

export const HOST_SUFFIX = "gen.test";
const EVERYONE = [{ public: true as const }];

function genService(r: Random, name: string): GenService {
  const caseInsensitive = chance(r, 0.3);
  const routes: GenRoute[] = Array.from({ length: 2 + int(r, 6) }, (_, i) => ({
    id: `route${i}`,
    methods: genMethods(r),
    ...genPattern(r, caseInsensitive),
    rules: Array.from({ length: 1 + int(r, 2) }, (_, k) => {
      const deny = chance(r, 0.45);
      // A deny rule on trial forwards what it would refuse: only enforced ones must keep a path from the origin.
      const trial = deny && chance(r, 0.1);
      return {
        id: `r${k}`,
        effect: deny ? "deny" : "allow",
        ...(trial ? { mode: "audit" } : {}),
        principals: EVERYONE,
      };
    }),
  }));
  return {
    name,
    hosts: [`${name}.${HOST_SUFFIX}`],
    ...(chance(r, 0.2) ? { hide: true } : {}),
    ...(caseInsensitive ? { caseInsensitivePaths: true } : {}),
    routes,
  };
}

/** Services s0..s{n-1}, each a small random policy of its own. */
export function genTargetPolicy(r: Random, services: number): GenPolicy {
  return { sets: {}, services: Array.from({ length: services }, (_, i) => genService(r, `s${i}`)) };
}

/** The policy's text, for the Worker under test (environment `dev`), forwarding to the recording origin (WIKI). */
export function policyText(g: GenPolicy): string {
  const doc = JSON.parse(documentText(g)) as {
    metadata: { environment: string };
    services: Record<string, { origin: unknown }>;
  };
  doc.metadata.environment = "dev";
  for (const service of Object.values(doc.services)) service.origin = { tunnel: "WIKI" };
  return JSON.stringify(doc);
}

/** One character percent-encoded as UTF-8, its hex in either case. */
function percentEncoded(r: Random, ch: string): string {
  const hex = [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  return chance(r, 0.5) ? hex.toUpperCase() : hex;
}

const FULLWIDTH: Record<string, string> = { ".": "．", "/": "／", a: "ａ" };

/** An ASCII letter spelt as one an origin folds back to it: fullwidth, or with a combining accent. */
function foldsBack(r: Random, c: string): string {
  return chance(r, 0.5) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : `${c}${pick(r, ["\u0301", "\u0304"])}`;
}

/** A decoded segment spelt raw: some characters escaped, raw non-ASCII, NFD, a look-alike, a changed case. */
function spellSegment(r: Random, segment: string): string {
  let s = segment;
  if (chance(r, 0.06)) s = s.toUpperCase();
  if (chance(r, 0.04)) s = s.normalize("NFD");
  if (chance(r, 0.03)) s = s.replace(/[./a]/, (c) => FULLWIDTH[c]!);
  if (chance(r, 0.02)) s = s.replace(/k/i, "\u212a");
  // A letter an origin may fold back: fullwidth, or with a combining accent (docs: "Letters an origin may fold").
  if (chance(r, 0.06)) s = s.replace(/[a-z]/i, (c) => foldsBack(r, c));
  let out = "";
  for (const ch of s) {
    const k = r();
    if (/[A-Za-z0-9._~-]/.test(ch)) out += k < 0.08 ? percentEncoded(r, ch) : ch;
    else if (ch === " ") out += k < 0.1 ? " " : k < 0.2 ? "+" : percentEncoded(r, ch);
    else out += k < 0.3 ? ch : percentEncoded(r, ch);
  }
  // A suffix a segment must not end with, or one a server cuts off.
  if (chance(r, 0.05)) out += pick(r, [".", "%20", "%2e", ";x=1", "%3B", "..", " ", "::$DATA"]);
  // A space a segment must not start with (Spring MVC before 4.3 trims it: CVE-2016-5007).
  if (chance(r, 0.04)) out = `${pick(r, ["%20", " "])}${out}`;
  return out;
}

/** A separator between segments: mostly `/`, sometimes what some reader takes for one. */
function separator(r: Random): string {
  if (chance(r, 0.92)) return "/";
  return pick(r, [
    "//",
    "\\",
    "%2F",
    "%2f",
    "%5C",
    "/./",
    "/%2e/",
    "/x/../",
    "/x/%2e%2e/",
    "/x/.%2e/",
    "/%2E%2E/",
    "／",
  ]);
}

/** The raw path for decoded segments, spelt by the rules above. */
export function spellPath(r: Random, segments: readonly string[]): string {
  let path = "";
  segments.forEach((segment, i) => {
    path += i === 0 ? (chance(r, 0.03) ? pick(r, ["//", "\\", "/./", "/%2e/"]) : "/") : separator(r);
    path += spellSegment(r, segment);
  });
  return path === "" ? "/" : path;
}

export interface TargetCase {
  service: GenService;
  /** The service's host, spelt as a client may: upper case, a trailing dot, a port. */
  host: string;
  method: string;
  /** The path as sent, raw; the query (a marker) is added when it is sent. */
  path: string;
  /** Sent as bare workerd hands it over (raw) or through the WHATWG parser (as `ward dev` and a normalising edge). */
  raw: boolean;
}

/** The decoded segments of a request a route takes (its pattern filled in), with a suffix or PATH_INFO at times. */
function segmentsFor(r: Random, route: GenRoute): string[] {
  const segs = fill(r, route.path ?? route.pathPrefix!, route.path === undefined);
  const trailing = segs.length > 1 && segs.at(-1) === "";
  if (trailing) segs.pop();
  if (segs.at(-1) !== "" && chance(r, 0.12)) segs[segs.length - 1] += pick(r, [".json", ".v2.html", ".php"]);
  if (chance(r, 0.06)) segs.push(pick(r, ["x", "admin", "a"]));
  if (trailing !== chance(r, 0.15) && segs.join("") !== "") segs.push("");
  return segs;
}

/** The methods a Request keeps as they are. */
const STANDARD_METHOD = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/;

/** Whether every caller is let through the route: an allow rule, and no deny rule enforced. */
function allowsEveryone(route: GenRoute): boolean {
  return (
    route.rules.some((rule) => rule.effect === "allow") &&
    !route.rules.some((rule) => rule.effect === "deny" && rule.mode !== "audit")
  );
}

/**
 * A route's path walked out of by exactly its own segments into a route that lets everyone through, sent through
 * the WHATWG parser (which resolves the walk, as a normalising edge does): the walks that reach the origin, so that
 * a run has some whatever its seed. None when the policy lets no one through anywhere.
 */
function walkIntoAllowed(r: Random, g: GenPolicy): TargetCase | undefined {
  const services = g.services.filter((s) => s.routes.some(allowsEveryone));
  if (services.length === 0) return undefined;
  const service = pick(r, services);
  const target = pick(r, service.routes.filter(allowsEveryone));
  const from = segmentsFor(r, pick(r, service.routes)).filter((x) => x !== "");
  const climb = from.map(() => pick(r, ["..", "%2e%2e", ".%2E", "%2E."]));
  const into = segmentsFor(r, target).map(encodeURIComponent);
  const path = `/${[...from.map(encodeURIComponent), ...climb, ...into].join("/")}`;
  // A method a Request would change or refuse goes raw below, where a walk is refused: not here.
  const method = genMethod(r, target);
  return { service, host: service.hosts[0]!, method: STANDARD_METHOD.test(method) ? method : "GET", path, raw: false };
}

export function genCase(r: Random, g: GenPolicy): TargetCase {
  const walk = chance(r, 0.04) ? walkIntoAllowed(r, g) : undefined;
  if (walk) return walk;
  const service = pick(r, g.services);
  const route = pick(r, service.routes);
  const method = genMethod(r, route);
  let path: string;
  const denied = service.routes.filter((x) => x.rules.some((rule) => rule.effect === "deny" && rule.mode !== "audit"));
  if (denied.length > 0 && chance(r, 0.25)) {
    // Out of an allowed route's path into a denied one's: the gateway must judge the path the origin will serve.
    const target = pick(r, denied);
    const into = spellPath(r, segmentsFor(r, target)).replace(/^\/+/, "");
    // Look-alikes too: fullwidth dots and solidus, the two-dot leader (NFKC ".."), best-fit's division slash and yen.
    const out = pick(r, [
      "..",
      "%2e%2e",
      ".%2E",
      "%2E.",
      "..%2f..",
      "..\\..",
      "..;",
      "%2e%2e%2f%2e%2e",
      "\uFF0E\uFF0E",
      "%EF%BC%8E%EF%BC%8E",
      "\u2025",
      "..\uFF0F..",
      "..\u2215..",
      "..%C2%A5..",
    ]);
    const from = spellPath(r, segmentsFor(r, route)).replace(/\/$/, "");
    path = `${from}/${Array.from({ length: 1 + int(r, 3) }, () => out).join("/")}/${into}`;
  } else if (denied.length > 0 && chance(r, 0.15)) {
    // A denied route's path with one letter spelt so that an origin folds it back (`/ａdmin`, `/ādmin`).
    const segments = segmentsFor(r, pick(r, denied));
    const at = segments.findIndex((x) => /[a-z]/i.test(x));
    if (at !== -1) segments[at] = segments[at]!.replace(/[a-z]/i, (c) => foldsBack(r, c));
    path = spellPath(r, segments);
  } else {
    path = spellPath(r, segmentsFor(r, route));
  }
  // A Request normalises `get` to `GET` (and refuses TRACE): a method no client library sends goes raw.
  const raw = chance(r, 0.5) || !STANDARD_METHOD.test(method);
  const host = service.hosts[0]!;
  const spelt = chance(r, 0.8)
    ? host
    : pick(r, [
        host.toUpperCase(),
        `${host}.`,
        `${host}:8443`,
        `${host}.:443`,
        `${host[0]!.toUpperCase()}${host.slice(1)}`,
      ]);
  return { service, host: spelt, method, path, raw };
}
