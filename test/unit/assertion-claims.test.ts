// ward_exception and ward_would_deny as the assertion carries them and an open WebSocket's checks compare them.
import { describe, expect, it } from "vitest";
import { exceptionClaim, wouldDenyClaim } from "../../policy/index.ts";

describe("assertion claims", () => {
  it("names a grant by its kind and id", () => {
    const grant = { id: "g-1", notBefore: "2026-12-01T11:00:00Z", notAfter: "2026-12-01T12:00:00Z" };
    expect(exceptionClaim({ ...grant, kind: "exception" })).toBe("exception:g-1");
    expect(exceptionClaim({ ...grant, kind: "break-glass" })).toBe("break-glass:g-1");
    expect(exceptionClaim(undefined)).toBeUndefined();
  });

  it("names a would-deny by its rule, else its reason, else true", () => {
    expect(wouldDenyClaim({ wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "wiki/live/no-ann" } })).toBe(
      "wiki/live/no-ann",
    );
    expect(wouldDenyClaim({ wouldDeny: { status: 403, reasons: ["no-matching-rule"] } })).toBe("no-matching-rule");
    expect(wouldDenyClaim({ wouldDeny: { status: 403, reasons: [] } })).toBe(true);
    expect(wouldDenyClaim({})).toBeUndefined();
  });
});
