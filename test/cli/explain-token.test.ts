// `ward explain --token-issuer`: a caller with a workload token of one of the policy's issuers, read by the
// gateway's own code, so what the gateway would refuse is said so and never explained as another caller.
import { describe, expect, it } from "vitest";
import { CliError, EXIT } from "../../scripts/cli-error.ts";
import { explainCommand } from "../../scripts/commands/explain.ts";

const DEMO = "policy/examples/demo.yaml";
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";

async function explain(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await explainCommand([DEMO, ...args], { out: (l) => lines.push(l), err: () => {} });
  return { code, out: lines.join("\n") };
}

describe("ward explain --token-issuer", () => {
  it("explains a JWT-SVID with its scope as the workload it names", async () => {
    const run = await explain(
      "--token-issuer",
      "demo-spire",
      "--as",
      CHECKOUT,
      "--scope",
      "payments:charge",
      "POST",
      "https://payments.localhost/v1/charge",
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.out).toContain(`caller    workload:${CHECKOUT}`);
    const without = await explain(
      "--token-issuer",
      "demo-spire",
      "--as",
      CHECKOUT,
      "POST",
      "https://payments.localhost/v1/charge",
    );
    expect(without.code).toBe(EXIT.denied);
    expect(without.out).toContain("missing scope payments:charge");
  });

  it("maps a service account as the gateway does, and names an OIDC caller by issuer and subject", async () => {
    const cluster = await explain(
      "--token-issuer",
      "demo-cluster",
      "--as",
      "system:serviceaccount:shop:frontend",
      "POST",
      "https://orders.localhost/v1/orders",
    );
    expect(cluster.out).toContain("caller    workload:spiffe://demo.ward.internal/ns/shop/sa/frontend");
    const ci = await explain(
      "--token-issuer",
      "github-actions",
      "--as",
      "repo:ward-demo/orders:ref:refs/heads/main",
      "--claim",
      "repository_owner=ward-demo",
      "--claim",
      "repository=ward-demo/orders",
      "--claim",
      "ref=refs/heads/main",
      "POST",
      "https://orders.localhost/v1/deploys",
    );
    expect(ci.code).toBe(EXIT.ok);
    expect(ci.out).toContain("caller    subject:github-actions/repo:ward-demo/orders:ref:refs/heads/main");
  });

  it.each([
    [
      "an issuer the policy does not name",
      ["--token-issuer", "nobody", "--as", CHECKOUT],
      /not one of the policy's identity.tokenIssuers \(demo-spire, demo-cluster, github-actions\)/,
    ],
    [
      "a SPIFFE ID spelt against the standard",
      ["--token-issuer", "demo-spire", "--as", `${CHECKOUT}/`],
      /no credential \(malformed-spiffe-id\)/,
    ],
    [
      "a SPIFFE ID of another trust domain",
      ["--token-issuer", "demo-spire", "--as", "spiffe://partner.ward.internal/x"],
      /issuer-trust-domain-mismatch/,
    ],
    [
      "another GitHub owner",
      ["--token-issuer", "github-actions", "--as", "repo:mallory/x:ref:refs/heads/main"],
      /required-claims/,
    ],
    [
      "scopes on a Kubernetes token",
      ["--token-issuer", "demo-cluster", "--as", "system:serviceaccount:shop:frontend", "--scope", "x"],
      /carry no scopes/,
    ],
    ["no subject", ["--token-issuer", "demo-spire"], /name the token's subject with --as/],
    [
      "a certificate of another workload",
      [
        "--token-issuer",
        "demo-spire",
        "--as",
        CHECKOUT,
        "--workload",
        "spiffe://demo.ward.internal/ns/shop/sa/frontend",
      ],
      /counts neither/,
    ],
  ])("refuses %s", async (_name, flags, message) => {
    const run = explain(...flags, "POST", "https://payments.localhost/v1/charge");
    await expect(run).rejects.toThrow(CliError);
    await expect(run).rejects.toThrow(message);
  });
});
