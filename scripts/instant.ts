// An instant typed on the command line (--time, --since, --until, --now), read as the policy's instants are
// written (policy/schema.ts): a date-time with `Z` or an offset, or a date alone (midnight UTC). A date-time
// without an offset would be read in the machine's time zone, and Ward's times are UTC: refused, saying so.
import { z } from "zod";
import { CliError } from "./cli-error.ts";

const DATE_TIME = z.iso.datetime({ offset: true });
const DATE = z.iso.date();

/** Milliseconds since the epoch; a usage error (exit 2) for anything else. */
export function instantFlag(flag: string, value: string): number {
  if (DATE_TIME.safeParse(value).success || DATE.safeParse(value).success) return Date.parse(value);
  if (/t/i.test(value) && Number.isFinite(Date.parse(value)))
    throw new CliError(`--${flag} ${value}: give the offset (Z for UTC, or +01:00)`);
  throw new CliError(`--${flag} ${value}: expected an ISO 8601 instant`);
}
