// The isolate's caches (verified tokens, parsed certificates, assertions, rate-limit leases, ...) are Maps
// bounded by count. A Map iterates in insertion order, so the first key is the one set longest ago.

/** Sets `key` as the newest entry, first dropping the oldest when the map already holds `limit` others. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  if (map.size >= limit) map.delete(map.keys().next().value!);
  map.set(key, value);
}
