// How deep and how many: a bound on JSON a caller or a trusted issuer hands Ward (a SET's subject, a workload
// token's claims), checked without recursion before anything walks it recursively (canonicalJson, the claims
// matchers) or keeps it (the verified-token cache), whatever its nesting.

/**
 * The number of values in `value` (itself, and every member and element within it), or undefined when objects
 * and arrays nest deeper than `maxDepth` or the count passes `maxValues`.
 */
export function valuesWithin(value: unknown, maxDepth: number, maxValues: number): number | undefined {
  let values = 0;
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (++values > maxValues) return undefined;
    const [v, depth] = next;
    if (v === null || typeof v !== "object") continue;
    if (depth >= maxDepth) return undefined;
    for (const member of Object.values(v)) pending.push([member, depth + 1]);
  }
  return values;
}
