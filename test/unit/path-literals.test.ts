// A route's literal that every request holding it is refused for (Canonical request targets) makes a route that
// matches nothing: refused as written (from a generated review of policy validation: `/{id}/\u00a0` was taken,
// while a no-break space at a segment's end is a space to NFKC, path-trailing-dot-or-space in every request).
import { describe, expect, it } from "vitest";
import { canonicalTarget, loadStoredDocument, validatePolicyText } from "../../policy/index.ts";
import { oneServicePolicy } from "./support/one-service.ts";

const withPattern = (pattern: Record<string, string>) =>
  JSON.stringify(
    oneServicePolicy([
      { id: "r", methods: ["GET"], ...pattern, rules: [{ id: "all", effect: "allow", principals: [{ group: "g" }] }] },
    ]),
  );
const errors = (text: string) =>
  validatePolicyText(text)
    .issues.filter((i) => i.severity === "error")
    .map((i) => [i.code, i.path]);

describe("a route's literal segments", () => {
  it.each([
    ["/{id}/\u00a0", "a no-break space"],
    ["/a\u3000", "an ideographic space at the end"],
    ["/a\uff0fb", "a fullwidth solidus, '/' to NFKC"],
    ["/a\uff0e", "a fullwidth full stop at the end"],
    ["/\u2024", "a one-dot leader"],
    ["/a\uff1bb", "a fullwidth semicolon, a parameter to NFKC"],
    ["/v\u00bd", "a fraction, whose slash is '/' to best-fit"],
  ])("refuses %j (%s), as every request holding it is refused", (path) => {
    expect(errors(withPattern({ path }))).toEqual([["invalid-path-pattern", "services.app.routes[0].path"]]);
    expect(errors(withPattern({ pathPrefix: path }))).toEqual([
      ["invalid-path-pattern", "services.app.routes[0].pathPrefix"],
    ]);
    const literal = path.split("/").at(-1)!;
    expect(canonicalTarget("GET", "app.example.com", `/${encodeURIComponent(literal)}`).ok).toBe(false);
  });

  it.each(["/caf\u00e9", "/\uff41dmin", "/my report", "/~", "/{id}/", "/a/{**}"])("accepts %j", (path) => {
    expect(errors(withPattern({ path }))).toEqual([]);
  });

  it("loads from a version stored before", () => {
    const stored = withPattern({ path: "/{id}/\u00a0" });
    expect(validatePolicyText(stored, { stored: true }).ok).toBe(true);
    expect(loadStoredDocument(stored, "0".repeat(64)).ok).toBe(true);
  });
});
