// Once WARNING_WORK is spent, route-escapes must not read "may not do the work" as "widens" (a review found it did).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { validatePolicy } from "../../policy/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const demo = () => parseYaml(readFileSync(`${ROOT}policy/examples/demo.yaml`, "utf8"));

function target() {
  const doc = demo();
  const base = doc.services.payments;
  // GET /a for group y only, beside /{*} taking GET and HEAD for group y only: HEAD /a adds nobody.
  doc.services = {
    target: {
      ...base,
      hosts: ["t.localhost"],
      routes: [
        { id: "a", methods: ["GET"], path: "/a", rules: [{ effect: "allow", principals: [{ group: "y" }] }] },
        {
          id: "any",
          methods: ["GET", "HEAD"],
          path: "/{*}",
          rules: [{ effect: "allow", principals: [{ group: "y" }] }],
        },
      ],
    },
  };
  return doc;
}
const escapable = (doc: unknown) => validatePolicy(doc).issues.filter((i) => i.code === "route-escapable");

describe("route-escapes after the budget", () => {
  it("alone: no route-escapable", () => {
    expect(escapable(target())).toEqual([]);
  });
  it("after an earlier service spent WARNING_WORK in the shadowing check: still none", () => {
    const doc = target();
    doc.principalSets.big = Array.from({ length: 15_000 }, (_, k) => ({ group: `g${k}` }));
    // 60 allow rules naming [zz, set big]: each compared with the earlier ones, 15,001 units each, failing fast.
    const burn = {
      ...doc.services.target,
      hosts: ["b.localhost"],
      routes: [
        {
          id: "r",
          methods: ["POST"],
          path: "/r",
          rules: Array.from({ length: 60 }, (_, k) => ({
            id: `k${k}`,
            effect: "allow",
            principals: [{ group: `zz${k}` }, { set: "big" }],
          })),
        },
        // and the last few thousand units, one at a time
        {
          id: "s",
          methods: ["POST"],
          path: "/s",
          rules: Array.from({ length: 100 }, (_, k) => ({
            id: `k${k}`,
            effect: "allow",
            principals: [{ group: `zz${k}` }],
          })),
        },
      ],
    };
    doc.services = { burn, ...doc.services };
    expect(escapable(doc)).toEqual([]);
  });
});
