// Validation of a CA pinned to be reached through intermediates the client sends (identity.mtls.issuers[]
// .intermediates, worker/identity/certificate-chain.ts): Ward checks the path itself, so the pinned certificate
// must allow that many intermediates and carry no critical extension Ward would ignore.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validatePolicy } from "../../policy/validate/index.ts";

const pemOf = (file: string) => readFileSync(join(import.meta.dirname, "../fixtures/certs/chain", file), "utf8");

function policyPinning(pin: Record<string, unknown>): unknown {
  return {
    version: 1,
    metadata: { environment: "dev", trustDomains: ["chain.ward.internal"], owners: ["security@example.com"] },
    identity: { mtls: { issuers: [{ ...pin, trustDomains: ["chain.ward.internal"] }] } },
    services: {
      api: {
        hosts: ["api.example.com"],
        origin: { tunnel: "API" },
        owner: "api-team@example.com",
        routes: [
          {
            id: "all",
            methods: ["GET"],
            path: "/v1/orders",
            rules: [
              { id: "shop", effect: "allow", principals: [{ spiffe: "spiffe://chain.ward.internal/ns/shop/sa/api" }] },
            ],
          },
        ],
      },
    },
  };
}

const issuesOf = (pin: Record<string, unknown>) =>
  validatePolicy(policyPinning(pin)).issues.map(({ code, severity, path, message }) => ({
    code,
    severity,
    path,
    message,
  }));

describe("a CA pinned to be reached through intermediates", () => {
  it("is valid when its certificate allows them", () => {
    expect(issuesOf({ certificate: pemOf("chain-root.pem"), intermediates: 3 })).toEqual([]);
    expect(issuesOf({ certificate: pemOf("chain-root.pem"), intermediates: 0 })).toEqual([]);
  });

  it("is refused past its certificate's pathLenConstraint", () => {
    // Direct signing (intermediates 0) is what a pathlen of 0 allows.
    expect(issuesOf({ certificate: pemOf("chain-root-pathlen0.pem") })).toEqual([]);
    expect(issuesOf({ certificate: pemOf("chain-root-pathlen0.pem"), intermediates: 1 })).toEqual([
      {
        code: "invalid-issuer-certificate",
        severity: "error",
        path: "identity.mtls.issuers[0].intermediates",
        message: "the pinned certificate lets at most 0 intermediate CA(s) follow it (its pathLenConstraint), not 1",
      },
    ]);
  });

  it("is refused when its certificate has a constraint Ward does not apply, critical or not", () => {
    for (const [file, oid] of [
      ["chain-name-constrained.pem", "2.5.29.30"],
      ["chain-name-constrained-noncritical.pem", "2.5.29.30"],
    ] as const) {
      const constrained = pemOf(file);
      // Pinned to sign client certificates itself, Cloudflare's verification of the chain applied its constraints.
      expect(issuesOf({ certificate: constrained })).toEqual([]);
      expect(issuesOf({ certificate: constrained, intermediates: 1 })).toContainEqual({
        code: "invalid-issuer-certificate",
        severity: "error",
        path: "identity.mtls.issuers[0].certificate",
        message: `the pinned certificate has constraints Ward does not apply to a chain (extensions ${oid}), so it cannot be reached through intermediates`,
      });
    }
  });

  it("is refused when its certificate's extendedKeyUsage leaves out clientAuth", () => {
    const serversOnly = pemOf("chain-root-eku-server.pem");
    // Pinned to sign client certificates itself, Cloudflare verified the chain.
    expect(issuesOf({ certificate: serversOnly })).toEqual([]);
    expect(issuesOf({ certificate: serversOnly, intermediates: 1 })).toEqual([
      {
        code: "invalid-issuer-certificate",
        severity: "error",
        path: "identity.mtls.issuers[0].certificate",
        message:
          "the pinned certificate's extendedKeyUsage leaves out clientAuth (it is for other purposes), so it cannot be reached through intermediates",
      },
    ]);
    expect(issuesOf({ certificate: pemOf("chain-second-root.pem"), intermediates: 1 })).toEqual([]);
  });

  it("allows at most three, as a whole number", () => {
    for (const intermediates of [4, -1, 1.5, "1"])
      expect(issuesOf({ certificate: pemOf("chain-root.pem"), intermediates })).toContainEqual(
        expect.objectContaining({ severity: "error", path: "identity.mtls.issuers[0].intermediates" }),
      );
  });
});
