// How common origins read the request target they are sent (the recording origin's `req.url`, as it came on the
// wire): for the request-target differential (target-differential.test.ts), each reading is the path's decoded
// segments, or undefined when that reader would not serve the request at all.

import { foldedReading } from "../../unit/oracle/target.ts";

/** Percent-decoded as UTF-8, strictly (a reader that meets invalid UTF-8 answers 400). */
function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** RFC 3986 §5.2.4 on decoded segments: `.` dropped, `..` drops the one before (never past the root). */
function removeDots(segments: readonly string[]): string[] {
  const out: string[] = [];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "." || segment === "..") {
      if (segment === ".." && out.length > 0) out.pop();
      // A dot segment at the end leaves the directory it names: a trailing slash.
      if (last) out.push("");
    } else out.push(segment);
  });
  return out.length === 0 ? [""] : out;
}

/**
 * Node and Express: the WHATWG URL parser on the target (dot segments, also `%2e`, removed; `\` is `/`), then each
 * segment percent-decoded, as Express decodes `req.params` and most routers compare paths.
 */
export function whatwgReading(target: string): string[] | undefined {
  const pathname = new URL(target, "http://origin.internal").pathname;
  const segments = pathname.slice(1).split("/").map(decode);
  return segments.every((s) => s !== undefined) ? (segments as string[]) : undefined;
}

/**
 * nginx (and servers like it): the path percent-decoded first, then successive slashes merged (`merge_slashes on`,
 * the default) and dot segments resolved on the decoded path, so `%2F` separates and `%2e%2e` climbs.
 */
export function nginxReading(target: string): string[] | undefined {
  const query = target.indexOf("?");
  const decoded = decode(query === -1 ? target : target.slice(0, query));
  if (decoded === undefined || !decoded.startsWith("/")) return undefined;
  const merged = decoded.replace(/\/{2,}/g, "/");
  return removeDots(merged.slice(1).split("/"));
}

/**
 * Tomcat and servlet containers: `;` path parameters cut from each segment (`/admin;x=1` is `/admin`), then the path
 * decoded and normalised as nginx does.
 */
export function tomcatReading(target: string): string[] | undefined {
  const query = target.indexOf("?");
  const path = query === -1 ? target : target.slice(0, query);
  return nginxReading(path.replace(/;[^/]*/g, ""));
}

/**
 * Spring MVC before 4.3, as Tomcat hands it the path: AntPathMatcher's `trimTokens` (CVE-2016-5007) drops what Java's
 * String.trim drops (every character up to U+0020) at both ends of each segment, so `/%20admin` is `/admin`.
 */
export function springReading(target: string): string[] | undefined {
  return tomcatReading(target)?.map((segment) => segment.replace(/^[\0- ]+|[\0- ]+$/g, ""));
}

/**
 * IIS and anything mapping paths to Windows file names: decoded, `\` as `/`, successive slashes merged, dot segments
 * resolved, and each segment's trailing dots and spaces dropped (`/admin.` is `/admin`).
 */
export function iisReading(target: string): string[] | undefined {
  const query = target.indexOf("?");
  const decoded = decode(query === -1 ? target : target.slice(0, query));
  if (decoded === undefined || !/^[/\\]/.test(decoded)) return undefined;
  const merged = decoded.replace(/\\/g, "/").replace(/\/{2,}/g, "/");
  return removeDots(merged.slice(1).split("/")).map((segment) => segment.replace(/[. ]+$/, ""));
}

/**
 * A router that normalises Unicode (NFKC, as Python's, Java's and .NET's normalisers do) before it maps the path, or
 * Windows' best-fit conversion to an ANSI code page: decoded, then `／` is `/`, `．` is `.`, `‥` is `..`, `？` is `?`,
 * an ideographic space a space (and so on), `∕` and `⁄` are `/`, `∖`, `⧵` and the yen and won signs `\`; letters as
 * docs/policy.md's "Letters an origin may fold" has them (fullwidth `ａ` as `a`, `ā` as `a`: each segment read by
 * the target oracle's foldedReading); then read as IIS reads it (which ends the path at a `?`).
 */
export function normalisingReading(target: string): string[] | undefined {
  const query = target.indexOf("?");
  const decoded = decode(query === -1 ? target : target.slice(0, query));
  if (decoded === undefined) return undefined;
  let separated = "";
  for (const ch of decoded) separated += "∕⁄".includes(ch) ? "/" : "∖⧵¥₩".includes(ch) ? "\\" : ch;
  const folded = separated.split("/").map(foldedReading).join("/");
  return iisReading(encodeURI(folded));
}

export const READINGS = {
  whatwg: whatwgReading,
  nginx: nginxReading,
  tomcat: tomcatReading,
  spring: springReading,
  iis: iisReading,
  normalising: normalisingReading,
} as const;
