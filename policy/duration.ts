const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "30m" -> 1800. The schema guarantees the form. */
export function durationSeconds(text: string): number {
  const unit = text.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(text.slice(0, -1)) * UNIT_SECONDS[unit];
}
