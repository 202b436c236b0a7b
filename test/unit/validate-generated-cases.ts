// The generated half of validate-differential.test.ts's cases: values near each documented bound, drawn from a
// seeded PRNG, hostile spellings among them, each with the oracle's verdict (validate-oracle.ts).
import {
  baseDocument,
  type Case,
  field,
  form,
  pathText,
  ROUTE,
  RULE,
  SERVICE,
  spiffeVerdict,
  workloadIdVerdict,
  str,
  withValue,
} from "./validate-cases.ts";
import {
  ACCEPT,
  duration,
  FORMAT,
  instantMillis,
  isEmail,
  isHost,
  isHours,
  isInstant,
  isMailDomainForm,
  isName,
  isPathPattern,
  isScope,
  refuse,
} from "./validate-oracle.ts";

// ---- random values near each bound -------------------------------------------------------------------------

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const charsOf = (r: () => number, alphabet: string, n: number): string =>
  Array.from({ length: n }, () => pick(r, [...alphabet])).join("");
const HOSTILE = [
  "\u200b",
  "\u00ad",
  "\u202e",
  "\ufeff",
  "\u0085",
  "\u2028",
  " ",
  "\t",
  "%2F",
  "\u212a",
  "A",
  "é",
  "/",
  ".",
];

function mutate(r: () => number, s: string): string {
  const at = int(r, 0, s.length);
  switch (int(r, 0, 3)) {
    case 0:
      return s.slice(0, at) + pick(r, HOSTILE) + s.slice(at);
    case 1:
      return s.slice(0, at) + s.slice(at + 1);
    case 2:
      return s.toUpperCase();
    default:
      return s + pick(r, HOSTILE);
  }
}

function genName(r: () => number): string {
  const n = pick(r, [1, 2, 62, 63, 64, int(r, 3, 40)]);
  const s = charsOf(r, "abcz", 1) + charsOf(r, "az09-", n - 1);
  return r() < 0.3 ? mutate(r, s) : s;
}
function genDuration(r: () => number, max: string): string {
  const unit = pick(r, ["s", "m", "h", "d"]);
  const m = /^(\d+)([smhd])$/.exec(max) as RegExpExecArray;
  const factor: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const maxSec = Number(m[1]) * (factor[m[2] as string] as number);
  const near = Math.floor(maxSec / (factor[unit] as number));
  const n = pick(r, [near, near + 1, near - 1, 1, 0, int(r, 1, near + 2)]);
  const s = pick(r, [
    `${n}${unit}`,
    `0${n}${unit}`,
    `${n}${unit.toUpperCase()}`,
    `${n}.5${unit}`,
    `${n}`,
    `1${unit}1s`,
    `${"9".repeat(int(r, 10, 300))}${unit}`,
  ]);
  return s;
}
function genHost(r: () => number): string {
  const label = () => {
    const n = pick(r, [1, 2, 63, 64, int(r, 3, 12)]);
    return n === 1 ? charsOf(r, "a1", 1) : charsOf(r, "ab", 1) + charsOf(r, "ab0-", n - 2) + charsOf(r, "b9", 1);
  };
  const labels = Array.from({ length: int(r, 2, 4) }, label);
  let host = (r() < 0.2 ? "*." : "") + labels.join(".");
  if (r() < 0.4)
    host = pick(r, [
      mutate(r, host),
      `${host}.`,
      `${host}:443`,
      `-${host}`,
      `${host}-`,
      `a..${host}`,
      `*.*.${host}`,
      `a*.${host}`,
    ]);
  return host;
}
function genSpiffe(r: () => number, prefix: boolean): string {
  const td = pick(r, ["prod.example.com", "_dmarc.example.org", "trust_domain_1.example.org", "a", "x".repeat(255)]);
  const segs = Array.from({ length: int(r, 0, 3) }, () => pick(r, ["ns", "a.b", "-", "_", "..x", "sa", "A-Z_9"]));
  let s = `spiffe://${td}${segs.map((g) => `/${g}`).join("")}`;
  if (prefix && r() < 0.5) s += "/";
  if (r() < 0.5)
    s = pick(r, [
      mutate(r, s),
      `${s}/`,
      `${s}/.`,
      `${s}/..`,
      `${s}:8443`,
      `${s}?q`,
      `${s}%41`,
      `spiffe://${s.slice(9).toUpperCase()}`,
      `SPIFFE://${s.slice(9)}`,
      `${s}//x`,
      `spiffe:///x`,
      `${s}/${"a".repeat(2048 - s.length - 1)}`,
      `${s}/${"a".repeat(2049 - s.length - 1)}`,
    ]);
  return s;
}
function genEmail(r: () => number): string {
  const local = pick(r, [
    "ann",
    "a.b",
    "o'neil",
    "a+b",
    "x".repeat(64),
    "x".repeat(65),
    "a..b",
    ".a",
    "a.",
    '"a"',
    "ann{}",
  ]);
  const host = pick(r, [
    "example.com",
    "eu.example.com",
    "xn--bcher-kva.example",
    `${"a".repeat(63)}.com`,
    `${"a".repeat(64)}.com`,
    "-a.com",
    "a-.com",
    "[192.0.2.1]",
    "example.com.",
    "bücher.example",
    "EXAMPLE.COM",
  ]);
  const s = `${local}@${host}`;
  return r() < 0.25
    ? pick(r, [
        mutate(r, s),
        `${s}@x.com`,
        `<${s}>`,
        `Ann <${s}>`,
        `${local}@${"a".repeat(62)}.${"b".repeat(62)}.${"c".repeat(62)}.${"d".repeat(62)}.com`,
      ])
    : s;
}
function genInstant(r: () => number): string {
  const y = pick(r, ["2026", "2024", "2100", "0000", "9999"]);
  const mo = pick(r, ["01", "02", "12", "13", "00"]);
  const d = pick(r, ["01", "28", "29", "30", "31", "32"]);
  const t = pick(r, ["09:00:00", "23:59:59", "24:00:00", "23:59:60", "23:60:00", "09:00", "9:00:00"]);
  const f = pick(r, ["", "", ".5", ".123456789", "."]);
  const z = pick(r, ["Z", "Z", "+09:00", "-23:59", "+24:00", "+09:60", "+0900", "", "z"]);
  return `${y}-${mo}-${d}T${t}${f}${z}`;
}

