// How old a device-posture result may be and still count. Access's get-identity reports each check with the
// `timestamp` of its last evaluation (by the WARP client on the check's `schedule`, or by a posture provider), and
// keeps a result until new data overwrites it unless the check sets an `expiration`: a laptop that passed
// `disk-encryption` last week and has not reported since is still "passed" there. Ward takes a result as current
// only while its timestamp is an instant no older than identity.access.maxPostureAge at the request's time (the
// answer is reused for a while, and a WebSocket is decided again for hours: the age is the request's to judge, not
// the lookup's), and not ahead of the request by more than a clock's difference. Otherwise the check is unknown,
// exactly as one the answer does not report: it fails in an allow rule and holds in a deny rule (conditions.ts).
//
// A check's own `schedule` is not read for its bound: the API calls it the WARP client's polling frequency
// (default `5m`, at least `1m`), names no form for it, and a provider's check is refreshed on its integration's
// interval instead. One bound the operator sets, above the longest schedule they use, is what is documented.
import { durationSeconds } from "./duration.ts";
import { instantMs, isoInstant } from "./instant.ts";

/**
 * The longest schedule Cloudflare's examples give a check (`24h`), plus an hour for a device's report to arrive
 * and the answer's reuse (5 minutes): a healthy device on any such schedule is never stale by default.
 */
export const DEFAULT_MAX_POSTURE_AGE = "25h";
/** The shortest schedule Access takes: a bound below it makes every healthy device's results stale between checks. */
export const MIN_MAX_POSTURE_AGE = "1m";
export const MIN_MAX_POSTURE_AGE_SECONDS = durationSeconds(MIN_MAX_POSTURE_AGE);
/** A month, as the token limits (access-limits.ts): older posture says nothing of a device worth deciding by. */
export const MAX_MAX_POSTURE_AGE = "730h";
export const MAX_MAX_POSTURE_AGE_SECONDS = durationSeconds(MAX_MAX_POSTURE_AGE);
/** How far ahead of the request a timestamp may be: Access's clock and the Worker's differ a little (as for tokens). */
export const POSTURE_CLOCK_SKEW_MS = 30_000;

/** A check's result as get-identity reported it: passed or not, and when it was evaluated (ms since the epoch). */
export interface PostureResult {
  success: boolean;
  at: number;
}

/** A check's `timestamp` as an instant (ms), or NaN when it is none: not a string, not RFC 3339, no real date. */
export function postureInstant(timestamp: unknown): number {
  return typeof timestamp === "string" && isoInstant.safeParse(timestamp).success ? instantMs(timestamp) : Number.NaN;
}

/** Whether a result evaluated at `at` still counts at `now` (NaN: never). */
export const isCurrentPosture = (at: number, now: number, maxAgeMs: number): boolean =>
  now - at <= maxAgeMs && at - now <= POSTURE_CLOCK_SKEW_MS;

/**
 * The results that count at `now`, as conditions read them (check -> passed), and when each was evaluated; and the
 * checks reported with a result too old (or too far ahead) to count, which no rule reads: the person's page says
 * they are stale rather than leave them out, so they know to let their device report again.
 */
export function currentPosture(
  results: Readonly<Record<string, PostureResult>>,
  now: number,
  maxAgeMs: number,
): { devicePosture: Record<string, boolean>; devicePostureAt: Record<string, number>; devicePostureStale: string[] } {
  const devicePosture: Record<string, boolean> = {};
  const devicePostureAt: Record<string, number> = {};
  const devicePostureStale: string[] = [];
  for (const [id, result] of Object.entries(results)) {
    if (!isCurrentPosture(result.at, now, maxAgeMs)) {
      devicePostureStale.push(id);
      continue;
    }
    devicePosture[id] = result.success;
    devicePostureAt[id] = result.at;
  }
  return { devicePosture, devicePostureAt, devicePostureStale };
}
