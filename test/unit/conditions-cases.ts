// Generated cases for the conditions differential (conditions-differential.test.ts): small routes of allow and
// deny rules (some on trial) whose `when` holds days, hours (wrapping ones too), notBefore/notAfter instants
// written with offsets and fractions, and countries; request instants on and next to every edge those name, and
// countries Cloudflare writes and does not; client addresses spelt every way RFC 4291 allows, and hostile
// header values (lists, brackets, ports, spaces, zone ids, leading zeros, other radixes).
import { chance, int, pick, type Random } from "./oracle/random-policy.ts";
import { DAYS, type Day, type GenCondRule, type GenWhen, instantNanos } from "./conditions-oracle.ts";

export const SERVICE = "app";
export const ROUTE = "r";
export const HOST = "app.example.com";
export const ANN = "ann@example.com";

/** Around 2026-03: every instant the cases use is within a few weeks of it. */
const BASE = Date.UTC(2026, 2, 2, 0, 0, 0);
const DAY = 86_400_000;

// T1 (Tor) is written in requests; policies listing it are the test's own case ("a code like any other").
const COUNTRIES = ["DE", "KP", "IR", "US", "FR"];
const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const hhmm = (m: number) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;

/** An instant's text for `ms` (plus `extraNanos` below a millisecond), in a random offset and precision. */
function instantText(r: Random, ms: number, extraNanos: number): string {
  const offsetMin = pick(r, [0, 0, 60, -300, 330, 540, -720, 840, 59]);
  const local = new Date(ms + offsetMin * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const clock = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const nanos = (ms % 1000) * 1_000_000 + extraNanos;
  let fraction = "";
  if (nanos > 0 || chance(r, 0.3)) {
    const digits = nanos % 1_000_000 !== 0 ? 9 : pick(r, [3, 3, 6, 9, 1]);
    fraction = `.${pad(nanos, 9).slice(0, digits)}`;
    if (pad(nanos, 9).slice(digits).replace(/0/g, "") !== "") fraction = `.${pad(nanos, 9)}`;
  }
  const offset =
    offsetMin === 0 && chance(r, 0.7)
      ? "Z"
      : `${offsetMin < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${date}T${clock}${fraction}${offset}`;
}

function genWhen(r: Random): GenWhen | undefined {
  if (chance(r, 0.1)) return undefined;
  const when: GenWhen = {};
  const time: NonNullable<GenWhen["time"]> = {};
  if (chance(r, 0.35)) time.days = DAYS.filter(() => chance(r, 0.4)) as Day[];
  if (time.days?.length === 0) time.days = [pick(r, DAYS)];
  if (chance(r, 0.45)) {
    const from = int(r, 24 * 60);
    let to = chance(r, 0.15) ? 24 * 60 : int(r, 24 * 60);
    if (to === from) to = (from + 1 + int(r, 600)) % (24 * 60);
    time.hours = { from: hhmm(from), to: hhmm(to) };
  }
  if (chance(r, 0.4)) {
    const a = BASE + int(r, 14 * DAY) + pick(r, [0, 0, int(r, 1000), int(r, 60_000)]);
    const b = a + pick(r, [1, 999, 1000, DAY, int(r, 7 * DAY) + 1]);
    const sub = () => (chance(r, 0.25) ? 1 + int(r, 999_999) : 0);
    const nb = instantText(r, a, sub());
    const na = instantText(r, b, sub());
    // A window that holds a whole millisecond (a request's time is one); validate refuses one that holds none.
    const ceilMs = (n: bigint) => (n + 999_999n) / 1_000_000n;
    const both = ceilMs(instantNanos(nb)) < ceilMs(instantNanos(na));
    if (chance(r, 0.6) || !both) time.notBefore = nb;
    if (both && (chance(r, 0.6) || !time.notBefore)) time.notAfter = na;
    if (!both) delete time.notAfter;
  }
  if (Object.keys(time).length > 0) when.time = time;
  if (chance(r, 0.45)) when.country = COUNTRIES.filter(() => chance(r, 0.35));
  if (when.country?.length === 0) when.country = [pick(r, COUNTRIES)];
  return when;
}

export function genRules(r: Random): GenCondRule[] {
  return Array.from({ length: 1 + int(r, 4) }, (_, k) => {
    const deny = chance(r, 0.45);
    const rule: GenCondRule = {
      id: `r${k}`,
      effect: deny ? "deny" : "allow",
      ...(deny && chance(r, 0.15) ? { mode: "audit" as const } : {}),
      principals: [chance(r, 0.75) ? { public: true } : { email: ANN }],
    };
    const when = genWhen(r);
    if (when) rule.when = when;
    if (!deny && chance(r, 0.3)) rule.rateLimit = { limit: 10, period: "60s", key: "principal" };
    return rule;
  });
}

export function policyDocument(rules: GenCondRule[]): string {
  return JSON.stringify({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: {
      [SERVICE]: {
        hosts: [HOST],
        origin: { tunnel: "APP" },
        owner: "team@example.com",
        routes: [{ id: ROUTE, methods: ["GET"], pathPrefix: "/", rules }],
      },
    },
  });
}

/** The instants the rules name, in ms, with the millisecond before and after, and a minute's edges. */
function edges(r: Random, rules: GenCondRule[]): number[] {
  const out: number[] = [];
  for (const rule of rules) {
    const t = rule.when?.time;
    if (!t) continue;
    for (const text of [t.notBefore, t.notAfter]) {
      if (!text) continue;
      const ms = Number(instantNanos(text) / 1_000_000n);
      out.push(ms - 1, ms, ms + 1);
    }
    if (t.hours)
      for (const hm of [t.hours.from, t.hours.to]) {
        const m = Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
        const day = BASE + DAY * int(r, 14);
        out.push(day + m * 60_000 - 1, day + m * 60_000, day + m * 60_000 + 59_999, day + m * 60_000 + 60_000);
      }
  }
  return out;
}

export function genNow(r: Random, rules: GenCondRule[]): number {
  const near = edges(r, rules);
  if (near.length > 0 && chance(r, 0.6)) return pick(r, near);
  if (chance(r, 0.2)) return BASE + int(r, 14) * DAY + pick(r, [0, DAY - 1, DAY - 60_000]);
  return BASE + int(r, 14 * DAY);
}

/**
 * A country as evaluate() is given it: the gateway's (and `ward explain`'s) reading of request.cf.country, where
 * Cloudflare's `XX` and an empty or absent one are no country (undefined). Those are the gateway test's.
 */
export function genCountry(r: Random): string | undefined {
  return pick(r, [...COUNTRIES, ...COUNTRIES, "T1", undefined, undefined, "CN", "de", "kp", " KP", "KP ", "ZZ"]);
}

// ---------------------------------------------------------------------------------------------------------
// Client addresses

const hex = (n: number) => n.toString(16);

/** A pool of /64s (a few, so that spellings and hosts of one meet) and IPv4 clients. */
export function genAddressPool(r: Random): { prefixes: number[][]; ipv4: number[][] } {
  const prefixes = Array.from({ length: 6 }, () =>
    pick(r, [
      () => [0x2001, 0xdb8, int(r, 4), int(r, 4)],
      () => [0x2001, 0xdb8, 0, 0],
      () => [0x2a00 + int(r, 256), int(r, 65536), int(r, 65536), int(r, 65536)],
      () => [0xfe80, 0, 0, 0],
      () => [0, 0, 0, 0],
      () => [0x64, 0xff9b, 0, 0],
    ])(),
  );
  const ipv4 = Array.from({ length: 6 }, () => [int(r, 256), int(r, 256), int(r, 4), int(r, 256)]);
  return { prefixes, ipv4 };
}

/** Eight 16-bit words as text: full, leading zeros, upper case, `::` anywhere it may stand, a dotted tail. */
function spellIpv6(r: Random, words: number[]): string {
  let parts = words.map((w) => (chance(r, 0.25) ? hex(w).padStart(4, "0") : hex(w)));
  const dottedTail = chance(r, 0.15);
  let tail = "";
  if (dottedTail) {
    const [a, b] = [words[6]!, words[7]!];
    tail = `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
    parts = parts.slice(0, 6);
  }
  // `::` over one run of zero words (any run, not only the longest: RFC 4291 allows each).
  const zeroRuns: [number, number][] = [];
  for (let i = 0; i < parts.length; i++)
    if (Number.parseInt(parts[i]!, 16) === 0) {
      let j = i;
      while (j < parts.length && Number.parseInt(parts[j]!, 16) === 0) j++;
      zeroRuns.push([i, j]);
      i = j;
    }
  let text: string;
  if (zeroRuns.length > 0 && chance(r, 0.75)) {
    const [i, j] = pick(r, zeroRuns);
    const start = i + int(r, j - i);
    const end = start + 1 + int(r, j - start);
    const head = parts.slice(0, start).join(":");
    const rest = parts.slice(end).join(":");
    text = `${head}::${rest}`;
    if (tail) text = rest === "" ? `${text}${tail}` : `${text}:${tail}`;
  } else text = tail ? `${parts.join(":")}:${tail}` : parts.join(":");
  return chance(r, 0.25) ? text.toUpperCase() : text;
}

/** An ordinary client address from the pool, spelt one of the ways it may be. */
export function genAddress(r: Random, pool: { prefixes: number[][]; ipv4: number[][] }): string {
  if (chance(r, 0.35)) {
    const v4 = pick(r, pool.ipv4);
    const dotted = v4.join(".");
    return pick(r, [
      () => dotted,
      () => dotted,
      () => `::ffff:${dotted}`,
      () => `::FFFF:${dotted}`,
      () => `0:0:0:0:0:ffff:${dotted}`,
      () => `::ffff:${hex((v4[0]! << 8) | v4[1]!)}:${hex((v4[2]! << 8) | v4[3]!)}`,
      () => `0000:0000:0000:0000:0000:FFFF:${dotted}`,
    ])();
  }
  const prefix = pick(r, pool.prefixes);
  const host = pick(r, [
    () => [0, 0, 0, 1],
    () => [0, 0, 0, 0],
    () => [int(r, 65536), int(r, 65536), int(r, 65536), int(r, 65536)],
    () => [0, 0, int(r, 2), int(r, 65536)],
    () => [0x200, 0x5efe, int(r, 65536), int(r, 65536)],
  ])();
  const text = spellIpv6(r, [...prefix, ...host]);
  return chance(r, 0.08) ? `${text}%${pick(r, ["eth0", "1", "25", "en0"])}` : text;
}

/** A header value no edge writes: a list, a port, brackets, spaces, another radix, leading zeros. */
export function genHostileAddress(r: Random, pool: { prefixes: number[][]; ipv4: number[][] }): string {
  const a = genAddress(r, pool);
  const b = genAddress(r, pool);
  const v4 = pick(r, pool.ipv4);
  return pick(r, [
    () => `${a}, ${b}`,
    () => `${a},${b}`,
    () => `[${a}]`,
    () => `[${a}]:443`,
    () => `${v4.join(".")}:8080`,
    () => ` ${a}`,
    () => `${a} `,
    () => `${a}\t`,
    () => v4.map((o) => pad(o, 3)).join("."),
    () => `0${v4.join(".")}`,
    () => v4.map((o) => `0x${hex(o)}`).join("."),
    () => String(((v4[0]! << 24) >>> 0) + (v4[1]! << 16) + (v4[2]! << 8) + v4[3]!),
    () => `${v4.join(".")}.`,
    () => v4.join(".").replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))),
    () => "unknown",
    () => "",
    () => `${a}%`,
    () => `::ffff:${v4.map((o) => pad(o, 3)).join(".")}`,
    () => `${a}/64`,
    () => `${a};`,
  ])();
}