const SEGMENTS = [
  "a",
  "v1",
  "{*}",
  "{id}",
  "{_x9}",
  "{**}",
  "",
  ".",
  "..",
  "...",
  ".a",
  "a.",
  "a*",
  "*",
  "{a-b}",
  "a{*}",
  "{*}a",
  "{}",
  "{{x}}",
  "%41",
  "a;b",
  "a?b",
  "a#b",
  "a\\b",
  "~",
  "caf\u00e9",
  "my report",
  "a\u0001",
  "a\u0085",
  "\u00a0",
  ".ward",
  ".well-known",
  // Refused in every request (a trailing no-break space, a fullwidth solidus, NFKC's fraction slash that best-fit
  // reads as '/'): `ward schema` took them (validate-differential.test.ts).
  "a\u00a0",
  "a\uff0fb",
  "\u00bd",
  "a\u3000",
  "ward",
  "Admin",
];
function genPath(r: () => number): string {
  const n = int(r, 0, 4);
  const path = `/${Array.from({ length: n }, () => pick(r, SEGMENTS)).join("/")}`;
  return r() < 0.1 ? path.slice(1) : path;
}
/** An emailDomain near its form: labels with hyphens at their ends, upper case, 63 and 64 long, one label. */
function genMailDomain(r: () => number): string {
  const label = () => {
    const n = pick(r, [1, 63, 64, int(r, 2, 8)]);
    return charsOf(r, "a-", 1) + charsOf(r, "az09-", Math.max(n - 2, 0)) + (n > 1 ? charsOf(r, "az9-", 1) : "");
  };
  const domain = Array.from({ length: int(r, 1, 3) }, label).join(".");
  return r() < 0.15 ? domain.toUpperCase() : r() < 0.1 ? `${domain}.` : domain;
}
function genWindow(r: () => number): [string, string] {
  const base = Date.UTC(2026, 2, 2, 9, 0, 0) + int(r, -3, 3) * 3600_000;
  const at = (ms: number) => {
    const offset = pick(r, [0, 0, 60, -90, 540, -600, 840]);
    const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
    const sign = offset < 0 ? "-" : "+";
    const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
    const mm = String(Math.abs(offset) % 60).padStart(2, "0");
    const frac = pick(r, [
      "",
      `.${String(ms % 1000).padStart(3, "0")}`,
      `.${String(ms % 1000).padStart(3, "0")}${pick(r, ["0", "00001", "9", "000000000"])}`,
    ]);
    return `${local}${frac}${offset === 0 && r() < 0.5 ? "Z" : `${sign}${hh}:${mm}`}`;
  };
  const from = base + int(r, 0, 999);
  return [at(from), at(from + pick(r, [-1, 0, 0, 1, 2, 1000]))];
}

// ---- the cases ----------------------------------------------------------------------------------------------

