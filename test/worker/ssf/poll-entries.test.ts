// Poll delivery (RFC 8936) with entries in the transmitter's answer that are no SET Ward takes: each is refused on
// its own, reported in setErrs, and the SETs beside it are taken. Refusing the whole answer held every later SET
// back, since the transmitter delivers the same answer again.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { env } from "cloudflare:workers";
import { activate } from "../support/harness.ts";
import { asPerson } from "../support/person-requests.ts";
import { AUDIENCE, signSet } from "../support/transmitter.ts";
import { POLL_ORIGIN, pollChannel } from "../ssf-poll-endpoint.ts";
import { POLL_ISSUER, ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");
const POLL = pollChannel("entries");
const stub = () => env.SSF_REPLAY.getByName(POLL_ISSUER);
const revoke = (email: string, jti: string = crypto.randomUUID(), over: Record<string, unknown> = {}) => ({
  iss: POLL_ISSUER,
  aud: AUDIENCE,
  iat: Math.floor(Date.now() / 1000),
  jti,
  sub_id: { format: "email", email },
  events: { [EVENT_URIS["session-revoked"]]: {} },
  ...over,
});

async function queueRaw(body: string) {
  const res = await fetch(`${POLL}/queue`, { method: "PUT", body });
  expect(res.status).toBe(204);
}
async function log() {
  return (await (await fetch(`${POLL}/requests`)).json()) as {
    requests: { body: { ack?: string[]; setErrs?: Record<string, unknown> } }[];
    queued: string[];
  };
}
async function pollOnce() {
  const before = await stub().status();
  await stub().startPolling(POLL_ISSUER);
  for (let i = 0; i < 80; i++) {
    await new Promise((r) => setTimeout(r, 25));
    const now = await stub().status();
    if (
      (now.poll?.lastOkAt ?? 0) !== (before.poll?.lastOkAt ?? 0) ||
      (now.poll?.failures ?? 0) !== (before.poll?.failures ?? 0)
    )
      break;
  }
  await new Promise((r) => setTimeout(r, 100));
  return { status: await stub().status(), log: await log() };
}

beforeAll(async () => {
  const { d: _p, ...pub } = transmitter;
  // A poll channel of this file's own (ssf-poll-endpoint.ts): another file's SETs are never taken here.
  await activate(ssfPolicy({ ...pub, use: "sig" }).replace(`${POLL_ORIGIN}/poll`, `${POLL}/poll`));
});

describe("a poll answer with entries that are no SET Ward takes", () => {
  it("a SET under a jti longer than 256 characters is refused alone; the revocation beside it is taken", async () => {
    const who = "poll-behind-long-jti@example.com";
    const longJti = "j".repeat(300);
    const good = revoke(who);
    await queueRaw(
      JSON.stringify({
        sets: {
          [longJti]: await signSet(revoke("long-jti@example.com", longJti), transmitter),
          [good.jti]: await signSet(good, transmitter),
        },
      }),
    );
    await pollOnce();
    const second = await pollOnce();
    // RFC 8936 §2.4 / docs/ssf.md: a SET Ward refuses is reported in setErrs; the others are taken.
    expect(second.log.queued).toEqual([]);
    expect(await asPerson(who)).toMatchObject({ status: 403 });
    expect(second.status.poll?.failures ?? 0).toBe(0);
  });

  it("an entry whose value is not a string is refused alone; the revocation beside it is taken", async () => {
    const who = "poll-behind-number@example.com";
    const good = revoke(who);
    await queueRaw(JSON.stringify({ sets: { "not-a-string": 5, [good.jti]: await signSet(good, transmitter) } }));
    await pollOnce();
    const second = await pollOnce();
    expect(second.log.queued).toEqual([]);
    expect(await asPerson(who)).toMatchObject({ status: 403 });
  });

  it("a SET refused under the jti __proto__ is reported in setErrs, and so not delivered again", async () => {
    const bad = revoke("proto-jti@example.com", "__proto__", { aud: "https://elsewhere.example/" });
    await queueRaw(`{"sets":{"__proto__":${JSON.stringify(await signSet(bad, transmitter))}}}`);
    const first = await pollOnce();
    expect(first.log.queued).toEqual([]);
    const reported = first.log.requests.flatMap((r) => Object.keys(r.body.setErrs ?? {}));
    expect(reported).toContain("__proto__");
  });
});
