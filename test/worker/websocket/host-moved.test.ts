// An open WebSocket is judged against the service it was opened to, not whichever service its host names now:
// when a pushed policy moves the host to another service, the connection to the old service's origin ends
// (4403, cause policy) once no policy lets this caller reach that service, even though the new service would
// let the same request through.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { captureLog, upgrade, WS_POLICY } from "./support.ts";

const signing = inject("accessPrivateJwk");

const EMPLOYEES_LIVE =
  "id: employees-live\n            effect: allow\n            principals: [{ emailDomain: example.com }]";
const WIKI_HOST = "  wiki:\n    hosts: [wiki.localhost]\n    origin: { tunnel: WIKI }\n";

/**
 * The wiki moves to wiki-old.localhost and its live channel is for SREs only; wiki.localhost now belongs to another
 * service, chat, behind another origin binding, whose /live admits employees.
 */
const MOVED =
  WS_POLICY.replace(WIKI_HOST, "  wiki:\n    hosts: [wiki-old.localhost]\n    origin: { tunnel: WIKI }\n").replace(
    EMPLOYEES_LIVE,
    "id: employees-live\n            effect: allow\n            principals: [{ group: sre }]",
  ) +
  `
  chat:
    hosts: [wiki.localhost]
    origin: { tunnel: ORDERS_API }
    owner: chat-team@example.com
    routes:
      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules:
          - id: employees-chat
            effect: allow
            principals: [{ emailDomain: example.com }]
`;
if (!MOVED.includes("wiki-old.localhost") || !MOVED.includes("[{ group: sre }]")) throw new Error("WS_POLICY changed");

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

describe("an open WebSocket whose host a pushed policy gives to another service", () => {
  it("is closed: the service it was opened to now refuses the caller", async () => {
    const jwt = await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-moved" });
    const opened = await upgrade(`https://wiki.localhost/live?${marker()}`, { "cf-access-jwt-assertion": jwt });
    expect(opened.res.status).toBe(101);
    try {
      await activate(MOVED);
      // The wiki (where the socket goes) now refuses ann on its live channel...
      let old: Response | undefined;
      let m = "";
      for (let i = 0; i < 40; i++) {
        m = marker();
        old = await exports.default.fetch(`https://wiki-old.localhost/live?${m}`, {
          headers: { upgrade: "websocket", "cf-access-jwt-assertion": jwt },
        });
        if (old.status === 403) break;
        old.webSocket?.close(1000);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(old!.status).toBe(403);
      expect(await originSaw(m)).toEqual([]);
      // ...so the socket ann opened to the wiki's origin must end within the bound (check + refresh, here 0.1 s).
      const closed = await opened.client!.close(1500).catch((e: Error) => e);
      expect(closed).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      opened.client?.socket.close(1000);
      await activate(WS_POLICY);
    }
  });
});
