// From a review: `POST /ssf/verification` and `POST /ssf/poll` wrote the transmitter's state without admitting
// their caller again just before, as every other admin write does (authority-race-writes.test.ts). An admin whose
// credential was revoked while the call was on its way could still set the state a verification event must carry,
// or start a poller.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";
import { ISSUER } from "../support/transmitter.ts";
import { racingEnv } from "../admin/racing-push.ts";
import { POLL_ISSUER, ssfPolicy } from "./policy.ts";

const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const denylist = () => env.DENYLIST.getByName(DENYLIST_NAME);

/** The real PolicyControl, except that right after its first authority() answer, bob's credential is revoked. */
function bobRevokedAfterAdmission(): Env {
  return racingEnv(async () => {
    const revocation = { kind: "revocation" as const, match: "email" as const, value: "bob@example.com" };
    await denylist().add({ ...revocation, reason: "credential leaked", expiresAt: null }, "user:x", Date.now());
  });
}

async function bobCalls(path: string, body?: unknown) {
  const headers = new Headers({
    "cf-access-jwt-assertion": await accessToken(signing, { email: "bob@example.com", identity_nonce: "n-ssf-bob" }),
  });
  if (body !== undefined) headers.set("content-type", "application/json");
  const init = { method: "POST", headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
  const ctx = createExecutionContext();
  return captured(async () => {
    const res = await app.fetch(new Request(`${ADMIN}${path}`, init), bobRevokedAfterAdmission(), ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
}

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  const text = ssfPolicy({ ...publicKey, use: "sig" }).replace(
    "services:\n",
    "admin:\n  principals: [{ email: bob@example.com }, { group: ward-admins }]\nservices:\n",
  );
  await activate(text);
  resetPolicyCache();
});

afterEach(async () => {
  for (const entry of await denylist().list(false, Date.now()))
    if (entry.value === "bob@example.com") await denylist().release(entry.id, "test", Date.now());
});

describe("an admin revoked while his security-event call is on its way", () => {
  it("sets no verification state, refused as at admission", async () => {
    const before = await env.SSF_REPLAY.getByName(ISSUER).status();
    const { result, lines } = await bobCalls("/ssf/verification", {
      transmitter: "idp",
      state: "c3RhdGUtc2VudC1zbG93bHktYWZ0ZXItcmV2b2NhdGlvbg",
    });
    const after = await env.SSF_REPLAY.getByName(ISSUER).status();
    expect({ status: result.status, requested: after.verificationRequestedAt }).toEqual({
      status: 403,
      requested: before.verificationRequestedAt,
    });
    expect(lines.filter((l) => l.event === "admin-request" && l.denylist !== undefined)).toHaveLength(1);
    expect(lines.filter((l) => l.event === "ssf-verification-requested")).toHaveLength(0);
  });

  it("starts no poller", async () => {
    const before = await env.SSF_REPLAY.getByName(POLL_ISSUER).status();
    const { result, lines } = await bobCalls("/ssf/poll?transmitter=poller");
    const after = await env.SSF_REPLAY.getByName(POLL_ISSUER).status();
    expect({ status: result.status, poll: after.poll }).toEqual({ status: 403, poll: before.poll });
    expect(lines.filter((l) => l.event === "ssf-polling-started")).toHaveLength(0);
  });
});
