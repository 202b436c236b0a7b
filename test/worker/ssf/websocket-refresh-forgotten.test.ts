// An open WebSocket whose groups a security event made stale, once the Denylist object has forgotten that event's
// directory refresh (it keeps one for REFRESH_KEPT_MS, what a cached get-identity answer lives; a connection's
// groups are the upgrade's, and live as long as it does): the groups must stay set aside, or a push that later
// restricts the route to a group the person was taken out of is decided on the groups from before the event.
// Its own file: the object's refresh is aged by hand, and no other connection's checks run meanwhile.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { DENYLIST_NAME, REFRESH_KEPT_MS } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker } from "../support/harness.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { upgrade } from "../websocket/support.ts";
import { ssfPolicy } from "./policy.ts";
import { setPersonAnswer } from "../support/directory.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
/** Check, copy and policy refresh intervals (0.05 s each here), with room. */
const BOUND_MS = 1500;

const liveRoute = (principal: string) => `      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules:
          - { id: live, effect: allow, principals: [${principal}] }
      - id: secure
`;

function policyWith(principal: string): string {
  const { d: _private, ...publicKey } = transmitter;
  const policy = ssfPolicy({ ...publicKey, use: "sig" });
  const withRoute = policy.replace("      - id: secure\n", liveRoute(principal));
  if (withRoute === policy) throw new Error("the ssf test policy changed: no place for the route");
  return withRoute;
}

const OPEN = policyWith("{ authenticated: true }");
const EDITORS_ONLY = policyWith("{ group: wiki-editors }");

beforeAll(async () => {
  await activate(OPEN);
});
afterAll(async () => {
  await activate(OPEN);
});

describe("a connection's groups made stale by an event, after the object forgot the event's refresh", () => {
  it("are not used again: a push that restricts the route to the group ends the connection", async () => {
    const who = "ws-forgotten-refresh@example.com";
    await setPersonAnswer(who, { groups: [{ id: "g-1", name: "wiki-editors" }], devicePosture: {} });
    const token = await accessToken(signing, { email: who, identity_nonce: `n-forgotten-${who}` });
    const { res, client } = await upgrade(`https://wiki.localhost/live?${marker()}`, {
      "cf-access-jwt-assertion": token,
    });
    expect(res.status).toBe(101);
    try {
      // Taken out of the group, and the transmitter says so: the route needs no group, so the connection stays.
      await setPersonAnswer(who, { groups: [], devicePosture: {} });
      const set = await signSet(
        eventSet(EVENT_URIS["token-claims-change"], { claims: { groups: [] } }, { format: "email", email: who }),
        transmitter,
      );
      expect((await push(set)).status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      expect(client!.closed).toBeUndefined();
      // Some minutes on, as far as the object is concerned: the refresh is past what it keeps.
      const stub = (env as unknown as Env).DENYLIST.getByName(DENYLIST_NAME);
      await runInDurableObject(stub, async (_instance, state) => {
        state.storage.sql.exec(
          "UPDATE directory_refresh SET at = at - ? WHERE value = ?",
          REFRESH_KEPT_MS + 60_000,
          who,
        );
      });
      // The isolate's copy is read again without the refresh.
      await new Promise((r) => setTimeout(r, 300));
      expect(client!.closed).toBeUndefined();
      // Now the route is for the group: the person is no longer in it, and a new upgrade would be refused.
      await activate(EDITORS_ONLY);
      expect(await client!.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      client?.socket.close(1000);
    }
  });
});
