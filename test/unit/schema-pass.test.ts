// The schema's issues are bounded by what a document holds, not by how many of its values are wrong (review
// finding: 20,000 numbers where principals go made 20,000 union issues, 140 MiB). Up to
// ALL_ISSUES_UP_TO_VALUES values every issue comes at once; past it, the first, saying so.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { validatePolicy } from "../../policy/index.ts";
import {
  ALL_ISSUES_ON_A_WORKSTATION,
  ALL_ISSUES_UP_TO_VALUES,
  holdsMoreValues,
  MAX_KEYS_IN_ONE_OBJECT,
  schemaPass,
} from "../../policy/validate/schema-pass.ts";
import { generatePolicy } from "../bench/generate-policy.ts";

const demo = parseYaml(readFileSync(join(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8"));

/** The demo policy with two schema errors in two services, and `padding` more values in a valid place. */
function twoErrors(padding: number) {
  const doc = structuredClone(demo);
  doc.services.payments.routes[0].methods = ["GETT"];
  const other = Object.keys(doc.services).find((name) => name !== "payments")!;
  doc.services[other].routes[0].rules[0].effect = "permit";
  doc.metadata.owners = Array.from({ length: padding }, (_, i) => `team-${i}`);
  return doc;
}

describe("holdsMoreValues", () => {
  it("counts every value, containers and scalars, and stops past the limit", () => {
    const doc = { a: [1, "b", null, true], c: { d: {} } };
    // doc, a, 1, "b", null, true, c, d: 8 values.
    expect(holdsMoreValues(doc, 8)).toBe(false);
    expect(holdsMoreValues(doc, 7)).toBe(true);
    expect(holdsMoreValues(0, 0)).toBe(true);
    expect(holdsMoreValues(0, 1)).toBe(false);
    // A list of millions is not walked past the limit (nor copied).
    expect(holdsMoreValues({ many: new Array(5_000_000).fill(0) }, 10)).toBe(true);
  });
});

describe("schema issues", () => {
  it("a document within the bound gets every issue", () => {
    const doc = twoErrors(10);
    expect(holdsMoreValues(doc, ALL_ISSUES_UP_TO_VALUES)).toBe(false);
    const result = validatePolicy(doc);
    expect(result.ok).toBe(false);
    const schema = result.issues.filter((i) => i.severity === "error");
    expect(schema.length).toBeGreaterThanOrEqual(2);
    expect(schema.some((i) => i.hint?.includes("validation stopped"))).toBe(false);
  });

  it("a larger one gets its first, and a hint that more may follow", () => {
    const doc = twoErrors(ALL_ISSUES_UP_TO_VALUES);
    const result = validatePolicy(doc);
    expect(result.ok).toBe(false);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ severity: "error", path: expect.stringMatching(/^services\./) });
    expect(result.issues[0]!.hint).toMatch(
      /validation stopped at this error: a policy of over 4000 values is checked up to its first schema error/,
    );
  });

  it("a thousand-route policy, far past the bound, is valid as before", () => {
    const doc = generatePolicy(1000);
    expect(holdsMoreValues(doc, ALL_ISSUES_UP_TO_VALUES)).toBe(true);
    const result = validatePolicy(doc);
    expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("20,000 numbers where principals go make one issue", () => {
    const doc = structuredClone(demo);
    doc.services.payments.routes[0].rules[0].principals = new Array(20_000).fill(0);
    const result = validatePolicy(doc);
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([
      ["invalid-value", "services.payments.routes[0].rules[0].principals[0]"],
    ]);
  });
});

describe("a large document read up to its first error", () => {
  const examples = readdirSync(join(import.meta.dirname, "../../policy/examples"))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => parseYaml(readFileSync(join(import.meta.dirname, "../../policy/examples", f), "utf8")));

  it("gives the same document as the full pass, key order included, for every example and generated policy", () => {
    for (const doc of [...examples, generatePolicy(5), generatePolicy(300, 7)]) {
      const full = schemaPass(doc, Number.POSITIVE_INFINITY);
      const early = schemaPass(doc, 0);
      expect(early.success).toBe(full.success);
      expect(JSON.stringify(early.success && early.data)).toBe(JSON.stringify(full.success && full.data));
    }
  });

  it("reports the first error where the full pass reports it, among its others", () => {
    for (const set of [
      (d: any) => (d.services.payments.routes[0].methods = ["GETT"]),
      (d: any) => (d.principalSets = { "Bad Name": [{ email: "a@example.com" }] }),
      (d: any) => (d.identityBindings = { ok: [{ workload: "not-spiffe", access: "a@example.com" }] }),
      (d: any) => (d.metadata.owners = []),
      (d: any) => (d.services.payments.routes[0].rules[0].when = { claims: { a: "x", b: {}, c: [] } }),
    ]) {
      const doc = structuredClone(demo);
      set(doc);
      const full = schemaPass(doc, Number.POSITIVE_INFINITY);
      const early = schemaPass(doc, 0);
      expect(full.success || early.success).toBe(false);
      if (full.success || early.success) continue;
      expect(early.stoppedEarly).toBe(true);
      expect(early.issues.length).toBeGreaterThan(0);
      const paths = full.issues.map((i) => i.path.join("."));
      for (const issue of early.issues) expect(paths).toContain(issue.path.join("."));
    }
  });

  it("cuts a claims requirement of hundreds of bad claims to its first", () => {
    const doc = structuredClone(demo);
    doc.services.payments.routes[0].rules[0].when = {
      claims: Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`c${i}`, { bad: i }])),
    };
    const early = schemaPass(doc, 0);
    expect(early.success ? [] : early.issues.map((i) => i.path.join("."))).toEqual([
      "services.payments.routes.0.rules.0.when.claims.c0",
    ]);
    const full = schemaPass(doc, Number.POSITIVE_INFINITY);
    expect(full.success ? 0 : full.issues.length).toBe(900);
    // And only then: a valid requirement read afterwards keeps every claim.
    expect(schemaPass(demo).success).toBe(true);
  });

  it("30,000 principal sets of a number each make one issue", () => {
    const doc = structuredClone(demo);
    doc.principalSets = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`s${i}`, [0]]));
    const early = schemaPass(doc);
    expect(early.success ? [] : early.issues.map((i) => i.path.join("."))).toEqual(["principalSets.s0.0"]);
  });
});

