// Every list reach prints is sorted by these, so the same policy gives the same bytes.

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The values in first-seen order, each once. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
