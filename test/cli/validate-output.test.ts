// `ward validate` on a policy with a schema error and a warning elsewhere in the same service: both are
// printed in one run, the hint with the error, and the summary counts both.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wardLines } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-validate-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://example.cloudflareaccess.com
    audiences: ["${"d".repeat(64)}"]
services:
  wiki:
    hosts: [wiki.example.com]
    origin: { tunnel: WIKI }
    owner: wiki-team@example.com
    routes:
      - id: read
        methods: [get]
        pathPrefix: /
        rules:
          - { id: employees, effect: allow, principals: [{ emailDomain: example.com }] }
      - id: edit
        methods: [POST]
        path: /edit
        rules:
          - { id: everyone, effect: allow, principals: [{ emailDomain: example.com }] }
          - { id: again, effect: allow, principals: [{ emailDomain: example.com }] }
`;

describe("ward validate", () => {
  it("prints the warnings with the errors, the hint with the error, and counts both", async () => {
    const file = join(dir, "policy.yaml");
    writeFileSync(file, POLICY);
    const { status, out, err } = await wardLines("validate", file);
    expect(status).toBe(1);
    expect(err).toEqual([]);
    expect(out).toEqual([
      `${file}: error[invalid-value] services.wiki.routes[0].methods[0]: must be one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*" (methods are upper case: GET)`,
      expect.stringMatching(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: warning\\[shadowed-rule\\] services\\.wiki\\.routes\\[1\\]\\.rules\\[1\\]: `,
        ),
      ),
      `${file}: 1 error, 1 warning`,
    ]);
  });
});

describe("a policy of more than the gateway's 4,000 values", () => {
  it("gets every schema issue from ward validate, which runs on the operator's machine", async () => {
    const { stringify } = await import("yaml");
    const { generatePolicy } = await import("../bench/generate-policy.ts");
    const { ALL_ISSUES_UP_TO_VALUES, holdsMoreValues } = await import("../../policy/validate/schema-pass.ts");
    const { validatePolicyText } = await import("../../policy/index.ts");
    const doc = generatePolicy(200);
    const services = Object.values(doc.services);
    (services[0]!.routes[0] as Record<string, unknown>).owner = "x";
    (services.at(-1)!.routes[0] as Record<string, unknown>).pathprefix = "/x";
    expect(holdsMoreValues(doc, ALL_ISSUES_UP_TO_VALUES)).toBe(true);
    const file = join(dir, "large.yaml");
    const text = stringify(doc);
    writeFileSync(file, text);
    const run = await wardLines("validate", file);
    expect(run.status).toBe(1);
    expect([...run.out, ...run.err].filter((line) => line.includes("error[unknown-field]"))).toHaveLength(2);
    // The gateway, with its memory to mind, stops at the first.
    expect(validatePolicyText(text).issues.filter((i) => i.severity === "error")).toHaveLength(1);
  });
});
