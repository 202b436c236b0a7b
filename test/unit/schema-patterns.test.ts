// `ward schema`'s patterns against the validator they are built from (policy/schema-patterns.ts): an editor must
// not flag what `ward validate` takes, and should flag what it refuses for the field's form alone. From a review:
// the schema took `emailDomain: -x.com` and paths such as `/a／b`, `/½` and `/a` and a no-break space.
import { describe, expect, it } from "vitest";
import { isMailDomain } from "../../policy/email-address.ts";
import { parsePathPattern } from "../../policy/path-pattern.ts";
import { isReservedPath } from "../../policy/reserved-paths.ts";
import { EMAIL_DOMAIN_FORM } from "../../policy/schema.ts";
import { emailDomainPattern, routePathPatterns } from "../../policy/schema-patterns.ts";
import { literalNoPathHolds } from "../../policy/validate/path-literals.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_SCHEMA_PATTERN_SEED", 20261207);

/** What the validator takes as a route pattern, a stored version's leniency aside (validate/routes.ts). */
function validates(pattern: string, prefix: boolean): boolean {
  const parsed = parsePathPattern(pattern, prefix);
  return parsed.ok && !isReservedPath(pattern) && literalNoPathHolds(parsed.tokens) === undefined;
}

const patterns = routePathPatterns();
const path = new RegExp(patterns.path, "u");
const pathPrefix = new RegExp(patterns.pathPrefix, "u");
const schemaTakes = (pattern: string, prefix: boolean) => (prefix ? pathPrefix : path).test(pattern);

describe("emailDomain's pattern", () => {
  const { pattern, maxLength } = emailDomainPattern();
  const re = new RegExp(pattern, "u");
  const schemaTakesDomain = (d: string) => re.test(d) && d.length <= maxLength;
  const validatorTakes = (d: string) => EMAIL_DOMAIN_FORM.test(d) && isMailDomain(d);

  it.each([
    ["example.com", true],
    ["eu.example.com", true],
    ["x-y.example", true],
    ["-x.com", false],
    ["x-.com", false],
    ["x.-com", false],
    ["Example.com", false],
    ["com", false],
    ["example.com.", false],
    [`${"a".repeat(63)}.com`, true],
    [`${"a".repeat(64)}.com`, false],
    [`${"a.".repeat(125)}abc`, true],
    [`${"a.".repeat(126)}ab`, false],
  ])("%s: %s, as validation", (domain, ok) => {
    expect(validatorTakes(domain)).toBe(ok);
    expect(schemaTakesDomain(domain)).toBe(ok);
  });

  it("agrees with validation on generated domains", () => {
    const r = prng(SEED);
    const pick = (s: string) => s[Math.floor(r() * s.length)]!;
    for (let i = 0; i < 3000; i++) {
      const domain = Array.from({ length: 1 + Math.floor(r() * 8) }, () => pick("aZ0-.-.")).join("");
      expect(schemaTakesDomain(domain), `${domain} (replay: WARD_SCHEMA_PATTERN_SEED=${SEED})`).toBe(
        validatorTakes(domain),
      );
    }
  });
});

describe("a route path's pattern", () => {
  it.each([
    ["/", true],
    ["/v1/charge/", true],
    ["/live/{room}/{**}", true],
    ["/caf\u00e9/my report", true],
    ["/a\u00a0", false], // NFKC reads a trailing no-break space as a space
    ["/a\uff0fb", false], // a fullwidth solidus is '/' to NFKC
    ["/\u00bd", false], // NFKC's fraction slash is '/' to best-fit
    ["/a.\u0301", false], // the fold drops the mark: `a.`
    ["/\u0301\u0302", false], // marks alone fold to nothing
    ["/a//b", false],
    ["/{**}/a", false],
    ["/.ward/apps", false],
    ["/.wardrobe", true],
    ["/x::$DATA", false], // an NTFS stream's type: Windows reads it as `/x`
    ["/x/a:$I30:$INDEX_ALLOCATION/b", false],
    ["/x\uff1a\uff04DATA", false], // fullwidth: `:$` to NFKC
    ["/x:\u0301$DATA", false], // the fold drops the mark
    ["/a:b$c/d:/$e", true],
    ["/x/ admin", false], // Spring MVC before 4.3 trims it: `admin` (path-leading-space)
    ["/\u00a0admin", false], // NFKC reads a no-break space as one: ` admin` to an origin that trims after folding
    ["/\u0301\u3000admin", false], // the fold drops the mark: ` admin`
    ["/a\u00a0b", true],
  ])("%s: %s, as validation", (p, ok) => {
    expect(validates(p, false)).toBe(ok);
    expect(schemaTakes(p, false)).toBe(ok);
  });

  it("agrees with validation on every character of the BMP, inside a literal, last, and alone", () => {
    const off: string[] = [];
    for (let cp = 0x20; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      for (const p of [`/a${c}a`, `/a${c}`, `/${c}`])
        if (schemaTakes(p, false) !== validates(p, false)) off.push(`${JSON.stringify(p)} U+${cp.toString(16)}`);
    }
    expect(off).toEqual([]);
    // 196,000 patterns, each validated: seconds, more on a loaded machine.
  }, 60_000);

  it("takes every pattern validation takes, and refuses what it refuses, on generated patterns", () => {
    const r = prng(SEED);
    const PARTS = ["a", "Z", "v1", "{*}", "{id}", "{**}", "", ".", "..", " ", "\u00a0", "\uff0f", "\u00bd", "\u0301"];
    const MORE = ["\u00e9", "e\u0301", "\uff41", "\u2044", "\u00a8", "\u3000", "\u2488", "{", "%", ";", ".ward"];
    const STREAM = [":", "$", "\uff1a", "\uff04", "\ufe55", "\ufe69"];
    const all = [...PARTS, ...MORE, ...STREAM, "/", "/", "/"];
    const pick = () => all[Math.floor(r() * all.length)]!;
    const off: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const p = `/${Array.from({ length: Math.floor(r() * 6) }, pick).join("")}`;
      for (const prefix of [false, true])
        if (schemaTakes(p, prefix) !== validates(p, prefix)) off.push(`${JSON.stringify(p)}${prefix ? " prefix" : ""}`);
    }
    expect(off, `replay: WARD_SCHEMA_PATTERN_SEED=${SEED}`).toEqual([]);
  });
});
