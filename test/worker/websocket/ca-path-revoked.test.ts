// An open WebSocket whose client certificate a push trusts through another path (the issuing intermediate pinned
// directly, then its root pinned with `intermediates: 1`, as a rotation-friendly setup does): a `ca` revocation of
// that root refuses the certificate's new requests, so the connection must end too. Its certificate facts are
// the ones its identity relies on now, not those of the path the upgrade was let through by.
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import intermediatePem from "../../fixtures/certs/chain/chain-intermediate.pem?raw";
import leafPem from "../../fixtures/certs/chain/chain-leaf.pem?raw";
import rootPem from "../../fixtures/certs/chain/chain-root.pem?raw";
import { readIssuerCertificate } from "../../../policy/index.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { tlsClientAuth } from "../support/client-certs.ts";
import { Client, MTLS_WS } from "./support.ts";

const API = "spiffe://chain.ward.internal/ns/shop/sa/api";
const TRUST_DOMAIN = "chain.ward.internal";

function skiOf(pem: string): string {
  const read = readIssuerCertificate(pem);
  if (!read.ok) throw new Error(read.problem);
  return read.certificate.ski;
}

/** MTLS_WS with the chain's workload allowed on the stream, its CA pinned as `pin`. */
function policyPinning(pin: Record<string, unknown>): string {
  const doc = parse(MTLS_WS);
  doc.metadata.trustDomains.push(TRUST_DOMAIN);
  doc.identity.mtls.issuers.push(pin);
  const stream = doc.services.orders.routes.find((route: { id: string }) => route.id === "stream");
  stream.rules.push({ id: "chain-api-stream", effect: "allow", principals: [{ spiffe: API }] });
  return JSON.stringify(doc);
}

const INTERMEDIATE_PINNED = policyPinning({ ski: skiOf(intermediatePem), trustDomains: [TRUST_DOMAIN] });
const ROOT_PINNED = policyPinning({ certificate: rootPem, intermediates: 1, trustDomains: [TRUST_DOMAIN] });

const base64Of = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");

/** As Cloudflare reports the chain's leaf, sent with its intermediate. */
const presented = () =>
  tlsClientAuth(leafPem, {
    certIssuerSKI: skiOf(intermediatePem),
    certIssuerDNRFC2253: "CN=Ward Test Chain Intermediate,O=Ward Tests",
    certChainRFC9440: `:${base64Of(intermediatePem)}:`,
    certChainRFC9440TooLarge: false,
  });

async function streamUpgrade(): Promise<{ res: Response; client?: Client; m: string }> {
  const m = marker();
  const res = await exports.default.fetch(`https://orders.localhost/v1/stream?${m}`, {
    headers: { upgrade: "websocket" },
    cf: { tlsClientAuth: await presented() },
  } as RequestInit);
  return res.webSocket ? { res, client: new Client(res.webSocket), m } : { res, m };
}

/** Asked again (a socket it opened closed each time) until `done`: the isolate takes a push up within its interval. */
async function upgradeUntil(done: (status: number) => boolean) {
  let answer = await streamUpgrade();
  for (let i = 0; i < 40 && !done(answer.res.status); i++) {
    answer.client?.socket.close(1000);
    await new Promise((r) => setTimeout(r, 25));
    answer = await streamUpgrade();
  }
  return answer;
}

const denylist = () => (env as unknown as Env).DENYLIST.getByName(DENYLIST_NAME);

beforeAll(async () => {
  await activate(INTERMEDIATE_PINNED);
});
afterAll(async () => {
  await activate(MTLS_WS);
});

describe("an open WebSocket whose certificate a push trusts through its root", () => {
  it("is closed by a `ca` revocation of that root, as its new requests are refused", async () => {
    const opened = await upgradeUntil((status) => status === 101);
    expect(opened.res.status).toBe(101);
    let revocation: string | undefined;
    try {
      // The operator pins the root instead (no push per intermediate rotation): the connection still verifies.
      await activate(ROOT_PINNED);
      await new Promise((r) => setTimeout(r, 300));
      expect(opened.client!.closed).toBeUndefined();
      // Then the root's key leaks: `ward revoke ca <root>`.
      const entry = await denylist().add(
        { kind: "revocation", match: "ca", value: skiOf(rootPem), reason: "root key leaked", expiresAt: null },
        "test",
        Date.now(),
      );
      revocation = entry.id;
      const fresh = await upgradeUntil((status) => status !== 101);
      expect(fresh.res.status).toBe(403);
      expect(await originSaw(fresh.m)).toEqual([]);
      expect(await opened.client!.close(1500)).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      opened.client?.socket.close(1000);
      if (revocation) await denylist().release(revocation, "test", Date.now());
    }
  });
});
