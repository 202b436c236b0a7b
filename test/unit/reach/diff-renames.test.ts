// An identity source taken away narrows, unless its credentials still count under another name: then the deny
// rules and revocations that named them no longer reach them, while allow rules still may. "Everyone but X"
// (an allow rule and a deny rule for X) is then everyone. Checked against the gateway's own token code and
// evaluate(), as well as by the lines `ward diff` prints.
import { describe, expect, it } from "vitest";
import {
  buildIndexes,
  compileTokenIssuer,
  diffReach,
  diffWidens,
  evaluate,
  reach,
  validatePolicy,
  workloadTokenOf,
  type CompiledPolicy,
  type Identity,
} from "../../../policy/index.ts";

const NOW = Date.parse("2026-03-02T10:00:00Z");
const SUB = "system:serviceaccount:ci:deployer";

function policy(trustDomain: string | undefined): CompiledPolicy {
  const result = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"], trustDomains: ["prod.example.com"] },
    identity: {
      // Certificates too (the deny rule's SPIFFE ID stays valid to name without the issuer's trustDomain).
      mtls: { issuers: [{ dn: "CN=Workload CA", trustDomains: ["prod.example.com"] }] },
      tokenIssuers: [
        {
          name: "prod-cluster",
          kind: "kubernetes",
          issuer: "https://kubernetes.prod.example.com",
          keys: { jwksUrl: "https://kubernetes.prod.example.com/openid/v1/jwks" },
          ...(trustDomain ? { trustDomain } : {}),
        },
      ],
    },
    services: {
      orders: {
        hosts: ["orders.example.com"],
        origin: { tunnel: "ORDERS" },
        owner: "orders-team@example.com",
        routes: [
          {
            id: "api",
            methods: ["*"],
            pathPrefix: "/",
            rules: [
              // Every workload but the CI deployer.
              {
                id: "no-deployer",
                effect: "deny",
                principals: [{ spiffe: "spiffe://prod.example.com/ns/ci/sa/deployer" }],
              },
              { id: "workloads", effect: "allow", principals: [{ authenticated: true }] },
            ],
          },
        ],
      },
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return buildIndexes(result.policy, trustDomain ?? "none");
}

/** The identity the gateway builds from the deployer's projected token under this policy's issuer. */
function deployer(p: CompiledPolicy): Identity {
  const issuer = compileTokenIssuer(p.document.identity.tokenIssuers![0]!);
  const now = Math.floor(NOW / 1000);
  const verified = workloadTokenOf(
    issuer,
    {
      iss: issuer.issuer,
      sub: SUB,
      aud: "https://orders.example.com",
      iat: now,
      exp: now + 300,
      "kubernetes.io": { namespace: "ci", serviceaccount: { name: "deployer" } },
    },
    now,
  );
  if (!verified.ok) throw new Error(verified.problem);
  return { workloadToken: verified.value.identity };
}

describe("an identity source taken away that renames a credential", () => {
  it("a Kubernetes issuer's trustDomain removed: the denied workload gets in, and ward diff must say so", () => {
    const before = policy("prod.example.com");
    const after = policy(undefined);
    const request = (p: CompiledPolicy) => ({
      method: "POST",
      host: "orders.example.com",
      path: "/v1/orders",
      identity: deployer(p),
    });
    expect(evaluate(before, request(before), NOW).effect).toBe("deny");
    expect(evaluate(after, request(after), NOW).effect).toBe("allow");
    const diff = diffReach(reach(before), reach(after));
    expect(diffWidens(diff)).toBe(true);
    expect(lines(diff)).toEqual([
      "! identity source: - Token issuer prod-cluster (kubernetes, iss https://kubernetes.prod.example.com) names SPIFFE IDs in trust domain prod.example.com",
    ]);
  });

  it("the whole issuer taken away narrows: its tokens no longer count at all", () => {
    const before = policy("prod.example.com");
    const after = policy(undefined);
    delete after.document.identity.tokenIssuers;
    const changes = lines(diffReach(reach(before), reach(after))).filter((l) => l.includes("identity source"));
    expect(changes.length).toBeGreaterThan(1);
    expect(changes.every((l) => l.startsWith("- "))).toBe(true);
  });

  it("a registry mapping taken away widens while certificates' SPIFFE IDs are read, else narrows", () => {
    const registry = [{ fingerprintSha256: "ab".repeat(32), id: "spiffe://prod.example.com/ns/ops/sa/legacy" }];
    const withRegistry = (spiffe: boolean, mapped: boolean) => {
      const p = policy("prod.example.com");
      p.document.identity.mtls = { ...p.document.identity.mtls!, spiffe, ...(mapped ? { registry } : {}) };
      return reach(p);
    };
    const line = `identity source: - mTLS registry ${"ab".repeat(32)} -> spiffe://prod.example.com/ns/ops/sa/legacy`;
    expect(lines(diffReach(withRegistry(true, true), withRegistry(true, false)))).toEqual([`! ${line}`]);
    expect(lines(diffReach(withRegistry(false, true), withRegistry(false, false)))).toEqual([`- ${line}`]);
  });
});

function lines(diff: ReturnType<typeof diffReach>): string[] {
  return diff.settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`);
}
