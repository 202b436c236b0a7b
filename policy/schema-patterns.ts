// The JSON Schema patterns (`ward schema`) of the fields validation checks past their zod form, so an editor flags
// what `ward validate` and push refuse: an `emailDomain` no address can have (`-x.com`), a route `path` or
// `pathPrefix` no request can match (`/a／b`, `/½`, `/a` and a no-break space). The zod form stays looser, so a
// version stored before those checks loads as it did; these patterns are for writing a policy, not for loading one.
//
// Each is built from what the validator itself uses, not written a second time: the domain's expressions
// (email-address.ts and schema.ts), parsePathPattern's forbidden characters and placeholder form, Ward's reserved
// paths, and, for a literal's letters, literalNoPathHolds (the gateway's canonicalTarget) asked of each character.
// What a pattern cannot say (letters that fold together only beside others, caseInsensitivePaths' lower case,
// routes of one service that clash) `ward validate` still decides: it is the authority.
import { bestFit } from "./best-fit.ts";
import { MAIL_DOMAIN, MAX_DOMAIN_LENGTH } from "./email-address.ts";
import { FORBIDDEN_LITERAL, PLACEHOLDER } from "./path-pattern.ts";
import { RESERVED_PREFIXES } from "./reserved-paths.ts";
import { EMAIL_DOMAIN_FORM } from "./schema.ts";
import { literalNoPathHolds } from "./validate/path-literals.ts";

/** `emailDomain`: the zod form (lower case, two labels or more) and an address's domain (isMailDomain), both. */
export function emailDomainPattern(): { pattern: string; maxLength: number } {
  return { pattern: `(?=${EMAIL_DOMAIN_FORM.source})${MAIL_DOMAIN.source}`, maxLength: MAX_DOMAIN_LENGTH };
}

/** Where in a literal a letter beyond ASCII makes every request holding it refused. */
interface LetterClasses {
  /** Anywhere: a letter an origin may read as `/`, `.`, `%`, ... (`／`, `½`, `․`). */
  anywhere: number[];
  /** At the end, as a trailing space or dot (a no-break space, `¨`). */
  last: number[];
  /** First, as a leading space (a no-break space, an ideographic space): `path-leading-space`. */
  first: number[];
  /** A literal of these alone reads as nothing (combining marks: an empty segment). */
  alone: number[];
  /** Read as `:` before a `$`, and as `$` after a `:`: an NTFS stream's `:$` (`path-windows-stream`). */
  colon: number[];
  dollar: number[];
}

let classes: LetterClasses | undefined;

/**
 * Each letter beyond ASCII asked of literalNoPathHolds, in a literal of its own (`x`), at the end (`ax`) and inside
 * one (`axa`). Only a letter that NFKC, NFKD or best-fit read otherwise, or a mark, can be refused (the others read
 * as themselves), so only those are asked: the whole of Unicode would take some 20 seconds. Computed once, when
 * asked for the schema.
 */
function letterClasses(): LetterClasses {
  if (classes) return classes;
  const holds = (literal: string) => literalNoPathHolds([{ kind: "literal", value: literal }]) === undefined;
  const stream = (literal: string) =>
    literalNoPathHolds([{ kind: "literal", value: literal }])?.problem === "path-windows-stream";
  const found: LetterClasses = { anywhere: [], last: [], first: [], alone: [], colon: [], dollar: [] };
  for (let cp = 0x80; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // a lone surrogate: no UTF-8 form, refused anywhere (\p{Cs} below)
    const c = String.fromCodePoint(cp);
    if (bestFit(c) === undefined && c.normalize("NFKD") === c && c.normalize("NFKC") === c && !/\p{M}/u.test(c))
      continue;
    if (!holds(`a${c}a`)) {
      found.anywhere.push(cp);
      continue;
    }
    // Refused last too, mostly (a space is): a class of its own, not a branch of the chain.
    if (!holds(`${c}a`)) found.first.push(cp);
    if (!holds(`a${c}`)) found.last.push(cp);
    else if (!holds(c)) found.alone.push(cp);
    else if (stream(`a${c}$a`)) found.colon.push(cp);
    else if (stream(`a:${c}a`)) found.dollar.push(cp);
  }
  classes = found;
  return found;
}

/** The code points as the inside of a character class, in runs, ASCII-only (`\u{...}`: the `u` flag's form). */
function classOf(codePoints: readonly number[]): string {
  const hex = (cp: number) => `\\u{${cp.toString(16)}}`;
  let out = "";
  for (let i = 0; i < codePoints.length; ) {
    let j = i;
    while (j + 1 < codePoints.length && codePoints[j + 1] === codePoints[j]! + 1) j++;
    const [from, to] = [codePoints[i]!, codePoints[j]!];
    out += from === to ? hex(from) : `${hex(from)}-${hex(to)}`;
    i = j + 1;
  }
  return out;
}

/** The inside of a class source `[...]`: parsePathPattern's FORBIDDEN_LITERAL, as it is written there. */
const inside = (klass: RegExp) => klass.source.replace(/^\[/, "").replace(/\]$/, "");

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

let paths: { path: string; pathPrefix: string } | undefined;

/**
 * A route's `path` (`prefix` false) or `pathPrefix` as parsePathPattern, Ward's reserved paths and
 * literalNoPathHolds take it: segments of `{*}`, `{name}` or a literal, `{**}` only last and only in a `path`, no
 * `//`, no `.` or `..`, a literal of none of the forbidden characters nor of a letter refused anywhere, not starting
 * with a space or a letter refused first, not ending in `.`, a space or a letter refused last (nor in one of those and marks, which the fold
 * drops), and not of marks alone. For the `u` flag (JSON Schema's, Ajv's and editors' ECMA-262 patterns with code
 * points).
 */
export function routePathPatterns(): { path: string; pathPrefix: string } {
  if (paths) return paths;
  const { anywhere, last, first, alone, colon, dollar } = letterClasses();
  // A letter a literal may hold: not '/', none parsePathPattern forbids, none refused anywhere, no lone surrogate,
  // and not the start of an NTFS stream's `:$` (in any letters read so, with marks the fold drops between).
  const stream = `[:${classOf(colon)}]\\p{Mn}*[$${classOf(dollar)}]`;
  const letter = `(?!${stream})[^/${inside(FORBIDDEN_LITERAL)}${classOf(anywhere)}\\p{Cs}]`;
  // What a literal may not end in: '.', a space, a letter refused last, any of them followed by marks only.
  const badEnd = `[. ${classOf(last)}]\\p{Mn}*`;
  // Nor start with a space or a letter refused first, marks (which the fold drops) before it or not
  // (`path-leading-space`).
  const literal = `(?!\\p{Mn}*[ ${classOf(first)}])(?!\\.\\.?(?:/|$))(?![${classOf(alone)}]+(?:/|$))(?:(?!${badEnd}(?:/|$))${letter})+`;
  const segment = `(?:\\{\\*\\}|${PLACEHOLDER.source.replace(/^\^|\$$/g, "")}|${literal})`;
  const reserved = `(?!(?:${RESERVED_PREFIXES.map((p) => escapeRegExp(p.replace(/\/$/, ""))).join("|")})(?:/|$))`;
  paths = {
    path: `^${reserved}/(?:${segment}/)*(?:${segment}|\\{\\*\\*\\})?$`,
    pathPrefix: `^${reserved}/(?:${segment}(?:/${segment})*/?)?$`,
  };
  return paths;
}
