// What validation newly refuses in text as written (from a generated review of policy validation) is not held
// against a version already stored: the gateway loads the policy it runs after an upgrade, as it did before,
// or it would answer 503 until a new version is bootstrapped.
import { describe, expect, it } from "vitest";
import { loadStoredDocument, validatePolicyText } from "../../policy/index.ts";
import { oneServicePolicy } from "./support/one-service.ts";
import { spire } from "./support/token-issuers.ts";

const withRule = (rule: Record<string, unknown>) =>
  oneServicePolicy([{ id: "r", methods: ["GET"], path: "/x", rules: [rule] }]);

/** Refused as written with `code` at `path`; loaded as a stored version. */
function newlyRefused(doc: unknown, code: string, path: string): void {
  const text = JSON.stringify(doc);
  expect(validatePolicyText(text).issues).toContainEqual(expect.objectContaining({ code, path }));
  expect(validatePolicyText(text, { stored: true }).ok).toBe(true);
  expect(loadStoredDocument(text, "0".repeat(64)).ok).toBe(true);
}

describe("a version stored before", () => {
  it("loads with a window its instants' ten fraction digits now leave empty", () => {
    const when = { time: { notBefore: "2026-03-02T09:00:00.100Z", notAfter: "2026-03-02T09:00:00.0500000000Z" } };
    newlyRefused(
      withRule({ id: "freeze", effect: "deny", principals: [{ group: "dev" }], when }),
      "invalid-time-window",
      "services.app.routes[0].rules[0].when.time",
    );
  });

  it("loads with bothFactors and no identity.mtls, a token issuer naming SPIFFE IDs", () => {
    const spiffe = "spiffe://prod.example.com/ci";
    const doc = {
      ...withRule({
        id: "both",
        effect: "deny",
        bothFactors: { workload: [{ spiffe }], access: [{ group: "dev" }], binding: "ci" },
      }),
      identityBindings: { ci: [{ workload: spiffe, access: "ann@example.com" }] },
    };
    doc.identity = { ...doc.identity, tokenIssuers: [spire()] } as typeof doc.identity;
    newlyRefused(doc, "mtls-not-configured", "services.app.routes[0].rules[0].bothFactors.workload");
  });

  it("loads with an emailDomain whose labels are not a host name's", () => {
    newlyRefused(
      withRule({ id: "all", effect: "allow", principals: [{ emailDomain: "-x.com" }] }),
      "invalid-format",
      "services.app.routes[0].rules[0].principals[0].emailDomain",
    );
  });

  it("loads with a pushed key whose key_ops name verify twice", () => {
    const key = { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k0", use: "jwt-svid", key_ops: ["verify", "verify"] };
    const doc = withRule({ id: "all", effect: "allow", principals: [{ group: "dev" }] });
    doc.identity = {
      ...doc.identity,
      tokenIssuers: [spire({ keys: { jwks: { keys: [key] } } })],
    } as typeof doc.identity;
    newlyRefused(doc, "jwks-key-unusable", "identity.tokenIssuers[0].keys.jwks.keys[0]");
  });

  // A closing review: the four errors of a later session, each skipped for a stored version.
  it("loads with a workload named by its trust domain's own ID, in a matcher and a binding", () => {
    const td = "spiffe://prod.example.com";
    const doc: Record<string, any> = withRule({ id: "all", effect: "deny", principals: [{ spiffe: td }] });
    const issuers = [{ dn: "CN=Example Workload CA", trustDomains: ["prod.example.com"] }];
    doc.identity = { ...doc.identity, mtls: { issuers } };
    newlyRefused(doc, "invalid-value", "services.app.routes[0].rules[0].principals[0].spiffe");
    doc.identityBindings = { ci: [{ workload: td, access: "ann@example.com" }] };
    newlyRefused(doc, "invalid-value", "identityBindings.ci[0].workload");
  });

  it("loads with a host over 253 characters", () => {
    const doc = withRule({ id: "all", effect: "allow", principals: [{ group: "dev" }] });
    doc.services.app.hosts = [`${"a.".repeat(126)}com`];
    newlyRefused(doc, "out-of-range", "services.app.hosts[0]");
  });

  it("loads with a route whose literal names an NTFS stream (`:$`), which every request is now refused for", () => {
    const doc = oneServicePolicy([
      {
        id: "r",
        methods: ["GET"],
        path: "/x::$DATA",
        rules: [{ id: "all", effect: "allow", principals: [{ group: "dev" }] }],
      },
    ]);
    newlyRefused(doc, "invalid-path-pattern", "services.app.routes[0].path");
  });

  it("loads with a route literal starting with a space, which requests are now refused for", () => {
    const doc = oneServicePolicy([
      {
        id: "r",
        methods: ["GET"],
        path: "/ admin",
        rules: [{ id: "all", effect: "allow", principals: [{ group: "dev" }] }],
      },
    ]);
    newlyRefused(doc, "invalid-path-pattern", "services.app.routes[0].path");
  });

  it("loads with a rule header named twice in different case", () => {
    newlyRefused(
      withRule({ id: "all", effect: "allow", principals: [{ group: "dev" }], headers: { "x-a": "1", "X-A": "2" } }),
      "invalid-value",
      "services.app.routes[0].rules[0].headers.X-A",
    );
  });
});
