// The claims of a verified workload token (policy/token-claims.ts): times, scopes, service accounts, and the
// identity each kind of issuer gives. The signature, iss, aud, exp and nbf are the Worker's (jose's) to check.
import { describe, expect, it } from "vitest";
import { decisionLine, parseDecisionLine, type Decision } from "../../policy/index.ts";
import { checkTokenTimes, scopesOf, serviceAccountOf, workloadTokenOf } from "../../policy/token-claims.ts";
import { compileTokenIssuer } from "../../policy/token-issuers.ts";
import { TokenIssuer } from "../../policy/schema.ts";

const NOW = 1_800_000_000;
const limits = { clockSkewSeconds: 30, maxLifetimeSeconds: 300 };

describe("checkTokenTimes", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["a 5-minute token", { iat: NOW, exp: NOW + 300 }, "ok"],
    ["nbf before iat, as GitHub writes it", { iat: NOW, exp: NOW + 300, nbf: NOW - 600 }, "ok"],
    ["iat within the skew", { iat: NOW + 30, exp: NOW + 300 }, "ok"],
    ["one second too long", { iat: NOW, exp: NOW + 301 }, "lifetime-too-long"],
    ["iat past the skew", { iat: NOW + 31, exp: NOW + 300 }, "issued-in-the-future"],
    ["exp before iat", { iat: NOW, exp: NOW - 1 }, "expires-before-issued"],
    ["no iat", { exp: NOW + 300 }, "malformed-time"],
    ["a fraction", { iat: NOW + 0.5, exp: NOW + 300 }, "malformed-time"],
    ["Infinity", { iat: NOW, exp: Number.POSITIVE_INFINITY }, "malformed-time"],
    ["a negative nbf", { iat: NOW, exp: NOW + 300, nbf: -1 }, "malformed-time"],
    ["a string", { iat: String(NOW), exp: NOW + 300 }, "malformed-time"],
  ])("%s", (_name, payload, expected) => {
    const result = checkTokenTimes(payload, limits, NOW);
    expect(result.ok ? "ok" : result.problem).toBe(expected);
  });
});

describe("scopesOf", () => {
  it.each<[string, Record<string, unknown>, string[] | undefined | "refused"]>([
    ["none", {}, undefined],
    ["space-separated", { scope: "payments:read payments:charge" }, ["payments:read", "payments:charge"]],
    ["extra spaces", { scope: " payments:charge  " }, ["payments:charge"]],
    ["scp as a list", { scp: ["payments:charge"] }, ["payments:charge"]],
    ["both", { scope: "a", scp: ["a"] }, "refused"],
    ["scp as a string", { scp: "payments:charge" }, "refused"],
    ["scope as a list", { scope: ["payments:charge"] }, "refused"],
    ["a quote", { scope: 'a"b' }, "refused"],
    ["a backslash", { scp: ["a\\b"] }, "refused"],
    ["a tab", { scope: "a\tb" }, "refused"],
    ["non-ASCII", { scope: "zahlungen:buchen\u00e9" }, "refused"],
    ["a number in scp", { scp: [1] }, "refused"],
  ])("%s", (_name, payload, expected) => {
    const result = scopesOf(payload);
    expect(result.ok ? result.value : "refused").toEqual(expected);
  });
});

describe("serviceAccountOf", () => {
  it.each<[string, { namespace: string; name: string } | undefined]>([
    ["system:serviceaccount:shop:frontend", { namespace: "shop", name: "frontend" }],
    ["system:serviceaccount:kube-system:coredns.v2", { namespace: "kube-system", name: "coredns.v2" }],
    ["system:serviceaccount:shop:frontend:x", undefined],
    ["system:serviceaccount:Shop:frontend", undefined],
    ["system:serviceaccount:shop:front/end", undefined],
    ["system:serviceaccount:shop:", undefined],
    ["system:node:node-a", undefined],
    ["system:serviceaccount:-shop:frontend", undefined],
  ])("%s", (sub, expected) => {
    expect(serviceAccountOf(sub)).toEqual(expected);
  });
});

describe("workloadTokenOf", () => {
  const issuer = (source: object) => compileTokenIssuer(TokenIssuer.parse(source));
  const cluster = issuer({
    name: "cluster",
    kind: "kubernetes",
    issuer: "https://k8s.example.com",
    keys: { jwksUrl: "https://k8s.example.com/keys" },
    trustDomain: "prod.example.com",
    maxLifetime: "1h",
  });
  const bound = { namespace: "shop", serviceaccount: { name: "frontend" } };

  it("maps a service account into the issuer's trust domain, as Istio names workloads", () => {
    const result = workloadTokenOf(
      cluster,
      { sub: "system:serviceaccount:shop:frontend", "kubernetes.io": bound, iat: NOW, exp: NOW + 600, scope: "x" },
      NOW,
    );
    expect(result.ok && result.value.identity.spiffeId).toBe("spiffe://prod.example.com/ns/shop/sa/frontend");
    expect(result.ok && result.value.scopes).toBeUndefined();
  });

  it("refuses a pod-bound claim that names another account, and an empty or unclean subject", () => {
    const other = { namespace: "shop", serviceaccount: { name: "checkout" } };
    const mismatch = workloadTokenOf(
      cluster,
      { sub: "system:serviceaccount:shop:frontend", "kubernetes.io": other, iat: NOW, exp: NOW + 600 },
      NOW,
    );
    expect(mismatch.ok ? "ok" : mismatch.problem).toBe("service-account-mismatch");
    for (const sub of ["", "a\u202eb", 7]) {
      const result = workloadTokenOf(cluster, { sub, iat: NOW, exp: NOW + 600 }, NOW);
      expect(result.ok ? "ok" : result.problem).toBe("malformed-sub");
    }
  });
});

describe("the decision log", () => {
  it("records a workload token's kind, issuer, lifetime and remaining life, and reads them back", () => {
    const decision: Decision = {
      effect: "allow",
      status: 200,
      mode: "enforce",
      reasons: ["allowed-by-rule"],
      principal: "workload:spiffe://prod.example.com/ns/checkout/sa/api",
      obligations: { rateLimits: [], headers: {} },
      policyVersion: "ab".repeat(32),
      trace: [],
    };
    const credential = {
      kind: "workload-token" as const,
      lifetimeSeconds: 300,
      remainingSeconds: 240,
      issuer: "https://spire.prod.example.com",
    };
    const line = decisionLine({
      requestId: "r-1",
      time: NOW * 1000,
      decision,
      request: { method: "POST", host: "payments.example.com", path: "/v1/charge" },
      credential,
      status: 200,
      latencyMs: 1,
    });
    expect(parseDecisionLine(JSON.stringify(line))?.credential).toEqual(credential);
  });
});
