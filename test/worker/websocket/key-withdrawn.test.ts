// An open WebSocket whose credential's signing key the issuer withdraws (Access's answer to a leaked key), with no
// policy pushed: a new request stops being let through once the isolate's key set and its cached verification
// have aged out (KEYS_MAX_AGE_MS each), and the open connection is identified again at most REIDENTIFY_MS later,
// rather than lasting until its token's `exp`. The clock is moved on (Date only: the checks still tick in real
// time); a control moves it the same way with the key still published, and the connection goes on.
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { KEYS_MAX_AGE_MS } from "../../../worker/identity/issuer-keys.ts";
import { REIDENTIFY_MS } from "../../../worker/websocket/watch.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker } from "../support/harness.ts";
import { EGRESS_WITHDRAWN } from "../issuer-endpoints.ts";
import { captureLog, type Client, upgrade, until, WS_POLICY } from "./support.ts";

// A team domain of this file's own, with the demo's key (vitest.config.ts): test files run side by side, and one
// whose isolate fetched the demo team's set while it was withdrawn here would keep the empty set for minutes.
const TEAM = "https://ward-withdrawn.cloudflareaccess.com";
const CERTS = `${TEAM}/cdn-cgi/access/certs`;
const signing = inject("accessPrivateJwk");

// /live with an idle timeout longer than the clock is moved, so that only access can end it.
const LONG_IDLE = WS_POLICY.replace(
  "        path: /live\n        websocket: true\n",
  "        path: /live\n        websocket: { idleTimeout: 1h }\n",
).replace("teamDomain: https://ward-demo.cloudflareaccess.com", `teamDomain: ${TEAM}`);
if (!LONG_IDLE.includes("idleTimeout: 1h") || !LONG_IDLE.includes(TEAM)) throw new Error("the demo policy changed");

/** Past the key set's age, the cached verification's, and the next identification. */
const LATER_MS = 2 * KEYS_MAX_AGE_MS + REIDENTIFY_MS;

/**
 * Moves the clock on, past every earlier test's move too: the isolate's key set and verified tokens keep the
 * times they were fetched and verified at, so a test that moved it less far would find them fresh.
 */
let ahead = 0;
function moveClockOn(): void {
  ahead += LATER_MS;
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() + ahead);
}

async function withdrawKeys(withdrawn: boolean): Promise<void> {
  const url = `${EGRESS_WITHDRAWN}?url=${encodeURIComponent(CERTS)}&withdrawn=${withdrawn ? 1 : 0}`;
  expect((await fetch(url)).status).toBe(204);
}

/** An open connection to /live for ann, with a token that lives well past LATER_MS. */
async function openLive(): Promise<{ res: Response; client: Client }> {
  const token = await accessToken(
    signing,
    { email: "ann@example.com", identity_nonce: "n-ws-keys", iss: TEAM },
    { ttl: 7200 },
  );
  let opened = await upgrade(`https://wiki.localhost/live?${marker()}`, { "cf-access-jwt-assertion": token });
  for (let i = 0; i < 40 && opened.res.status !== 101; i++) {
    await new Promise((r) => setTimeout(r, 25));
    opened = await upgrade(`https://wiki.localhost/live?${marker()}`, { "cf-access-jwt-assertion": token });
  }
  expect(opened.res.status).toBe(101);
  return { res: opened.res, client: opened.client! };
}

let log: ReturnType<typeof captureLog>;
beforeAll(async () => {
  await activate(LONG_IDLE);
});
beforeEach(() => {
  log = captureLog();
});
afterEach(async () => {
  log.stop();
  vi.useRealTimers();
  await withdrawKeys(false);
});

const closeLineOf = (res: Response) =>
  log.lines.find((l) => l.event === "websocket-closed" && l.requestId === res.headers.get("ward-request-id"));

describe("an open WebSocket whose Access signing key is withdrawn", () => {
  it("goes on while the key is still published (control: the clock alone ends nothing)", async () => {
    const { client } = await openLive();
    try {
      moveClockOn();
      // Twenty checks' worth (0.05 s each here), the identification among them.
      await new Promise((r) => setTimeout(r, 1000));
      const seen = client.messages.length;
      client.send("still here");
      expect(await client.message(seen)).toBe("still here");
      expect(client.closed).toBeUndefined();
    } finally {
      client.socket.close(1000);
    }
  });

  it("is closed once the key set without it is fetched, with no policy pushed", async () => {
    const { res, client } = await openLive();
    try {
      await withdrawKeys(true);
      moveClockOn();
      const closed = await client.close(1500).catch((e: Error) => e);
      expect(closed).toMatchObject({ code: 4403, reason: "access ended" });
      await until(() => closeLineOf(res) !== undefined, 1500);
      expect(closeLineOf(res)).toMatchObject({ cause: "policy" });
    } finally {
      client.socket.close(1000);
    }
  });
});
