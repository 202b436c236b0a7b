// An answer Ward forwarded to a caller with an identity was decided for that caller: a shared cache (a
// TLS-inspecting forward proxy, a cache someone puts in front of the gateway) keys on the URL alone, and would
// serve it to the next caller without Ward deciding, one Ward would refuse included. An origin cannot be relied on
// to say so: a static file server's `max-age`, a framework's `public`, or no Cache-Control at all with a
// Last-Modified (heuristic freshness, RFC 9111 §4.2.2) all let a shared cache store it. Ward makes such an answer
// `private` (RFC 9111 §5.2.2.7): the person's own browser caches it as the origin asked, no shared cache does.
import type { Decision } from "../../policy/index.ts";

/** What a shared cache alone reads: dropped once the answer is private. */
const SHARED_ONLY: ReadonlySet<string> = new Set(["public", "s-maxage"]);

/**
 * The directives of a Cache-Control value: split at commas outside quoted strings (`no-cache="a, b"` is one),
 * each trimmed, empty ones left out. Linear: one pass over the value.
 */
export function directives(value: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(value.slice(start));
  return pieces.map((piece) => piece.trim()).filter(Boolean);
}

/** A directive's name, in lower case (`S-MaxAge=60` is `s-maxage`). */
const nameOf = (directive: string): string => directive.split("=", 1)[0]!.trim().toLowerCase();

/** Whether no shared cache may store an answer with these directives: `no-store`, or `private` with no fields. */
const keptFromSharedCaches = (list: readonly string[]): boolean =>
  list.some((d) => {
    const lower = d.toLowerCase();
    return lower === "no-store" || lower === "private";
  });

/**
 * The Cache-Control to send a caller with an identity: the origin's when it keeps the answer from shared caches
 * already, else `private` and the origin's directives but those only shared caches read (`public`, `s-maxage`)
 * and a `private` naming fields (the unqualified one covers the whole answer).
 */
export function privateCacheControl(sent: string | null): string {
  if (sent === null) return "private";
  const list = directives(sent);
  if (keptFromSharedCaches(list)) return sent;
  const kept = list.filter((d) => !SHARED_ONLY.has(nameOf(d)) && nameOf(d) !== "private");
  return ["private", ...kept].join(", ");
}

/**
 * Fields a CDN reads in place of Cache-Control (RFC 9213's CDN-Cache-Control, Cloudflare's own, the older
 * Surrogate-Control): present, the CDN ignores Cache-Control, the `private` above included, and stores the answer
 * for every caller. Dropped from an answer to a caller with an identity.
 */
const TARGETED: readonly string[] = ["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"];

/**
 * Keeps a forwarded answer from shared caches when it was decided for a caller with an identity. An anonymous
 * caller's is left as the origin sent it: anyone may have it by sending no credential.
 * `headers`: those of the copy of the origin's answer, changed in place; `present`: the names they hold.
 */
export function keepFromSharedCaches(headers: Headers, present: Set<string>, decision: Decision): void {
  if (decision.principal === "anonymous") return;
  const sent = present.has("cache-control") ? headers.get("cache-control") : null;
  const kept = privateCacheControl(sent);
  if (kept !== sent) headers.set("cache-control", kept);
  for (const name of TARGETED) if (present.has(name)) headers.delete(name);
}
