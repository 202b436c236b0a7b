// Hostile shapes within push's bounds must load (or be refused) within the 64 MiB of heap a push may take
// (test/bench/push-memory.ts measures the policies; these are the texts a review found that were not policies
// and cost more than their bytes). Each is loaded as the admin API loads a push, in a Node child whose old
// generation is capped (Miniflare does not enforce Workers' memory limit; the same V8).
import { describe, expect, it } from "vitest";
import { MAX_JSON_POLICY_BYTES, MAX_POLICY_BYTES, policyTooLarge } from "../../policy/index.ts";
import { demo as demoDocument, demoYaml, withBigSet } from "../support/demo-policy.ts";
import { loadWithin } from "../support/load-within.ts";

const loadWithin64 = (text: string) => loadWithin(text, 64);

const demo = demoDocument();
const withExtra = (extra: string) => `${JSON.stringify(demo).slice(0, -1)},"x":${extra}}`;

describe("texts that cost more than their bytes", () => {
  it("a claims principal listing two million numbers (4 MiB): refused for its values before it is parsed", () => {
    const doc = structuredClone(demo);
    const rule = doc.services.payments.routes[0].rules[0];
    rule.principals.push({ claims: { level: "MARK" } });
    const [a, b] = JSON.stringify(doc).split('"MARK"') as [string, string];
    const text = `${a}[${"0,".repeat(Math.floor((MAX_JSON_POLICY_BYTES - a.length - b.length - 10) / 2))}0]${b}`;
    expect(policyTooLarge(text)).toMatch(/^the policy holds \d+ JSON values; a push takes at most 600000/);
  });

  it("nested arrays just under the YAML bound (not counted): refused for what they are, within 64 MiB", async () => {
    const depth = Math.floor((MAX_POLICY_BYTES - withExtra("").length) / 2) - 10;
    const text = withExtra(`${"[".repeat(depth)}${"]".repeat(depth)}`);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("unknown-field");
  }, 60_000);

  it("a wide array of numbers just under the YAML bound: refused for what it is, within 64 MiB", async () => {
    const count = Math.floor((MAX_POLICY_BYTES - withExtra("[]").length) / 2) - 10;
    const text = withExtra(`[${"0,".repeat(count)}0]`);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("unknown-field");
  }, 60_000);
});

// A second review's shapes: far under the byte bounds, they cost the YAML parser, or the schema's issues, more
// than a push may take; and a 10-byte alias cycle that walked forever.
/** The demo policy as JSON with one value replaced by `raw` (JSON text). */
function demoJsonWith(set: (doc: typeof demo) => void, raw: string): string {
  const doc = structuredClone(demo);
  set(doc);
  const [a, b] = JSON.stringify(doc).split('"MARK"') as [string, string];
  return `${a}${raw}${b}`;
}
const numbers = (n: number) => `[${"0,".repeat(n - 1)}0]`;

describe("an alias inside the value it names", () => {
  it.each([
    ["a sequence", "x: &a [*a]\n", "x[0]"],
    ["a mapping", "x: &a { b: *a }\n", "x.b"],
  ])(
    "in %s is refused where it is, within 64 MiB",
    async (_, cycle, path) => {
      expect(await loadWithin64(`${demoYaml}\n${cycle}`)).toBe("invalid-value");
      const { validatePolicyText } = await import("../../policy/index.ts");
      expect(validatePolicyText(`${demoYaml}\n${cycle}`).issues.map((i) => i.path)).toEqual([path]);
    },
    60_000,
  );
});

describe("schema issues, one per bad element, bounded by the document's values", () => {
  it("a route's methods listing 50,000 numbers (~100 KB of JSON) is refused within 64 MiB", async () => {
    const text = demoJsonWith((d) => {
      d.services.payments.routes[0].methods = "MARK";
    }, numbers(50_000));
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-value");
  }, 60_000);

  it("a rule's principals listing 20,000 numbers (~43 KB of JSON) is refused within 64 MiB", async () => {
    const text = demoJsonWith((d) => {
      d.services.payments.routes[0].rules[0].principals = "MARK";
    }, numbers(20_000));
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-value");
  }, 60_000);
});

describe("schema issues, one per bad entry of a map, bounded too", () => {
  it("30,000 principal sets of a number each (~300 KB of JSON) are refused within 64 MiB", async () => {
    const sets = Array.from({ length: 30_000 }, (_, i) => `"s${i}":[0]`).join(",");
    const text = demoJsonWith((d) => {
      d.principalSets = "MARK";
    }, `{${sets}}`);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-value");
  }, 60_000);

  it("a claims requirement of 30,000 bad claims is refused within 64 MiB", async () => {
    const claims = Array.from({ length: 30_000 }, (_, i) => `"c${i}":{}`).join(",");
    const text = demoJsonWith((d) => {
      d.services.payments.routes[0].rules[0].when = { claims: "MARK" };
    }, `{${claims}}`);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-value");
  }, 60_000);
});

