// The gateway with a CA pinned to be reached through one intermediate the client sends (certChainRFC9440):
// the workload whose certificate the pinned root's intermediate signed is forwarded; one a look-alike
// intermediate (the genuine one's name and key identifier, another root's signature) signed is refused as no
// identity, the origin never called, the client told nothing, operators told why.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { parse } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import forgedLeafPem from "../../fixtures/certs/chain/chain-forged-leaf.pem?raw";
import intermediatePem from "../../fixtures/certs/chain/chain-intermediate.pem?raw";
import leafPem from "../../fixtures/certs/chain/chain-leaf.pem?raw";
import lookalikePem from "../../fixtures/certs/chain/chain-lookalike-intermediate.pem?raw";
import rootPem from "../../fixtures/certs/chain/chain-root.pem?raw";
import { readIssuerCertificate } from "../../../policy/index.ts";
import type { DenyEntry } from "../../../worker/denylist/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { eventually } from "../support/person-requests.ts";

const API = "spiffe://chain.ward.internal/ns/shop/sa/api";

beforeAll(async () => {
  const doc = parse(demoPolicy);
  doc.metadata.trustDomains.push("chain.ward.internal");
  doc.identity.mtls.issuers.push({ certificate: rootPem, intermediates: 1, trustDomains: ["chain.ward.internal"] });
  const read = doc.services.orders.routes.find((route: { id: string }) => route.id === "read");
  read.rules.push({ id: "chain-api-reads", effect: "allow", principals: [{ spiffe: API }] });
  await activate(JSON.stringify(doc));
});

const base64Of = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");

/** As Cloudflare reports a leaf the intermediate `issuer` signed, sent with that intermediate. */
async function presented(leaf: string, issuer: string) {
  const read = readIssuerCertificate(issuer);
  if (!read.ok) throw new Error(read.problem);
  return tlsClientAuth(leaf, {
    certIssuerSKI: read.certificate.ski,
    certIssuerDNRFC2253: "CN=Ward Test Chain Intermediate,O=Ward Tests",
    certChainRFC9440: `:${base64Of(issuer)}:`,
    certChainRFC9440TooLarge: false,
  });
}

async function call(tlsClientAuth: Record<string, unknown>) {
  const m = marker();
  const res = await exports.default.fetch(`https://orders.localhost/v1/orders/42?${m}`, { cf: { tlsClientAuth } });
  return { res, seen: await originSaw(m) };
}

const signing = inject("accessPrivateJwk");

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const email = "admin@example.com";
  headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-chain-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`https://ward.localhost/.ward/admin${path}`, { ...init, headers });
}

/** The status and how many requests the origin saw, as `eventually` polls them. */
async function statusOf(auth: Record<string, unknown>) {
  const { res, seen } = await call(auth);
  return { status: res.status, seen: seen.length };
}

describe("gateway with a CA reached through an intermediate the client sends", () => {
  it("forwards the workload whose certificate the pinned root's intermediate signed", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const auth = await presented(leafPem, intermediatePem);
    const started = Date.now();
    const { res, seen } = await call(auth);
    spy.mockRestore();
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    // The decision log describes the certificate itself: its own notAfter, not its intermediate's earlier one
    // (the identity still ends with the intermediate: mtls-certificate-chain identity tests).
    const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision")!;
    const remaining = (decision.credential as { remainingSeconds: number }).remainingSeconds;
    const own = Math.floor(Date.parse(String(auth.certNotAfter)) / 1000) - Math.floor(started / 1000);
    expect(Math.abs(remaining - own)).toBeLessThanOrEqual(1);
  });

  it("refuses every certificate below a revoked intermediate (`ca`, its key identifier) until it is lifted", async () => {
    const through = await presented(leafPem, intermediatePem);
    const direct = await tlsClientAuth(CERTS.checkout);
    const read = readIssuerCertificate(intermediatePem);
    if (!read.ok) throw new Error(read.problem);
    // As openssl prints it: upper case, colons.
    const written = read.certificate.ski.toUpperCase().match(/../g)!.join(":");
    const res = await admin("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "ca", value: written, reason: "intermediate key leaked" }),
    });
    expect(res.status).toBe(201);
    const { entry } = (await res.json()) as { entry: DenyEntry };
    expect(entry).toMatchObject({ match: "ca", value: read.certificate.ski });
    expect(await eventually(() => statusOf(through), 403)).toEqual({ status: 403, seen: 0 });
    // A certificate the demo's own CA issued relies on no CA the entry names.
    expect(await statusOf(direct)).toEqual({ status: 200, seen: 1 });
    expect((await admin(`/denylist/${entry.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await eventually(() => statusOf(through), 200)).toEqual({ status: 200, seen: 1 });
  });

  it("refuses the certificates below a revoked root the path reached, whatever the issuer is reported as", async () => {
    const read = readIssuerCertificate(rootPem);
    if (!read.ok) throw new Error(read.problem);
    const res = await admin("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "ca", value: read.certificate.ski, reason: "root retired" }),
    });
    expect(res.status).toBe(201);
    const { entry } = (await res.json()) as { entry: DenyEntry };
    // Without certIssuerSKI too: the root is named by the path Ward verified, not by Cloudflare's report.
    const unnamed = { ...(await presented(leafPem, intermediatePem)), certIssuerSKI: "" };
    expect(await eventually(() => statusOf(unnamed), 403)).toEqual({ status: 403, seen: 0 });
    expect((await admin(`/denylist/${entry.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await eventually(() => statusOf(unnamed), 200)).toEqual({ status: 200, seen: 1 });
  });

  it("refuses a `ca` revocation that is not a key identifier, and stores nothing", async () => {
    const res = await admin("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "ca", value: "CN=Ward Test Chain Intermediate", reason: "by name" }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/^ca CN=Ward Test Chain Intermediate: expected /);
    // A digit dropped in copying: a key identifier is whole bytes.
    const read = readIssuerCertificate(intermediatePem);
    if (!read.ok) throw new Error(read.problem);
    const short = await admin("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "ca", value: read.certificate.ski.slice(0, -1), reason: "typo" }),
    });
    expect(short.status).toBe(422);
  });

  it("refuses a look-alike intermediate's certificate as no identity and never calls the origin", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const { res, seen } = await call(await presented(forgedLeafPem, lookalikePem));
    spy.mockRestore();
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
    expect(await res.text()).not.toMatch(/pinned|chain|intermediate/i);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((l) => l.event === "client-certificate-rejected")).toMatchObject({
      level: "warn",
      problem: "issuer-not-pinned",
    });
  });
});
