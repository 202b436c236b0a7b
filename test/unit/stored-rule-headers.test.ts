// A rule may not set what forwardHeaders may not name (x-envoy-*, client-ip, x-originating-ip,
// x-middleware-subrequest): refused in text as written, while a version the Ward before stored with one still
// loads, or an upgrade would leave the gateway answering 503 until a new version is bootstrapped (a review).
import { describe, expect, it } from "vitest";
import { loadStoredDocument, validatePolicyText } from "../../policy/index.ts";
import { oneServicePolicy } from "./support/one-service.ts";

const doc = (headers: Record<string, string>) =>
  oneServicePolicy([
    {
      id: "r",
      methods: ["GET"],
      path: "/x",
      rules: [{ id: "all", effect: "allow", principals: [{ group: "dev" }], headers }],
    },
  ]);

describe("rule headers newly reserved", () => {
  it("are refused as written, and load from a stored version; what was always reserved is refused in both", () => {
    const envoy = JSON.stringify(doc({ "x-envoy-upstream-rq-timeout-ms": "30000" }));
    expect(validatePolicyText(envoy).issues).toEqual([
      expect.objectContaining({
        code: "reserved-header",
        path: "services.app.routes[0].rules[0].headers.x-envoy-upstream-rq-timeout-ms",
      }),
    ]);
    expect(validatePolicyText(envoy, { stored: true }).ok).toBe(true);
    expect(loadStoredDocument(envoy, "0".repeat(64)).ok).toBe(true);
    const host = JSON.stringify(doc({ host: "elsewhere.example.com" }));
    expect(loadStoredDocument(host, "0".repeat(64)).ok).toBe(false);
    expect(validatePolicyText(host, { stored: true }).ok).toBe(false);
  });
});
