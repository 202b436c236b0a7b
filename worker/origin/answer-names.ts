// The header names of the origin's answer, read once. Ward looks at a dozen names in every answer (the hop-by-hop
// fields, Set-Cookie, Location, Refresh, Content-Location, Link) and each look is a call into the runtime, while
// most answers hold two or three headers and none of those: one pass over the names, and a look only at a name
// that is there (docs/performance.md).

/** The names `headers` holds, in lower case as the runtime gives them (Set-Cookie once, however many). */
export function answerNames(headers: Headers): Set<string> {
  return new Set(headers.keys());
}

/** Deletes `name` from `headers` when the answer holds it, and forgets it. */
export function dropPresent(headers: Headers, present: Set<string>, name: string): void {
  if (present.delete(name)) headers.delete(name);
}
