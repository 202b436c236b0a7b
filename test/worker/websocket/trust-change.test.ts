// An open WebSocket when a pushed policy stops trusting the credential that opened it (an Access application's
// audience removed, a leaked CA unpinned): a new request with that credential is refused, and so the open
// connection is closed at its next check, not left up until the credential's own expiry (a certificate's notAfter
// can be months away). A policy change that still trusts it leaves the connection alone.
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { captureLog, Client, upgrade, MTLS_WS, WS_POLICY } from "./support.ts";
import { exports } from "cloudflare:workers";

/** The same, with the workload CA no longer pinned (its key leaked): only the partner CA remains. */
const CA_PIN = `      - ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2" # test/fixtures/certs/ca.pem
        trustDomains: [demo.ward.internal] # the only SPIFFE IDs this CA may issue
`;
const MTLS_WS_UNPINNED = MTLS_WS.replace(CA_PIN, "");
if (MTLS_WS_UNPINNED === MTLS_WS) throw new Error("CA pin changed");

/** An upgrade and the marker its URL carries (to ask the origin whether it saw it). */
type Asked = { res: Response; client?: Client; m: string };

async function certUpgrade(): Promise<Asked> {
  const m = marker();
  const res = await exports.default.fetch(`https://orders.localhost/v1/stream?${m}`, {
    headers: { upgrade: "websocket" },
    cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) },
  } as RequestInit);
  return res.webSocket ? { res, client: new Client(res.webSocket), m } : { res, m };
}

async function liveUpgrade(path: string, jwt: string): Promise<Asked> {
  const m = marker();
  return { ...(await upgrade(`https://wiki.localhost${path}?${m}`, { "cf-access-jwt-assertion": jwt })), m };
}

/**
 * An upgrade asked again (a socket it opened closed each time) until `done`: the isolate takes a pushed policy up
 * within its refresh interval.
 */
async function upgradeUntil(ask: () => Promise<Asked>, done: (status: number) => boolean): Promise<Asked> {
  let answer = await ask();
  for (let i = 0; i < 40 && !done(answer.res.status); i++) {
    answer.client?.socket.close(1000);
    await new Promise((r) => setTimeout(r, 25));
    answer = await ask();
  }
  return answer;
}

const signing = inject("accessPrivateJwk");
const OLD_AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const NEW_AUD = "9999999999999999999999999999999999999999999999999999999999999999";

let log: ReturnType<typeof captureLog>;
beforeAll(async () => {
  await activate(WS_POLICY);
});
beforeEach(() => {
  log = captureLog();
});
afterEach(() => {
  log.stop();
});

describe("an open WebSocket when the policy stops trusting its credential", () => {
  it("stays open across a push that still trusts its credential", async () => {
    const jwt = await accessToken(signing, { email: "tess@example.com", identity_nonce: "n-tess" });
    const opened = await upgrade(`https://wiki.localhost/live?${marker()}`, { "cf-access-jwt-assertion": jwt });
    expect(opened.res.status).toBe(101);
    try {
      // Another audience added beside the one that verified the token: a new version, the same trust.
      await activate(WS_POLICY.replace(`audiences: ["${OLD_AUD}"]`, `audiences: ["${OLD_AUD}", "${NEW_AUD}"]`));
      const closed = await opened.client!.close(600).catch((e: Error) => e);
      expect(closed).toBeInstanceOf(Error);
      expect(String(closed)).toContain("still open");
    } finally {
      opened.client?.socket.close(1000);
      await activate(WS_POLICY);
    }
  });

  it("is closed once the Access audience that verified its token is no longer configured", async () => {
    const jwt = await accessToken(signing, { email: "tess@example.com", identity_nonce: "n-tess" });
    const opened = await upgrade(`https://wiki.localhost/live?${marker()}`, { "cf-access-jwt-assertion": jwt });
    expect(opened.res.status).toBe(101);
    try {
      // The operator removes the Access application (e.g. its AUD leaked) and pushes.
      await activate(WS_POLICY.replace(`audiences: ["${OLD_AUD}"]`, `audiences: ["${NEW_AUD}"]`));
      // A new request with the very same credential is no longer let through...
      const fresh = await upgradeUntil(
        () => liveUpgrade("/live", jwt),
        (status) => status !== 101,
      );
      expect(fresh.res.status).toBe(401);
      expect(await originSaw(fresh.m)).toEqual([]);
      // ...so the open socket must be closed within the documented bound (check + policy refresh, here 0.1 s).
      const closed = await opened.client!.close(1500).catch((e: Error) => e);
      expect(closed).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      opened.client?.socket.close(1000);
      await activate(WS_POLICY);
    }
  });

  it("is closed once its person no longer verifies, even on a route that would admit the rest (anyone)", async () => {
    const open = WS_POLICY.replace(
      "      - id: live\n",
      "      - id: pub-live\n        methods: [GET]\n        path: /pub-live\n        websocket: true\n        rules:\n          - { id: anyone, effect: allow, principals: [{ public: true }] }\n      - id: live\n",
    );
    expect(open).not.toBe(WS_POLICY);
    await activate(open);
    const jwt = await accessToken(signing, { email: "mal@example.com", identity_nonce: "n-mal" });
    const opened = await upgradeUntil(
      () => liveUpgrade("/pub-live", jwt),
      (status) => status === 101,
    );
    expect(opened.res.status).toBe(101);
    try {
      // The origin was told (its assertion) that this connection is mal's; mal's token no longer counts.
      await activate(open.replace(`audiences: ["${OLD_AUD}"]`, `audiences: ["${NEW_AUD}"]`));
      const closed = await opened.client!.close(1500).catch((e: Error) => e);
      expect(closed).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      opened.client?.socket.close(1000);
      await activate(WS_POLICY);
    }
  });

  it("is closed once the CA that issued its client certificate is unpinned", async () => {
    await activate(MTLS_WS);
    const opened = await upgradeUntil(certUpgrade, (status) => status === 101);
    expect(opened.res.status).toBe(101);
    try {
      await activate(MTLS_WS_UNPINNED);
      const fresh = await upgradeUntil(certUpgrade, (status) => status !== 101);
      // A new request with the same certificate is refused (the issuer is not pinned any more)...
      expect(fresh.res.status).toBe(401);
      expect(await originSaw(fresh.m)).toEqual([]);
      // ...but the socket it opened before stays up until the certificate's notAfter (months, for a CA leak).
      const closed = await opened.client!.close(1500).catch((e: Error) => e);
      expect(closed).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      opened.client?.socket.close(1000);
      await activate(WS_POLICY);
    }
  });
});
