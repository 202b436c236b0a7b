// Poll delivery (RFC 8936) in workerd: Ward's SsfReplay object polls a local transmitter that only offers polling
// (test/worker/ssf-poll-endpoint.ts) with the secret's Authorization, takes each SET exactly as a pushed one
// (events take effect, bad SETs are refused and change nothing, replays change nothing), acknowledges what it
// took, reports what it refused in setErrs with the RFC 8935 code, asks for at most maxEvents at once, and never
// follows a redirect.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { activate } from "../support/harness.ts";
import { asPerson } from "../support/person-requests.ts";
import { AUDIENCE, signSet } from "../support/transmitter.ts";
import { POLL_ORIGIN } from "../ssf-poll-endpoint.ts";
import { POLL_ISSUER, ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");

interface PollLog {
  requests: {
    authorization: string | null;
    body: {
      ack?: string[];
      setErrs?: Record<string, { err: string }>;
      maxEvents?: number;
      returnImmediately?: boolean;
    };
  }[];
  queued: string[];
  elsewhere: number;
}

const pollerStub = () => env.SSF_REPLAY.getByName(POLL_ISSUER);

function set(uri: string, subject: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return {
    iss: POLL_ISSUER,
    aud: AUDIENCE,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    sub_id: subject,
    events: { [uri]: {} },
    ...over,
  };
}
const revoke = (email: string, over: Record<string, unknown> = {}) =>
  set(EVENT_URIS["session-revoked"], { format: "email", email }, over);

async function queue(
  sets: Record<string, string>,
  options: { redirect?: boolean; oversized?: boolean; raw?: string } = {},
): Promise<void> {
  const res = await fetch(`${POLL_ORIGIN}/queue`, { method: "PUT", body: JSON.stringify({ sets, ...options }) });
  expect(res.status).toBe(204);
}

async function pollLog(): Promise<PollLog> {
  return (await (await fetch(`${POLL_ORIGIN}/requests`)).json()) as PollLog;
}

/** Starts the poller now and waits until the transmitter's queue is empty (everything acknowledged or refused). */
async function pollUntilDrained(): Promise<PollLog> {
  await pollerStub().startPolling(POLL_ISSUER);
  let log = await pollLog();
  for (let i = 0; i < 80 && (log.queued.length > 0 || log.requests.length === 0); i++) {
    await new Promise((r) => setTimeout(r, 25));
    log = await pollLog();
  }
  // The acknowledgement request follows the one that brought the SETs.
  await new Promise((r) => setTimeout(r, 50));
  return pollLog();
}

async function eventually(who: string, status: number) {
  let last = await asPerson(who);
  for (let i = 0; i < 40 && last.status !== status; i++) {
    await new Promise((r) => setTimeout(r, 25));
    last = await asPerson(who);
  }
  return last;
}

const acked = (log: PollLog) => log.requests.flatMap((r) => r.body.ack ?? []);
const errs = (log: PollLog) => Object.assign({}, ...log.requests.map((r) => r.body.setErrs ?? {}));

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  await activate(ssfPolicy({ ...publicKey, use: "sig" }));
});

