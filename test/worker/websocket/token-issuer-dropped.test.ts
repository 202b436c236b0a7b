// An open WebSocket opened with a client certificate and a JWT-SVID of the same workload (the token's scopes were
// asserted to the origin), when the policy drops the token's issuer: the certificate alone would still be let
// through, and the token names no part of the principal key the certificate does not, yet the connection ends
// (policy/websocket/still-names.ts): the origin must not go on believing scopes no credential now grants.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { activate, marker } from "../support/harness.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { workloadToken } from "../support/workload-tokens.ts";
import { captureLog, Client, MTLS_WS } from "./support.ts";

const SPIRE = / {4}# JWT-SVIDs of the demo's SPIRE server[\s\S]*?maxLifetime: 5m\n/;
const NO_SPIRE = MTLS_WS.replace(SPIRE, "");
if (NO_SPIRE === MTLS_WS) throw new Error("spire issuer changed");

async function upgradeWithToken(forged = false): Promise<{ res: Response; client?: Client }> {
  const token = await workloadToken({
    issuer: "spire",
    claims: { aud: ["https://orders.localhost"], scope: "orders:admin" },
    ...(forged ? { signedBy: "cluster" as const } : {}),
  });
  const res = await exports.default.fetch(`https://orders.localhost/v1/stream?${marker()}`, {
    headers: { upgrade: "websocket", authorization: `Bearer ${token}` },
    cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) },
  } as RequestInit);
  return res.webSocket ? { res, client: new Client(res.webSocket) } : { res };
}

let log: ReturnType<typeof captureLog>;
beforeAll(async () => {
  await activate(MTLS_WS);
});
beforeEach(() => {
  log = captureLog();
});
afterEach(() => {
  log.stop();
});

describe("an open WebSocket whose workload token's issuer is dropped", () => {
  it("is closed, although its certificate names the same workload", async () => {
    let opened = await upgradeWithToken();
    for (let i = 0; i < 40 && opened.res.status !== 101; i++) {
      await new Promise((r) => setTimeout(r, 25));
      opened = await upgradeWithToken();
    }
    expect(opened.res.status).toBe(101);
    // The token was verified and counted (a rejected one is logged and ignored beside a certificate).
    const rejected = () => log.lines.filter((l) => JSON.stringify(l).includes("workload-token-rejected"));
    expect(rejected()).toEqual([]);
    // (Control: a forged one is logged as rejected.)
    const forged = await upgradeWithToken(true);
    forged.client?.socket.close(1000);
    expect(rejected().length).toBe(1);
    try {
      // The SPIRE issuer is dropped (its signing key leaked, say): the scopes its token gave count no more.
      await activate(NO_SPIRE);
      const closed = await opened.client!.close(1500).catch((e: Error) => e);
      expect(closed).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      opened.client?.socket.close(1000);
      await activate(MTLS_WS);
    }
  });
});
