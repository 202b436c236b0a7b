// A directory refresh that reached the Denylist object before an upgrade, but not yet this isolate's copy of it:
// the upgrade is decided on groups the refresh made stale, so the connection's checks must count the refresh as
// later than those groups (they are as old as the copy), not as earlier than the connection. Its own file, so
// its isolate has no other open connection whose checks would refresh the copy in between.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker } from "../support/harness.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { upgrade } from "../websocket/support.ts";
import { ssfPolicy } from "./policy.ts";
import { setPersonAnswer } from "../support/directory.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
const BOUND_MS = 1500;

const EDITORS_ROUTE = `      - id: live-editors
        methods: [GET]
        path: /live-editors
        websocket: true
        rules:
          - { id: editors-live, effect: allow, principals: [{ group: wiki-editors }] }
      - id: secure
`;

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  const policy = ssfPolicy({ ...publicKey, use: "sig" });
  const withRoute = policy.replace("      - id: secure\n", EDITORS_ROUTE);
  if (withRoute === policy) throw new Error("the ssf test policy changed: no place for the route");
  await activate(withRoute);
});

describe("a refresh the isolate's copy has not seen yet at the upgrade", () => {
  it("still ends a connection opened on the groups it made stale", async () => {
    const who = "ws-late-copy@example.com";
    const token = await accessToken(signing, { email: who, identity_nonce: `n-ssf-late-${who}` });
    await setPersonAnswer(who, { groups: [{ id: "g-1", name: "wiki-editors" }], devicePosture: {} });
    // The copy is read, and the person's groups fetched and cached, by a first request.
    const first = await exports.default.fetch(`https://wiki.localhost/live-editors?${marker()}`, {
      headers: { "cf-access-jwt-assertion": token },
    });
    await first.arrayBuffer();
    // Access changes its answer and the transmitter says so; the object records the refresh at once.
    await setPersonAnswer(who, { groups: [], devicePosture: {} });
    const set = await signSet(
      eventSet(EVENT_URIS["token-claims-change"], { claims: { groups: [] } }, { format: "email", email: who }),
      transmitter,
    );
    expect((await push(set)).status).toBe(202);
    // Past the refresh's one-second margin, and before an idle copy is read ahead of answering (5 s): the upgrade
    // is decided on the copy from before the refresh, with the cached groups.
    await new Promise((r) => setTimeout(r, 1_300));
    const { res, client } = await upgrade(`https://wiki.localhost/live-editors?${marker()}`, {
      "cf-access-jwt-assertion": token,
    });
    expect(res.status).toBe(101);
    expect(await client!.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
  });
});
