// The Worker's numeric settings (wrangler.toml `[vars]`) and how the Worker reads each: one reader for the
// Worker and for `ward doctor`, which says where a value is not read as written. A var may be a string
// (`"5"`) or, written unquoted, a number (wrangler passes `5` on as JSON); anything else, a blank string, a
// value that is no number, a negative one, or 0 where 0 means nothing, is read as the fallback, and a value past
// a bound as the bound.
import {
  DEFAULT_CHECK_SECONDS,
  MAX_BYTES_PER_SECOND_LIMIT,
  MAX_CHECK_SECONDS,
  MAX_IDLE_SECONDS,
  MAX_MESSAGE_BYTES_LIMIT,
  MIN_CHECK_SECONDS,
} from "./websocket/limits.ts";

export interface NumericSetting {
  /** What an unset or unusable value is read as; undefined: unset (the route's own, or the default it has). */
  fallback: number | undefined;
  /** Whether 0 is a value: an interval of 0 re-reads on every request; a timeout or a limit of 0 is none. */
  zero: boolean;
  min?: number;
  max?: number;
  unit: string;
}

/** The longest delay a timer takes: past 2^31 - 1 ms it fires at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const NUMERIC_SETTINGS = {
  // Unbounded, an interval of 1e9 meant a warm isolate never checked again: a push or rollback that withdrew
  // access never applied there. At most as long as the denylist's copy may serve (worker/denylist/cache.ts).
  POLICY_REFRESH_SECONDS: { fallback: 5, zero: false, max: 60, unit: "s" },
  ORIGIN_TIMEOUT_MS: { fallback: 30_000, zero: false, max: LONGEST_TIMER_MS, unit: "ms" },
  // A grants copy older than 30 s is not honoured: a longer interval would leave every grant unusable for most of it.
  GRANTS_REFRESH_SECONDS: { fallback: 2, zero: true, max: 15, unit: "s" },
  // A denylist copy older than a minute does not count (worker/denylist/cache.ts): at most half of that, so a busy
  // isolate refreshes in the background, with time for a retry, before its copy stops counting and requests wait.
  DENYLIST_REFRESH_SECONDS: { fallback: 2, zero: true, max: 30, unit: "s" },
  // websocket/limits.ts says why these bounds.
  WEBSOCKET_CHECK_SECONDS: {
    fallback: DEFAULT_CHECK_SECONDS,
    zero: false,
    min: MIN_CHECK_SECONDS,
    max: MAX_CHECK_SECONDS,
    unit: "s",
  },
  // Unset, a route's own limit applies, else websocket/limits.ts's default; the caps are its too.
  WEBSOCKET_MAX_MESSAGE_BYTES: { fallback: undefined, zero: false, max: MAX_MESSAGE_BYTES_LIMIT, unit: "bytes" },
  WEBSOCKET_MAX_BYTES_PER_SECOND: {
    fallback: undefined,
    zero: false,
    max: MAX_BYTES_PER_SECOND_LIMIT,
    unit: "bytes a second",
  },
  WEBSOCKET_IDLE_SECONDS: { fallback: undefined, zero: false, max: MAX_IDLE_SECONDS, unit: "s" },
} as const satisfies Readonly<Record<string, NumericSetting>>;

export type NumericSettingName = keyof typeof NUMERIC_SETTINGS;

/** The number a var's value states, or NaN: a number, or a string that is one (blank is none). */
export function statedNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return Number.NaN;
}

/** A setting's value as the Worker uses it. */
export function readSetting(name: NumericSettingName, value: unknown): number | undefined {
  const setting: NumericSetting = NUMERIC_SETTINGS[name];
  const n = statedNumber(value);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !setting.zero)) return setting.fallback;
  return Math.min(Math.max(n, setting.min ?? n), setting.max ?? n);
}

/** What a setting takes, for doctor's message: `a number from 0.05 to 60 (s)`, `a number above 0 (s)`. */
export function settingRule(name: NumericSettingName): string {
  const setting: NumericSetting = NUMERIC_SETTINGS[name];
  const from = setting.min !== undefined ? `from ${setting.min}` : setting.zero ? "from 0" : "above 0";
  const to = setting.max !== undefined ? ` to ${setting.max}` : "";
  return `a number ${from}${to} (${setting.unit})`;
}