describe("poll delivery (RFC 8936)", () => {
  it("takes polled SETs: their events take effect, and they are acknowledged with the policy's secret", async () => {
    const who = "polled@example.com";
    expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
    const revoked = revoke(who);
    await queue({ [revoked.jti]: await signSet(revoked, transmitter) });
    const log = await pollUntilDrained();
    expect(acked(log)).toEqual([revoked.jti]);
    expect(errs(log)).toEqual({});
    expect(log.requests[0]).toMatchObject({
      authorization: "Bearer poll-secret",
      body: { ack: [], returnImmediately: true, maxEvents: 2 },
    });
    expect(await eventually(who, 403)).toEqual({ status: 403, seen: 0 });
    expect((await pollerStub().status()).poll).toMatchObject({ failures: 0, lastError: null });
  });

  it("a SET it cannot read is refused in setErrs and holds back none delivered after it", async () => {
    const who = "behind-the-unreadable@example.com";
    expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
    let nested: unknown = 1;
    for (let i = 0; i < 8_000; i++) nested = [nested];
    const unreadable = set(EVENT_URIS["session-revoked"], { format: "email", email: who, x: nested });
    // Nested as deep outside the subject: in an event's payload, and in a claim of its own (from a review: the
    // receiver's digest of the claims overflowed the stack, and the poll stopped at it).
    const deepEvent = set(
      EVENT_URIS["session-revoked"],
      { format: "email", email: who },
      {
        events: { [EVENT_URIS["session-revoked"]]: { x: nested } },
      },
    );
    const deepClaim = revoke(who, { extra: nested });
    const proprietary = set(EVENT_URIS["session-revoked"], { format: "constructor", id: "x" });
    const revoked = revoke(who);
    // One answer, in this order: what the receiver cannot read comes first.
    await queue(
      Object.fromEntries(
        await Promise.all(
          [unreadable, deepEvent, deepClaim, proprietary, revoked].map(async (s) => [
            s.jti,
            await signSet(s, transmitter),
          ]),
        ),
      ),
    );
    const log = await pollUntilDrained();
    expect(errs(log)).toEqual({
      [unreadable.jti]: expect.objectContaining({ err: "invalid_request" }),
      [deepEvent.jti]: expect.objectContaining({ err: "invalid_request" }),
      [deepClaim.jti]: expect.objectContaining({ err: "invalid_request" }),
    });
    expect(acked(log).sort()).toEqual([proprietary.jti, revoked.jti].sort());
    expect(await eventually(who, 403)).toEqual({ status: 403, seen: 0 });
    expect((await pollerStub().status()).poll).toMatchObject({ failures: 0, lastError: null });
  });

  it("takes each SET an answer delivers under one jti, in order: the first is not lost to the last", async () => {
    // JSON.parse keeps a repeated member's last value: the first SET was neither taken nor reported.
    const first = "jti-twice-first@example.com";
    const last = "jti-twice-last@example.com";
    const a = revoke(first);
    const b = revoke(last, { jti: a.jti });
    const [ta, tb] = [await signSet(a, transmitter), await signSet(b, transmitter)];
    await queue({}, { raw: `{"sets":{${JSON.stringify(a.jti)}:"${ta}",${JSON.stringify(a.jti)}:"${tb}"}}` });
    const log = await pollUntilDrained();
    // The first is applied and acknowledged; the second, another SET under a seen jti, is refused as a push is.
    expect(acked(log)).toEqual([a.jti]);
    expect(errs(log)).toEqual({});
    expect(await eventually(first, 403)).toEqual({ status: 403, seen: 0 });
    expect(await asPerson(last)).toEqual({ status: 200, seen: 1 });
  });

  it("asks for at most maxEvents at once, and takes the rest in further rounds of the same alarm", async () => {
    const people = ["round-1@example.com", "round-2@example.com", "round-3@example.com"];
    const sets = people.map((p) => revoke(p));
    await queue(Object.fromEntries(await Promise.all(sets.map(async (s) => [s.jti, await signSet(s, transmitter)]))));
    const log = await pollUntilDrained();
    expect(log.requests.every((r) => r.body.maxEvents === 2 || r.body.maxEvents === 0)).toBe(true);
    expect(acked(log).sort()).toEqual(sets.map((s) => s.jti).sort());
    for (const p of people) expect(await eventually(p, 403)).toEqual({ status: 403, seen: 0 });
  });

  it("refuses bad SETs in setErrs with the RFC 8935 code, acknowledges none of them, and changes nothing", async () => {
    const who = "poll-refused@example.com";
    const wrongAudience = revoke(who, { aud: "https://ward.example.com/staging" });
    const wrongIssuer = revoke(who, { iss: "https://idp.example.com/" });
    const notSubscribed = set(EVENT_URIS["credential-compromise"], { format: "email", email: who });
    const underAnotherJti = revoke(who);
    const critical = set(EVENT_URIS["session-revoked"], {
      user: { format: "email", email: who },
      tenant: { format: "opaque", id: "tenant-7" },
    });
    await queue({
      [wrongAudience.jti]: await signSet(wrongAudience, transmitter),
      [wrongIssuer.jti]: await signSet(wrongIssuer, transmitter),
      [notSubscribed.jti]: await signSet(notSubscribed, transmitter),
      "not-its-jti": await signSet(underAnotherJti, transmitter),
      [critical.jti]: await signSet(critical, transmitter),
      garbage: "not.a.set",
    });
    const log = await pollUntilDrained();
    expect(acked(log)).toEqual([]);
    expect(errs(log)).toEqual({
      [wrongAudience.jti]: { err: "invalid_audience", description: expect.any(String) },
      [wrongIssuer.jti]: { err: "invalid_issuer", description: expect.any(String) },
      [notSubscribed.jti]: { err: "access_denied", description: expect.any(String) },
      "not-its-jti": { err: "invalid_request", description: expect.any(String) },
      [critical.jti]: { err: "invalid_request", description: expect.any(String) },
      garbage: { err: "invalid_request", description: expect.any(String) },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
  });

  it("a replayed SET changes nothing more: the same SET is acknowledged again, another under its jti refused", async () => {
    const who = "poll-replay@example.com";
    const first = revoke(who);
    const token = await signSet(first, transmitter);
    await queue({ [first.jti]: token });
    await pollUntilDrained();
    expect(await eventually(who, 403)).toEqual({ status: 403, seen: 0 });
    const entries = async () =>
      (await env.DENYLIST.getByName(DENYLIST_NAME).list(true, Date.now())).filter((e) => e.value === who).length;
    const before = await entries();
    const forged = await signSet({ ...revoke("someone-else@example.com"), jti: first.jti }, transmitter);
    await queue({ [first.jti]: token });
    expect(acked(await pollUntilDrained())).toEqual([first.jti]);
    await queue({ [first.jti]: forged });
    expect(errs(await pollUntilDrained())).toEqual({
      [first.jti]: { err: "invalid_request", description: expect.any(String) },
    });
    expect(await entries()).toBe(before);
    expect(await asPerson("someone-else@example.com")).toEqual({ status: 200, seen: 1 });
  });

  /**
   * A revocation queued at a transmitter that answers the poll wrongly (`mode`): the poll fails with `lastError`,
   * is backed off past `every` (30 s), the SET waits at the transmitter, and the person is still let in.
   */
  async function pollFails(who: string, mode: { redirect?: boolean; oversized?: boolean }, lastError: string) {
    const revoked = revoke(who);
    await queue({ [revoked.jti]: await signSet(revoked, transmitter) }, mode);
    const before = (await pollerStub().status()).poll?.failures ?? 0;
    await pollerStub().startPolling(POLL_ISSUER);
    let status = await pollerStub().status();
    for (let i = 0; i < 80 && (status.poll?.failures ?? 0) === before; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = await pollerStub().status();
    }
    expect(status.poll).toMatchObject({ failures: before + 1, lastError });
    expect(status.poll!.nextAt! - Date.now()).toBeGreaterThan(30_000);
    const log = await pollLog();
    expect(log.queued).toEqual([revoked.jti]);
    expect(await asPerson(who)).toEqual({ status: 200, seen: 1 });
    await queue({});
    return log;
  }

  it("stops reading an answer past 1 MiB: the poll fails, is retried later, and nothing changes", async () => {
    await pollFails("poll-oversized@example.com", { oversized: true }, "poll-answer-too-large-or-not-utf8");
  });

  it("never follows a redirect: the poll fails, is retried later, and the SET waits at the transmitter", async () => {
    const log = await pollFails("poll-redirect@example.com", { redirect: true }, "poll-status-302");
    expect(log.elsewhere).toBe(0);
  });
});
