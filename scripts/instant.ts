// An instant typed on the command line (--time, --since, --until, --now), read so that it means the same on every
// machine: a date-time with its offset (`Z`, `+01:00`, `+0100`; seconds optional), or a date alone (midnight
// UTC, as ECMAScript reads `2026-03-02`). A date-time without an offset would be read in the machine's time zone,
// and Ward's times are UTC: refused, saying so.
import { instantMs } from "../policy/index.ts";
import { CliError } from "./cli-error.ts";

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})(?![\d])/;

/**
 * Whether the text begins with a day of the calendar. V8's Date.parse rolls 2026-02-30 over into March, where
 * the admin API's check (zod's) refuses it: read here, a typo would reach the server as another real day.
 */
function realDay(value: string): boolean {
  const parts = CALENDAR_DATE.exec(value);
  if (!parts) return false;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Milliseconds since the epoch; a usage error (exit 2) for anything else. */
export function instantFlag(flag: string, value: string): number {
  // The fraction read digit for digit, as the gateway reads it: Date.parse reads `.0500000000` as 500 ms.
  const at = instantMs(value);
  if (!Number.isFinite(at)) throw new CliError(`--${flag} ${value}: expected an ISO 8601 instant`);
  const iso = CALENDAR_DATE.test(value);
  if (iso && !realDay(value)) throw new CliError(`--${flag} ${value}: there is no such day`);
  if (DATE.test(value) || OFFSET.test(value)) {
    if (iso) return at;
    throw new CliError(`--${flag} ${value}: expected an ISO 8601 instant`);
  }
  throw new CliError(`--${flag} ${value}: give the offset (Z for UTC, or +01:00)`);
}
