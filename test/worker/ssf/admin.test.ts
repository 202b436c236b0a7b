// The receiver's admin API in workerd (`ward ssf verify|status|poll`): the state a verification event must carry
// is recorded only for an admin and a transmitter of the active policy; a verification event then counts only
// with it, and the status says when verification last succeeded; a polled transmitter is polled when asked, and
// when a policy that polls it is pushed.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { breakMethod, platformError } from "../support/broken-object.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";
import { example, ISSUER, push, signSet } from "../support/transmitter.ts";
import { POLL_ORIGIN, pollChannel } from "../ssf-poll-endpoint.ts";
import { ssfPolicy } from "./policy.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const POLL = pollChannel("admin");
let policyText = "";
let version = "";

async function admin(method: string, path: string, body?: unknown, as = "admin@example.com"): Promise<Response> {
  return exports.default.fetch(`${ADMIN}${path}`, {
    method,
    headers: {
      "cf-access-jwt-assertion": await accessToken(signing, { email: as, identity_nonce: `n-${as}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function verification(state: string) {
  const set = example("ssf-verification");
  set.events[EVENT_URIS.verification].state = state;
  return set;
}

async function pollRequests(): Promise<number> {
  return ((await (await fetch(`${POLL}/requests`)).json()) as { requests: unknown[] }).requests.length;
}

async function polledSoon(): Promise<number> {
  let n = await pollRequests();
  for (let i = 0; i < 80 && n === 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
    n = await pollRequests();
  }
  return n;
}

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  policyText = ssfPolicy({ ...publicKey, use: "sig" })
    .replace("services:\n", "admin:\n  principals: [{ group: ward-admins }]\nservices:\n")
    // A poll channel of this file's own (ssf-poll-endpoint.ts): another file's SETs are never taken here.
    .replace(`${POLL_ORIGIN}/poll`, `${POLL}/poll`);
  version = await activate(policyText);
});

describe("the verification state", () => {
  it("recorded by an admin: a verification event with it is taken, and the status says when", async () => {
    const state = "c3RhdGUtZnJvbS13YXJkLXNzZi12ZXJpZnk";
    expect((await admin("POST", "/ssf/verification", { transmitter: "idp", state })).status).toBe(200);
    const before = await (await admin("GET", "/ssf/status?transmitter=idp")).json();
    expect(before).toMatchObject({ transmitter: "idp", verifiedAt: null, verificationRequestedAt: expect.any(Number) });
    expect((await push(await signSet(verification(state), transmitter))).status).toBe(202);
    const after = (await (await admin("GET", "/ssf/status?transmitter=idp")).json()) as { verifiedAt: number };
    expect(after.verifiedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it("not recorded for someone who is not an admin: their state verifies nothing", async () => {
    const state = "bm90LWFuLWFkbWluLW5vdC1yZWNvcmRlZA";
    const res = await admin("POST", "/ssf/verification", { transmitter: "idp", state }, "mallory@example.com");
    expect(res.status).toBe(403);
    expect((await push(await signSet(verification(state), transmitter))).status).toBe(400);
    expect(await env.SSF_REPLAY.getByName(ISSUER).checkVerification(state, Date.now())).toBe(false);
  });

  it("only for a transmitter of the active policy, and only a state of the expected form", async () => {
    const state = "c3RhdGUtZm9yLWEtc3RyYW5nZXItaXNzdWVy";
    expect((await admin("POST", "/ssf/verification", { transmitter: "evil", state })).status).toBe(404);
    expect((await admin("POST", "/ssf/verification", { transmitter: "idp", state: "short" })).status).toBe(422);
    expect((await admin("GET", "/ssf/status?transmitter=evil")).status).toBe(404);
  });
});

describe("polling", () => {
  it("starts when an admin asks, for a polled transmitter only", async () => {
    await fetch(`${POLL}/queue`, { method: "PUT", body: JSON.stringify({ sets: {} }) });
    expect((await admin("POST", "/ssf/poll?transmitter=idp")).status).toBe(409);
    const started = await captured(() => admin("POST", "/ssf/poll?transmitter=poller"));
    expect(started.result.status).toBe(200);
    expect(started.lines.filter((l) => l.event === "ssf-polling-started")).toEqual([
      expect.objectContaining({ level: "info", transmitter: "poller" }),
    ]);
    expect(await polledSoon()).toBeGreaterThan(0);
    const status = (await (await admin("GET", "/ssf/status?transmitter=poller")).json()) as {
      poll: { lastOkAt: number | null };
    };
    expect(status.poll.lastOkAt).toEqual(expect.any(Number));
  });

  it("does not say it started when the transmitter's object failed: the admin API's failure answer", async () => {
    const spies = [
      breakMethod(env.SSF_REPLAY, "startPolling", platformError("Network connection lost.", { retryable: true })),
      vi.spyOn(console, "log").mockImplementation(() => {}),
    ];
    try {
      const res = await admin("POST", "/ssf/poll?transmitter=poller");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ changed: "unknown" });
      expect(spies[1]!.mock.calls.flat().join("\n")).not.toContain("ssf-polling-started");
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("starts when a policy that polls the transmitter is pushed", async () => {
    await fetch(`${POLL}/queue`, { method: "PUT", body: JSON.stringify({ sets: {} }) });
    // The alarm of the last poll is 30 s away: a push starts the next one now.
    const res = await admin("PUT", "/policy", {
      text: policyText.replace("holdFor: 1h", "holdFor: 2h"),
      expected: version,
      message: "hold longer",
    });
    expect(res.status).toBe(200);
    expect(await polledSoon()).toBeGreaterThan(0);
  });
});
