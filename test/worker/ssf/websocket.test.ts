// Security events and open WebSocket connections, in workerd with the runtime's WebSocket client and the echo
// origin: an event that refuses a person closes their open connections (the denylist, re-read by every check);
// a device reported not compliant, or claims reported changed, end a connection whose route needs the device's
// posture or a group (the facts it was opened with are no longer used), and leave one that needs neither open.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { type Client, upgrade } from "../websocket/support.ts";
import { ssfPolicy } from "./policy.ts";
import { postureOf } from "../support/posture.ts";
import { setPersonAnswer } from "../support/directory.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
/** Check (0.05 s) and copy refresh (0.05 s) intervals here, with room. */
const BOUND_MS = 1500;

const LIVE_ROUTES = `      - id: live-secure
        methods: [GET]
        path: /live-secure
        websocket: true
        rules:
          - { id: compliant-live, effect: allow, principals: [{ authenticated: true }], when: { devicePosture: [disk-encryption] } }
      - id: live-editors
        methods: [GET]
        path: /live-editors
        websocket: true
        rules:
          - { id: editors-live, effect: allow, principals: [{ group: wiki-editors }] }
      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules:
          - { id: people-live, effect: allow, principals: [{ authenticated: true }] }
      - id: secure
`;

async function open(email: string, path: string): Promise<Client> {
  const token = await accessToken(signing, { email, identity_nonce: `n-ssf-ws-${email}` });
  const { res, client } = await upgrade(`https://wiki.localhost${path}?${marker()}`, {
    "cf-access-jwt-assertion": token,
  });
  expect(res.status).toBe(101);
  client!.send("hello");
  expect(await client!.message(0)).toBe("hello");
  return client!;
}

async function send(payload: Record<string, unknown>): Promise<void> {
  expect((await push(await signSet(payload, transmitter))).status).toBe(202);
}

const email = (address: string) => ({ format: "email", email: address });
const compliance = (who: string, current: string) =>
  eventSet(
    EVENT_URIS["device-compliance-change"],
    { current_status: current, previous_status: current === "compliant" ? "not-compliant" : "compliant" },
    { format: "complex", user: email(who), device: { format: "opaque", id: "laptop-9" } },
  );

/** Still open after the checks have run a good many times. */
async function stillOpen(client: Client): Promise<void> {
  await new Promise((r) => setTimeout(r, 400));
  expect(client.closed).toBeUndefined();
  client.send("still");
  expect(await client.message(1)).toBe("still");
}

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  const policy = ssfPolicy({ ...publicKey, use: "sig" });
  const withLive = policy.replace("      - id: secure\n", LIVE_ROUTES);
  if (withLive === policy) throw new Error("the ssf test policy changed: no place for the live routes");
  await activate(withLive);
});

describe("open WebSocket connections and security events", () => {
  it("session-revoked closes the person's open connection with 4403 'access ended'", async () => {
    const who = "ws-revoked@example.com";
    const client = await open(who, "/live");
    await send(eventSet(EVENT_URIS["session-revoked"], {}, email(who)));
    expect(await client.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
  });

  it("device-compliance-change not-compliant closes a connection whose route needs posture, not one that does not", async () => {
    const who = "ws-laptop@example.com";
    await setPersonAnswer(who, { groups: [], devicePosture: postureOf({ "disk-encryption": true }) });
    const secure = await open(who, "/live-secure");
    const plain = await open(who, "/live");
    // Access still says compliant; the transmitter says not.
    await send(compliance(who, "not-compliant"));
    expect(await secure.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
    await stillOpen(plain);
  });

  it("token-claims-change closes a connection opened for a group (reopened, it is decided on what Access says now)", async () => {
    const who = "ws-editor@example.com";
    await setPersonAnswer(who, { groups: [{ id: "g-1", name: "wiki-editors" }], devicePosture: {} });
    const editors = await open(who, "/live-editors");
    const plain = await open(who, "/live");
    await setPersonAnswer(who, { groups: [], devicePosture: {} });
    await send(eventSet(EVENT_URIS["token-claims-change"], { claims: { groups: [] } }, email(who)));
    expect(await editors.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
    await stillOpen(plain);
    const token = await accessToken(signing, { email: who, identity_nonce: `n-ssf-ws-${who}` });
    const m = marker();
    const again = await exports.default.fetch(`https://wiki.localhost/live-editors?${m}`, {
      headers: { upgrade: "websocket", "cf-access-jwt-assertion": token },
    });
    expect(again.status).toBe(403);
    expect(await originSaw(m)).toEqual([]);
  });
});
