// isSpiffeId: one spelling per identity, as the SPIFFE standard defines IDs, so IDs compare as strings.
import { describe, expect, it } from "vitest";
import { isSpiffeId } from "../../policy/spiffe-id.ts";

describe("isSpiffeId", () => {
  it.each(["spiffe://prod.example.com", "spiffe://prod.example.com/ns/shop/sa/checkout", "spiffe://td_1/a.b/c-d/E_F", `spiffe://td/${"a".repeat(2030)}`])("accepts %s", (id) => {
    expect(isSpiffeId(id)).toBe(true);
  });

  it.each([
    ["an upper-case trust domain", "spiffe://Prod.example.com/x"],
    ["a port", "spiffe://prod.example.com:443/x"],
    ["user info", "spiffe://u@prod.example.com/x"],
    ["a dot segment", "spiffe://prod.example.com/ns/./x"],
    ["a dot-dot segment", "spiffe://prod.example.com/ns/../x"],
    ["a final dot segment", "spiffe://prod.example.com/ns/.."],
    ["an empty segment", "spiffe://prod.example.com/ns//x"],
    ["a trailing slash", "spiffe://prod.example.com/ns/"],
    ["percent-encoding", "spiffe://prod.example.com/n%73/x"],
    ["a query", "spiffe://prod.example.com/x?y"],
    ["a fragment", "spiffe://prod.example.com/x#y"],
    ["a star", "spiffe://prod.example.com/ns/ops*"],
    ["another scheme's case", "SPIFFE://prod.example.com/x"],
    ["no trust domain", "spiffe:///x"],
    ["a trust domain over 255 characters", `spiffe://${"a".repeat(256)}/x`],
    ["an ID over 2,048 characters", `spiffe://td/${"a".repeat(2040)}`],
  ])("refuses %s", (_name, id) => {
    expect(isSpiffeId(id)).toBe(false);
  });
});
