// An instant written in a policy or an admin body (RFC 3339 as the schema takes it: seconds, any number of
// fraction digits, `Z` or `±hh:mm`), as the whole millisecond Ward compares a request's time with.
import * as z from "zod";

/** The text of an instant as Ward takes one (RFC 3339: a real date and time, seconds, `Z` or `±hh:mm`). */
export const isoInstant = z.iso.datetime({ offset: true });

/**
 * Milliseconds since the epoch, rounded up to the next whole millisecond when the fraction has more than three
 * digits. A request's time is a whole millisecond, so `now >= instantMs(notBefore)` and `now < instantMs(notAfter)`
 * are the exact comparisons an inclusive and an exclusive end ask for (`09:00:00.0005Z` ends at `.001`, not
 * `.000`, where a request at `.000` is still before it).
 *
 * The fraction is read here, not by Date.parse: V8 reads three digits exactly, cuts four to nine to three, and
 * reads ten or more as something else altogether (`.0500000000` as 500 ms, `.00999999999` as 999 ms), which
 * moved an instant by up to a second and turned an empty window into one of most of a second. NaN for text that
 * is no instant.
 */
export function instantMs(text: string): number {
  // Only a seconds fraction: a `.` elsewhere (`17.30:00`, a CLI flag's typo) is no instant, as Date.parse says.
  const fraction = /(?<=:\d{2}:\d{2})\.([0-9]+)(?=$|[zZ]|[+-]\d{2}:?\d{2}$)/.exec(text);
  if (fraction === null) return /\.\d/.test(text) ? Number.NaN : Date.parse(text);
  const digits = fraction[1]!;
  const whole = Date.parse(text.slice(0, fraction.index) + text.slice(fraction.index + fraction[0].length));
  const ms = Number(digits.slice(0, 3).padEnd(3, "0"));
  return whole + ms + (/[1-9]/.test(digits.slice(3)) ? 1 : 0);
}
