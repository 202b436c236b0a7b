// canonicalTarget and rawPathOf against an oracle written from docs/policy.md (oracle/target.ts), on generated raw
// targets (oracle/random-target.ts): paths from a soup of encodings, dots, delimiters and Unicode look-alikes,
// hosts and methods at the edges, queries that may name `_method`. Every refusal must be one the docs name for the
// target, the one they say is named first, and every acceptance must be the docs' canonical form. The seed is
// fixed, so a run is the same every time; WARD_TARGET_SEED=<n> tries another (WARD_TARGET_CASES=<n> more cases),
// and is printed on failure. WARD_TARGET_STATS=1 prints how often each problem was met.
import { describe, expect, it } from "vitest";
import { canonicalTarget, rawPathOf } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";
import { chance, pick } from "./oracle/random-policy.ts";
import { HOSTS, rawTarget, type RawTarget } from "./oracle/random-target.ts";
import { expectRawPath, expectTarget, namedOf, problemsOf } from "./oracle/target.ts";

const SEED = seedFrom("WARD_TARGET_SEED", 20260415);
const CASES = Number(process.env.WARD_TARGET_CASES ?? 40_000);

const show = (t: RawTarget) =>
  JSON.stringify({ ...t, path: t.path.length > 120 ? `${t.path.slice(0, 60)}…(${t.path.length})` : t.path });

/** Why the code's answer is not one the docs allow; undefined when it is. */
function disagreement(t: RawTarget): string | undefined {
  const expected = expectTarget(t.method, t.host, t.path, t.query);
  const actual = canonicalTarget(t.method, t.host, t.path, t.query);
  const all = [...problemsOf(expected)];
  if (!actual.ok) {
    if (namedOf(expected).has(actual.problem)) return undefined;
    const named =
      all.length > 0 ? `docs name first ${[...namedOf(expected)].join(" or ")}, of ${all}` : "docs accept it";
    return `refused ${actual.problem} (${actual.detail}); ${named}`;
  }
  if (all.length > 0) return `accepted as ${actual.target.path}; docs refuse ${all.join(", ")}`;
  if (JSON.stringify(actual.target) !== JSON.stringify(expected.target))
    return `canonical ${JSON.stringify(actual.target)}; docs ${JSON.stringify(expected.target)}`;
  return undefined;
}

describe("canonicalTarget against an oracle written from the docs", () => {
  it("refuses what the docs refuse, with a problem they name, and canonicalises the rest as they say", () => {
    const r = prng(SEED);
    const found: string[] = [];
    const problems = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const t = rawTarget(r);
      const why = disagreement(t);
      if (why) found.push(`${why}\n  ${show(t)}`);
      const actual = canonicalTarget(t.method, t.host, t.path, t.query);
      if (actual.ok) accepted++;
      else problems.set(actual.problem, (problems.get(actual.problem) ?? 0) + 1);
    }
    if (process.env.WARD_TARGET_STATS) console.log({ accepted, problems });
    if (found.length > 0)
      expect.fail(
        `${found.length} of ${CASES} differ (replay: WARD_TARGET_SEED=${SEED})\n${found.slice(0, 6).join("\n")}`,
      );
    // The run reaches every problem, and accepts a fair share (whatever the seed).
    expect(problems.size, `seed ${SEED}: ${[...problems.keys()]}`).toBe(19);
    expect(accepted, `seed ${SEED}`).toBeGreaterThan(CASES / 20);
  }, 60_000);

  it("reads the raw path of request.url where the docs say it ends", () => {
    const r = prng(SEED ^ 0x5eed);
    const found: string[] = [];
    for (let i = 0; i < CASES / 4; i++) {
      const t = rawTarget(r);
      // As bare workerd builds it: scheme, the Host header as sent, the target; sometimes with userinfo, or a
      // Host header holding what ends an authority.
      const authority = chance(r, 0.1)
        ? pick(r, ["u@h", "u:p@h", "h/x", "h\\x", "h?x", "h#x", "h:1\\"])
        : pick(r, HOSTS);
      const url = `${pick(r, ["http", "https"])}://${authority}${t.path}${t.query === "" ? "" : `?${t.query}`}`;
      const expected = expectRawPath(url);
      const actual = rawPathOf(url);
      if (actual !== expected)
        found.push(`${JSON.stringify(url.slice(0, 120))}: ${JSON.stringify(actual)}, docs ${JSON.stringify(expected)}`);
    }
    if (found.length > 0)
      expect.fail(`${found.length} differ (replay: WARD_TARGET_SEED=${SEED})\n${found.slice(0, 6).join("\n")}`);
  });
});