export function generatedCases(r: () => number, perField: number): Case[] {
  const n = <T>(g: () => T): T[] => Array.from({ length: perField }, g);
  const cases: Case[] = [];
  const add = (cs: Case[]) => cases.push(...cs);

  add(
    field(
      ["services", "payments", "routes", 0, "id"],
      n(() => genName(r)),
      form(isName),
    ),
  );
  add(
    field(
      ["identity", "tokenIssuers", 0, "name"],
      n(() => genName(r)),
      form(isName),
    ),
  );
  add(
    field(
      [...RULE, "rateLimit", "period"],
      n(() => genDuration(r, "366d")),
      str((s) => duration(s, "366d")),
    ),
  );
  add(
    field(
      ["identity", "access", "maxTokenLifetime"],
      n(() => genDuration(r, "730h")),
      str((s) => duration(s, "730h")),
    ),
  );
  add(
    field(
      ["identity", "access", "maxTokenAge"],
      n(() => genDuration(r, "730h")),
      str((s) => duration(s, "730h")),
    ),
  );
  add(
    field(
      ["identity", "access", "maxPostureAge"],
      n(() => genDuration(r, pick(r, ["730h", "1m"]))),
      str((s) => duration(s, "730h", "1m")),
    ),
  );
  add(
    field(
      ["exceptions", "breakGlassMaxDuration"],
      n(() => genDuration(r, "366d")),
      str((s) => duration(s, "366d")),
    ),
  );
  add(
    field(
      ["quarantine", "within"],
      n(() => genDuration(r, "366d")),
      str((s) => duration(s, "366d")),
    ),
  );
  add(
    field(
      ["identity", "tokenIssuers", 0, "clockSkew"],
      n(() => genDuration(r, "5m")),
      str((s) => duration(s, "5m")),
    ),
  );
  add(
    field(
      ["identity", "tokenIssuers", 0, "maxLifetime"],
      n(() => genDuration(r, "1h")),
      str((s) => duration(s, "1h")),
    ),
  );
  add(
    field(
      ["sharedSignals", "holdFor"],
      n(() => genDuration(r, "730h")),
      str((s) => duration(s, "730h")),
    ),
  );
  add(
    field(
      [...ROUTE, "websocket", "idleTimeout"],
      n(() => genDuration(r, "24h")),
      str((s) => duration(s, "24h")),
    ),
  );
  add(
    field(
      ["services", "payments", "hosts", 0],
      n(() => genHost(r)),
      // A host name of the right form past 253 characters: out of range (no request names it).
      str((s) => (!isHost(s) ? FORMAT : s.length > 253 ? refuse("out-of-range") : ACCEPT)),
    ),
  );
  add(
    field(
      [...RULE, "principals", 0, "spiffe"],
      n(() => genSpiffe(r, false)),
      str(workloadIdVerdict),
    ),
  );
  add(
    field(
      [...RULE, "principals"],
      n(() => [{ spiffePrefix: genSpiffe(r, true) }]),
      (v) => spiffeVerdict((v as { spiffePrefix: string }[])[0]?.spiffePrefix as string, true),
    ),
  );
  add(
    field(
      ["principalSets", "sre", 1, "email"],
      n(() => genEmail(r)),
      form(isEmail),
    ),
  );
  add(
    field(
      [...RULE, "when", "time", "notBefore"],
      n(() => genInstant(r)),
      form(isInstant),
    ),
  );
  add(
    field(
      [...RULE, "principals"],
      n(() => [{ emailDomain: genMailDomain(r) }]),
      (v) => (isMailDomainForm((v as { emailDomain: string }[])[0]!.emailDomain) ? ACCEPT : FORMAT),
    ).map((c) => ({ ...c, at: `${pathText(RULE)}.principals[0]` })),
  );
  add(
    field(
      [...ROUTE, "path"],
      n(() => genPath(r)),
      str((s) =>
        isPathPattern(s, false)
          ? ACCEPT
          : /[\x00-\x1f\x7f-\x9f]/.test(s)
            ? refuse("invalid-path-pattern", "invalid-format")
            : refuse("invalid-path-pattern"),
      ),
    ).map((c) => ({ ...c, at: pathText(ROUTE) })),
  );
  add(
    n(() => genWindow(r)).map(([nb, na]) => ({
      what: `notBefore ${nb} notAfter ${na}`,
      doc: withValue(
        withValue(baseDocument(), [...RULE, "when", "time", "notBefore"], nb),
        [...RULE, "when", "time", "notAfter"],
        na,
      ),
      verdict: instantMillis(nb) < instantMillis(na) ? ACCEPT : refuse("invalid-time-window"),
    })),
  );
  const hh = () =>
    pick(r, ["00", "09", "23", "24", "25", "9", "99"]) + pick(r, [":00", ":59", ":60", ":5", "00", ":00:00"]);
  add(
    field(
      [...RULE, "when", "time", "hours"],
      n(() => ({ from: hh(), to: hh() })),
      (v) => {
        const h = v as { from: string; to: string };
        if (!isHours(h.from) || !isHours(h.to)) return FORMAT;
        return h.from === h.to || (h.from === "24:00" && h.to === "00:00") ? refuse("invalid-time-window") : ACCEPT;
      },
    ),
  );
  add(
    field(
      [...RULE, "when", "scopes"],
      n(() => [charsOf(r, 'ab:/\\" \t~!\u00e9{}', int(r, 1, 6))]),
      (v) => (isScope((v as string[])[0] as string) ? ACCEPT : FORMAT),
    ),
  );
  add(
    field(
      [...SERVICE, "tokenAudience"],
      n(() => charsOf(r, "ab:/ \t~\u00e9\u007f", int(r, 1, 6))),
      str((s) => (/^[\x21-\x7e]{1,512}$/.test(s) ? ACCEPT : FORMAT)),
    ),
  );
  return cases;
}
