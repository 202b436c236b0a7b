// A WebSocket a use-limited grant let through: it spent a use, so it lasts while the grant does, used up or not,
// and ends when an admin revokes the grant. From a review: a revoked grant and a used-up one both left the
// isolate's list, so a revoked grant's socket stayed open to its notAfter.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { captureLog, upgrade, type Upgrade, WS_POLICY } from "./support.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
/** Well past the watch's check interval here (0.05 s) and the grants' refresh. */
const BOUND_MS = 1500;
const token = (email: string) => accessToken(signing, { email, identity_nonce: `n-grant-uses-${email}` });
const admin = async () => ({ "cf-access-jwt-assertion": await token("admin@example.com") });

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

async function grant(email: string, maxUses: number): Promise<string> {
  const granted = await exports.default.fetch(`${ADMIN}/exceptions`, {
    method: "POST",
    headers: { ...(await admin()), "content-type": "application/json" },
    body: JSON.stringify({
      principal: { email },
      service: "wiki",
      routes: ["sre-live"],
      methods: ["GET"],
      reason: "pairing with the SRE on call",
      ticket: "SEC-9",
      requestedBy: email,
      approvedBy: "sre-lead@example.com",
      notAfter: new Date(Date.now() + 3600_000).toISOString(),
      maxUses,
    }),
  });
  expect(granted.status).toBe(201);
  return ((await granted.json()) as { grant: { id: string } }).grant.id;
}

/**
 * An upgrade as `email`, tried until the isolate's copy of the grants has the new grant. A refused one (any
 * status but 101) must not have reached the origin.
 */
async function open(email: string, status: number): Promise<Upgrade> {
  const attempt = async () => {
    const m = marker();
    return {
      m,
      opened: await upgrade(`https://wiki.localhost/sre-live?${m}`, { "cf-access-jwt-assertion": await token(email) }),
    };
  };
  let { m, opened } = await attempt();
  for (let i = 0; i < 40 && opened.res.status !== status; i++) {
    await new Promise((r) => setTimeout(r, 25));
    ({ m, opened } = await attempt());
  }
  expect(opened.res.status).toBe(status);
  if (status !== 101) expect(await originSaw(m)).toEqual([]);
  return opened;
}

describe("a WebSocket a use-limited grant let through", () => {
  it("is closed when an admin revokes the grant, uses left or not", async () => {
    const email = "limited-grant@example.com";
    const id = await grant(email, 5);
    const opened = await open(email, 101);
    const revoked = await exports.default.fetch(`${ADMIN}/grants/wiki/${id}?reason=misuse`, {
      method: "DELETE",
      headers: await admin(),
    });
    expect(revoked.status).toBe(200);
    await open(email, 403);
    expect(await opened.client!.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
  });

  it("stays open once it has spent the grant's last use, until the grant is revoked", async () => {
    const email = "last-use@example.com";
    const id = await grant(email, 1);
    const opened = await open(email, 101);
    await open(email, 403);
    // Several checks later it still relays: the grant is used up, not revoked.
    await new Promise((r) => setTimeout(r, BOUND_MS));
    expect(opened.client!.closed).toBeUndefined();
    opened.client!.send("still here");
    expect(await opened.client!.message(0)).toBe("still here");
    // From a review: revoking a used-up grant changed nothing, and its socket stayed open to notAfter.
    const revoked = await exports.default.fetch(`${ADMIN}/grants/wiki/${id}?reason=session%20over`, {
      method: "DELETE",
      headers: await admin(),
    });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { grant: { status: string } }).grant.status).toBe("revoked");
    expect(await opened.client!.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
  });

  it("ends as unchecked, not as revoked, when the grants cannot be read", async () => {
    const email = "unread-grant@example.com";
    await grant(email, 1);
    const opened = await open(email, 101);
    const spy = vi.spyOn((env as Env).GRANTS, "getByName").mockImplementation(() => {
      throw new Error("Durable Object overloaded");
    });
    try {
      expect(await opened.client!.close(BOUND_MS)).toMatchObject({ code: 4403, reason: "access ended" });
    } finally {
      spy.mockRestore();
    }
    const id = opened.res.headers.get("ward-request-id");
    const closed = log.lines.find((l) => l.event === "websocket-closed" && l.requestId === id);
    // From a review: the cause said the grant was revoked, which sends an operator to the wrong place.
    expect(closed).toMatchObject({ cause: "check-failed" });
  });
});