describe("objects of a large document", () => {
  it("may have up to MAX_KEYS_IN_ONE_OBJECT keys; past it, one issue where it is", () => {
    const withHeaders = (n: number) => {
      const doc = structuredClone(demo);
      doc.metadata.owners = Array.from({ length: ALL_ISSUES_UP_TO_VALUES }, (_, i) => `team-${i}`);
      doc.services.payments.routes[0].rules[0].headers = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`X-H${i}`, "v"]),
      );
      return doc;
    };
    const at = schemaPass(withHeaders(MAX_KEYS_IN_ONE_OBJECT));
    expect(at.success ? [] : at.issues.map((i) => i.message)).not.toContainEqual(
      expect.stringMatching(/keys: no part/),
    );
    const past = schemaPass(withHeaders(MAX_KEYS_IN_ONE_OBJECT + 1));
    expect(past.success ? [] : past.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "services.payments.routes.0.rules.0.headers",
        "an object of 1001 keys: no part of a policy has a use for more than 1000",
      ],
    ]);
  });

  it("on a workstation too, where every issue is reported: ward validate refuses what a push is refused", () => {
    // From a review: the bound was checked only on the first-error path, which `ward validate` takes past 100,000
    // values, so it passed a document of 4,001-100,000 values that the gateway refuses.
    const doc = structuredClone(demo);
    doc.metadata.owners = Array.from({ length: ALL_ISSUES_UP_TO_VALUES }, (_, i) => `team-${i}`);
    doc.services.payments.routes[0].rules[0].headers = Object.fromEntries(
      Array.from({ length: MAX_KEYS_IN_ONE_OBJECT + 1 }, (_, i) => [`X-H${i}`, "v"]),
    );
    doc.services.payments.routes[0].methods = ["GETT"];
    const workstation = schemaPass(doc, ALL_ISSUES_ON_A_WORKSTATION);
    expect(workstation.success ? [] : workstation.issues.map((i) => i.path.join("."))).toEqual([
      "services.payments.routes.0.rules.0.headers",
      "services.payments.routes.0.methods.0",
    ]);
    expect(schemaPass(doc).success).toBe(false);
  });

  it("only the document's own maps: an object named like one further down is held to the bound", () => {
    const doc = structuredClone(demo);
    doc.metadata.owners = Array.from({ length: ALL_ISSUES_UP_TO_VALUES }, (_, i) => `team-${i}`);
    const wide = Object.fromEntries(Array.from({ length: MAX_KEYS_IN_ONE_OBJECT + 1 }, (_, i) => [`X-H${i}`, "v"]));
    doc.services.payments.routes[0].rules[0].headers = { services: wide };
    const past = schemaPass(doc);
    expect(past.success ? [] : past.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "services.payments.routes.0.rules.0.headers.services",
        "an object of 1001 keys: no part of a policy has a use for more than 1000",
      ],
    ]);
  });

  it("the document's maps and any list may be larger", () => {
    const doc = generatePolicy(2 * MAX_KEYS_IN_ONE_OBJECT * 20, 1);
    expect(Object.keys(doc.services).length).toBeGreaterThan(MAX_KEYS_IN_ONE_OBJECT);
    expect(schemaPass(doc).success).toBe(true);
  });
});
