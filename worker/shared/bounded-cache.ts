// The isolate's caches (verified tokens, parsed certificates, assertions, rate-limit leases, ...) are Maps
// bounded by count. A Map iterates in insertion order, so the first key is the one set longest ago, or, where
// reads go through usedBounded, the one used longest ago.

/** Sets `key` as the newest entry, first dropping the oldest when the map already holds `limit` others. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  if (map.size >= limit) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * `key`'s value, made the newest entry (one delete and one set): setBounded then drops the entry used longest
 * ago, not a busy one set long ago, when many other keys come (a caller touching a key per address).
 */
export function usedBounded<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

/**
 * A cache bounded by count and by characters: where a caller chooses how long each entry is (tokens of up to
 * 8 KiB, URLs), a count alone would let a few thousand long entries keep ~100 MB alive, near the isolate's
 * 128 MB. Each entry's size is its key's length plus what the caller counts for its value; past either bound
 * the oldest entries go first.
 */
export class SizedCache<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private characters = 0;
  private readonly limit: number;
  private readonly maxCharacters: number;

  constructor(limit: number, maxCharacters: number) {
    this.limit = limit;
    this.maxCharacters = maxCharacters;
  }

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.characters -= entry.size;
  }

  /** Sets `key` as the newest entry; `valueSize`: the characters its value holds beyond the key. */
  set(key: string, value: V, valueSize = 0): void {
    this.delete(key);
    const size = key.length + valueSize;
    if (size > this.maxCharacters) return;
    for (const [oldest, old] of this.entries) {
      if (this.entries.size < this.limit && this.characters + size <= this.maxCharacters) break;
      this.entries.delete(oldest);
      this.characters -= old.size;
    }
    this.entries.set(key, { value, size });
    this.characters += size;
  }

  /** Entries and characters held, for tests. */
  get held(): { entries: number; characters: number } {
    return { entries: this.entries.size, characters: this.characters };
  }
}