// A third review's shapes: maps inside a document's entries (zod checks each entry of a record), unknown keys
// by the hundred thousand, and aliases that copy a large list into many places.
const members = (n: number, value: string) =>
  Array.from({ length: n }, (_, i) => `"k${i.toString(36)}":${value}`).join(",");

describe("wide objects and aliased lists", () => {
  it.each([
    ["a rule's headers with 100,000 entries", (d: any) => (d.services.payments.routes[0].rules[0].headers = "MARK")],
    [
      "sharedSignals.transmitters with 100,000 entries",
      (d: any) => (d.sharedSignals = { audience: "x", transmitters: "MARK" }),
    ],
  ])(
    "%s (~0.9 MB of JSON) is refused within 64 MiB",
    async (_, set) => {
      const text = demoJsonWith(set, `{${members(100_000, "0")}}`);
      expect(policyTooLarge(text)).toBeUndefined();
      expect(await loadWithin64(text)).toBe("invalid-value");
    },
    60_000,
  );

  it("a rule with 100,000 unknown keys is refused within 64 MiB", async () => {
    const text = demoJsonWith(
      (d) => {
        d.services.payments.routes[0].rules[0].description = "MARK";
      },
      `"x",${members(100_000, "0")}`,
    );
    expect(await loadWithin64(text)).toBe("invalid-value");
  }, 60_000);

  it("the document with 280,000 unknown top-level keys (~2.4 MB of JSON) is refused within 64 MiB", async () => {
    const text = `${JSON.stringify(demo).slice(0, -1)},${members(280_000, "0")}}`;
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("unknown-field");
  }, 60_000);

  it("99 aliases of a 6,000-matcher list (117 KB of YAML) are refused within 64 MiB", async () => {
    const list = Array.from({ length: 6000 }, (_, i) => `    - group: g${i.toString(36)}\n`).join("");
    const rules = "          - effect: allow\n            principals: *L\n".repeat(99);
    const text = withBigSet(list, rules, "&L");
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-syntax");
  }, 60_000);
});

describe("YAML under its byte bound, over its units", () => {
  it("256 KiB of YAML, a flow sequence of numbers, is refused before the parser, within 64 MiB", async () => {
    const room = 256 * 1024 - Buffer.byteLength(demoYaml) - 20;
    const text = `${demoYaml}x: [${"0,".repeat(Math.floor(room / 2))}0]\n`;
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-syntax");
  }, 60_000);

  it("768 KiB of YAML, a block sequence of one-key maps, is refused before the parser, within 64 MiB", async () => {
    const room = MAX_POLICY_BYTES - Buffer.byteLength(demoYaml) - 20;
    const text = `${demoYaml}x:\n${"- a: 0\n".repeat(Math.floor(room / 7))}`;
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("invalid-syntax");
  }, 60_000);

  it.each([
    ["a flow sequence of numbers", (n: number) => `x: [${"0,".repeat(n)}0]\n`, "unknown-field"],
    ["a flow sequence of empty sequences", (n: number) => `x: [${"[],".repeat(n)}0]\n`, "unknown-field"],
    ["a flow sequence of one-item sequences", (n: number) => `x: [${"[0],".repeat(n)}0]\n`, "unknown-field"],
    ["a flow sequence of one-key maps", (n: number) => `x: [${"{a: 0},".repeat(n)}0]\n`, "unknown-field"],
    ["a block sequence of empty items", (n: number) => `x:\n${"-\n".repeat(n)}`, "unknown-field"],
    ["a block sequence of one-key maps", (n: number) => `x:\n${"- a: 0\n".repeat(n)}`, "unknown-field"],
    // (Refused by the parser past 100 aliases; read within the memory all the same.)
    ["a block sequence of aliases", (n: number) => `y: &a 0\nx:\n${"- *a\n".repeat(n)}`, "invalid-syntax"],
    [
      "a mapping of distinct keys",
      (n: number) => `x:\n${Array.from({ length: n }, (_, i) => `  k${i.toString(36)}: 0\n`).join("")}`,
      // (An object of more than 1,000 keys, refused before its unknown name.)
      "invalid-value",
    ],
  ])(
    "%s, just within MAX_YAML_UNITS, is read within 64 MiB",
    async (_, shape, outcome) => {
      const { MAX_YAML_UNITS, yamlUnits } = await import("../../policy/yaml-text.ts");
      const per = yamlUnits(shape(1000)) / 1000;
      const text = `${demoYaml}${shape(Math.floor((MAX_YAML_UNITS - yamlUnits(demoYaml)) / per) - 10)}`;
      expect(yamlUnits(text)).toBeLessThanOrEqual(MAX_YAML_UNITS);
      expect(yamlUnits(text)).toBeGreaterThan(MAX_YAML_UNITS * 0.99);
      expect(await loadWithin64(text)).toBe(outcome);
    },
    60_000,
  );
});
