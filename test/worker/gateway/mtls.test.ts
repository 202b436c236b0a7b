// The gateway with client certificates, end to end in workerd: in the demo policy checkout and frontend
// workloads may read orders. Every deny also asserts the origin never saw the request.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { activate, originSaw } from "../support/harness.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";

beforeAll(async () => {
  await activate(demoPolicy);
});

async function call(path: string, cf: Record<string, unknown> | undefined, headers: Record<string, string> = {}) {
  const m = `m-${crypto.randomUUID()}`;
  const init: RequestInit = { headers, ...(cf ? { cf } : {}) };
  const res = await exports.default.fetch(`https://orders.localhost${path}?${m}`, init);
  return { res, seen: await originSaw(m) };
}

describe("gateway with client certificates", () => {
  it("forwards the checkout workload to an order read, and client certificate headers never reach the origin", async () => {
    const { res, seen } = await call(
      "/v1/orders/42",
      { tlsClientAuth: await tlsClientAuth(CERTS.checkout) },
      { "Cf-Client-Cert-Sha256": "00" },
    );
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["cf-client-cert-sha256"]).toBeUndefined();
  });

  it.each([
    ["a revoked certificate", { certRevoked: "1" }, 401],
    ["a certificate that failed verification", { certVerified: "FAILED:expired" }, 401],
    ["an unpinned issuer", { certIssuerSKI: "00".repeat(20) }, 401],
  ])("refuses %s and never calls the origin", async (_name, overrides, status) => {
    const { res, seen } = await call("/v1/orders/42", {
      tlsClientAuth: await tlsClientAuth(CERTS.checkout, overrides),
    });
    expect(res.status).toBe(status);
    expect(seen).toEqual([]);
  });

  it("refuses the checkout workload on a route it is not granted (admin) and never calls the origin", async () => {
    const { res, seen } = await call("/admin/users", { tlsClientAuth: await tlsClientAuth(CERTS.checkout) });
    expect(res.status).toBe(403);
    expect(seen).toEqual([]);
  });

  it("logs the decision with the certificate's issued lifetime, for the credential-lifetime metric", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const auth = await tlsClientAuth(CERTS.checkout);
    const { res } = await call("/v1/orders/42", { tlsClientAuth: auth });
    spy.mockRestore();
    expect(res.status).toBe(200);
    const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision")!;
    const lifetime = (Date.parse(String(auth.certNotAfter)) - Date.parse(String(auth.certNotBefore))) / 1000;
    expect(lifetime).toBeGreaterThan(0);
    expect(decision).toMatchObject({
      principal: "workload:spiffe://demo.ward.internal/ns/shop/sa/checkout",
      method: "GET",
      host: "orders.localhost",
      path: "/v1/orders/42",
      credential: { kind: "client-certificate", lifetimeSeconds: lifetime },
    });
    expect(Date.parse(String(decision.time))).toBeGreaterThan(Date.now() - 60_000);
  });

  it.each([
    [
      "a SPIFFE ID of a trust domain its pinned issuer is not bound to",
      CERTS.partnerMintedCheckout,
      "issuer-trust-domain-mismatch",
    ],
    ["a trust domain's ID", CERTS.trustDomainId, "trust-domain-id"],
    ["a second URI SAN", CERTS.severalUriSans, "several-uri-sans"],
    ["a CA's certificate with a SPIFFE ID (an intermediate CA's)", CERTS.intermediateCa, "not-a-leaf"],
  ])("refuses %s as no identity, logs why for operators and tells the client nothing", async (_name, pem, problem) => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const { res, seen } = await call("/v1/orders/42", { tlsClientAuth: await tlsClientAuth(pem) });
    spy.mockRestore();
    const body = await res.text();
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
    expect(body).not.toContain(problem);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((l) => l.event === "client-certificate-rejected")).toMatchObject({ level: "warn", problem });
  });

  it("ignores certificate facts claimed in headers", async () => {
    const facts = JSON.stringify({ tlsClientAuth: await tlsClientAuth(CERTS.checkout) });
    const { res, seen } = await call("/v1/orders/42", undefined, {
      "MF-CF-Blob": facts,
      "Cf-Client-Cert-Verified": "SUCCESS",
    });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });
});
