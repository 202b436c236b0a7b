// A WebSocket opened by a use-limited grant to an Access group, then a security event says the person's claims
// (groups) changed: the groups the upgrade was decided with are dropped (worker/websocket/watch.ts, usableFacts).
// Both connections end: the one whose grant has uses left (grants were matched against the upgrade's facts, stale
// groups included), and the one that spent the grant's last use (a used-up grant was kept on its id alone).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker } from "../support/harness.ts";
import { eventSet, push, signSet } from "../support/transmitter.ts";
import { type Client, upgrade } from "./support.ts";
import { ssfPolicy } from "../ssf/policy.ts";
import { setPersonAnswer } from "../support/directory.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
const BOUND_MS = 1500;

const ROUTES = `      - id: live-granted
        methods: [GET]
        path: /live-granted
        websocket: true
        rules:
          - { id: nobody, effect: allow, principals: [{ email: nobody@example.com }] }
      - id: secure
`;

async function grant(group: string, maxUses: number): Promise<void> {
  const now = Date.now();
  const created = await (env as Env).GRANTS.getByName(grantsShard("wiki")).create(
    {
      kind: "exception",
      principal: { group },
      service: "wiki",
      routes: ["live-granted"],
      methods: ["GET"],
      reason: "group grant, claims change",
      ticket: "GG-1",
      requestedBy: "a@example.com",
      approvedBy: "b@example.com",
      notBefore: now,
      notAfter: now + 3600_000,
      maxUses,
    },
    "test",
    now,
  );
  expect(created.ok).toBe(true);
}

async function open(email: string): Promise<Client> {
  const token = await accessToken(signing, { email, identity_nonce: `n-group-grant-${email}` });
  let r = await upgrade(`https://wiki.localhost/live-granted?${marker()}`, { "cf-access-jwt-assertion": token });
  for (let i = 0; i < 40 && r.res.status !== 101; i++) {
    await new Promise((res) => setTimeout(res, 25));
    r = await upgrade(`https://wiki.localhost/live-granted?${marker()}`, { "cf-access-jwt-assertion": token });
  }
  expect(r.res.status).toBe(101);
  r.client!.send("hello");
  expect(await r.client!.message(0)).toBe("hello");
  return r.client!;
}

const email = (address: string) => ({ format: "email", email: address });

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  const policy = ssfPolicy({ ...publicKey, use: "sig" });
  const withRoutes = policy.replace("      - id: secure\n", ROUTES);
  if (withRoutes === policy) throw new Error("ssf policy changed");
  // A rule that reads groups, so the upgrade's groups are fetched.
  await activate(withRoutes);
});

describe("a WebSocket a group grant let through, the group taken away", () => {
  it.each([
    ["whose grant has uses left", "group-left", 7, 5],
    ["that spent the grant's last use too", "group-usedup", 8, 1],
  ])("ends the connection %s", async (_name, name, id, maxUses) => {
    const who = `${name}@example.com`;
    await setPersonAnswer(who, { groups: [{ id: `g-${id}`, name: `${name}-group` }], devicePosture: {} });
    await grant(`${name}-group`, maxUses);
    const client = await open(who);
    await setPersonAnswer(who, { groups: [], devicePosture: {} });
    const event = eventSet(EVENT_URIS["token-claims-change"], { claims: { groups: [] } }, email(who));
    expect((await push(await signSet(event, transmitter))).status).toBe(202);
    expect(await client.close(BOUND_MS)).toMatchObject({ code: 4403 });
  });
});
