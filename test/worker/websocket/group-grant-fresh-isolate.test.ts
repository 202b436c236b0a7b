// A WebSocket a group grant let through, on an isolate with no copy of the denylist yet (a fresh one), for a
// person a security event named minutes before: the groups are fetched after that event, so the connection goes
// on. The policy reads no groups and no posture, so the upgrade identifies the caller before any copy is read
// (worker/gateway.ts), and again with groups once decide() has read one: what the groups are as of is that copy
// (from a review: it was taken before the first identification, when there was none, and the old refresh the
// copy then held closed the connection at its first check). Its own file: the isolate's copy is forgotten.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { setPersonAnswer } from "../support/directory.ts";
import { activate, marker } from "../support/harness.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "../ssf/policy.ts";
import { upgrade } from "./support.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
/** Several checks (every 0.05 s here) and copy refreshes. */
const OPEN_FOR_MS = 1500;

/** The ssf policy's wiki with a WebSocket route nobody may open but by a grant, and no rule on groups or posture. */
function policy(): string {
  const { d: _private, ...publicKey } = transmitter;
  const text = ssfPolicy({ ...publicKey, use: "sig" });
  const start = text.indexOf("      - id: secure\n");
  const end = text.indexOf("      - id: read\n");
  if (start < 0 || end < start) throw new Error("ssf policy changed");
  const route = `      - id: live-granted
        methods: [GET]
        path: /live-granted
        websocket: true
        rules:
          - { id: nobody, effect: allow, principals: [{ email: nobody@example.com }] }
`;
  return text.slice(0, start) + route + text.slice(end);
}

beforeAll(async () => {
  await activate(policy());
  const now = Date.now();
  const created = await (env as Env).GRANTS.getByName(grantsShard("wiki")).create(
    {
      kind: "exception",
      principal: { group: "fresh-isolate-group" },
      service: "wiki",
      routes: ["live-granted"],
      methods: ["GET"],
      reason: "group grant, fresh isolate",
      ticket: "GG-2",
      requestedBy: "a@example.com",
      approvedBy: "b@example.com",
      notBefore: now,
      notAfter: now + 3600_000,
    },
    "test",
    now,
  );
  expect(created.ok).toBe(true);
});

describe("a group grant's WebSocket on an isolate with no denylist copy yet", () => {
  it("is not closed by a directory refresh recorded before the upgrade", async () => {
    const who = "fresh-isolate@example.com";
    const event = eventSet(
      EVENT_URIS["token-claims-change"],
      { claims: { groups: [] } },
      { format: "email", email: who },
    );
    expect((await push(await signSet(event, transmitter))).status).toBe(202);
    await setPersonAnswer(who, { groups: [{ id: "g-fresh", name: "fresh-isolate-group" }], devicePosture: {} });
    // Past the refresh's one-second margin: groups fetched now are after it.
    await new Promise((r) => setTimeout(r, 1_200));
    resetDenylistCache();
    const token = await accessToken(signing, { email: who, identity_nonce: `n-fresh-isolate-${who}` });
    const { res, client } = await upgrade(`https://wiki.localhost/live-granted?${marker()}`, {
      "cf-access-jwt-assertion": token,
    });
    expect(res.status).toBe(101);
    await new Promise((r) => setTimeout(r, OPEN_FOR_MS));
    expect(client!.closed).toBeUndefined();
    client!.send("hello");
    expect(await client!.message(0)).toBe("hello");
    client!.socket.close(1000);
  });
});
