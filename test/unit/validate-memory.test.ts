// Valid policies far under push's bounds whose checks after the schema take more than 64 MiB of heap.
// Loaded as test/cli/push-memory-shapes.test.ts loads a push: a Node child, --max-old-space-size=64.
import { describe, expect, it } from "vitest";
import { policyTooLarge } from "../../policy/index.ts";
import { crossingRoutes, demo, routesNamingSet } from "../support/demo-policy.ts";
import { loadWithin } from "../support/load-within.ts";

const loadWithin64 = (text: string) => loadWithin(text, 64);

describe("valid policies whose checks outgrew 64 MiB", () => {
  // checkCrossRouteDenies warns once per (deny route, taker): 1,000 x 1,000 = 1,000,000 warnings, 350 MB.
  it("1,000 routes /{*}/aN with a deny rule beside 1,000 routes /bN/{*} (264 KB of JSON) load within 64 MiB", async () => {
    const doc = demo();
    doc.services.payments.routes = crossingRoutes(1_000);
    const text = JSON.stringify(doc);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("valid");
  }, 120_000);

  // route-escapes caches each route's coverage: a Set of every expanded matcher's canonical JSON, per route
  // (501 MB here; fddcee7^ cached arrays of references, 85 MB, which did not fit either).
  it("1,000 GET routes naming one set of 3,000 groups (161 KB of JSON) load within 64 MiB", async () => {
    const doc = demo();
    doc.principalSets.big = Array.from({ length: 3_000 }, (_, k) => ({ group: `g${k}` }));
    doc.services.payments.routes = routesNamingSet(1_000, "big");
    const text = JSON.stringify(doc);
    expect(policyTooLarge(text)).toBeUndefined();
    expect(await loadWithin64(text)).toBe("valid");
  }, 120_000);
});
