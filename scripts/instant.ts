// An instant typed on the command line (--time, --since, --until, --now), read so that it means the same on every
// machine: a date-time with its offset (`Z`, `+01:00`, `+0100`; seconds optional), or a date alone (midnight
// UTC, as ECMAScript reads `2026-03-02`). A date-time without an offset would be read in the machine's time zone,
// and Ward's times are UTC: refused, saying so.
import { CliError } from "./cli-error.ts";

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Milliseconds since the epoch; a usage error (exit 2) for anything else. */
export function instantFlag(flag: string, value: string): number {
  const at = Date.parse(value);
  if (Number.isFinite(at) && (DATE.test(value) || OFFSET.test(value))) return at;
  if (Number.isFinite(at)) throw new CliError(`--${flag} ${value}: give the offset (Z for UTC, or +01:00)`);
  throw new CliError(`--${flag} ${value}: expected an ISO 8601 instant`);
}
