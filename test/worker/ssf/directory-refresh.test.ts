// How a security event reaches the cached directory facts of every isolate: AccessDirectory reuses an answer
// only if fetched after the person's refresh, and without a usable denylist copy nothing cached is reused and
// posture counts as unknown (fail closed; the denylist then refuses identified callers anyway).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { catchUpExactly, directoryFreshness, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { AccessDirectory } from "../../../worker/identity/access-directory.ts";
import type { DirectorySubject } from "../../../worker/identity/access-jwt.ts";

const factsOf = async (
  dir: AccessDirectory,
  token: string,
  subject: DirectorySubject | undefined,
  ...rest: [expiresAt: number, now: number, notBefore?: number]
) => (await dir.lookup(token, subject?.email ?? "ann@example.com", subject, ...rest)).facts;

const TEAM = "https://ward-demo.cloudflareaccess.com";
const NOW = Date.UTC(2026, 11, 3, 12);
const ann = { issuer: TEAM, subject: "u-ann", email: "ann@example.com", nonce: "n-1" };

function directory() {
  let calls = 0;
  const groups = [["wiki-editors"], []];
  const dir = new AccessDirectory(TEAM, (async () =>
    Response.json({ email: "ann@example.com", groups: groups[Math.min(calls++, 1)] })) as typeof fetch);
  return { dir, calls: () => calls };
}

describe("AccessDirectory after a refresh", () => {
  it("reuses an answer fetched after notBefore, and asks again for one fetched before", async () => {
    const { dir, calls } = directory();
    expect(await factsOf(dir, "tok", ann, NOW + 3600_000, NOW)).toEqual({ groups: ["wiki-editors"] });
    expect(await factsOf(dir, "tok", ann, NOW + 3600_000, NOW + 1000, NOW - 1)).toEqual({ groups: ["wiki-editors"] });
    expect(calls()).toBe(1);
    expect(await factsOf(dir, "tok", ann, NOW + 3600_000, NOW + 2000, NOW + 500)).toEqual({ groups: [] });
    expect(calls()).toBe(2);
    // The new answer is cached in turn.
    expect(await factsOf(dir, "tok", ann, NOW + 3600_000, NOW + 3000, NOW + 500)).toEqual({ groups: [] });
    expect(calls()).toBe(2);
  });
});

describe("directoryFreshness", () => {
  it("without a copy of the denylist: nothing cached is reused and posture is unknown", () => {
    resetDenylistCache();
    expect(directoryFreshness({ email: "ann@example.com", sub: "u-ann" }, NOW)).toEqual({
      notBefore: NOW,
      postureHeld: true,
    });
  });

  it("finds a refresh whatever the case of the token's e-mail, and trusts no answer from within 1 s", async () => {
    const now = Date.now();
    // The store keeps an e-mail fact lower-cased; an Access token may carry the person's address in any case.
    const store = (env as Env).DENYLIST.getByName(DENYLIST_NAME);
    const refresh = { op: "refresh" as const, fact: { match: "email" as const, value: "refreshed@example.com" } };
    expect((await store.applySignals({ transmitter: "idp", jti: "j-refresh-case" }, [refresh], now)).ok).toBe(true);
    resetDenylistCache();
    expect(await catchUpExactly(env as Env, now)).toBe(true);
    // The isolate's clock and the receiver's may differ by a little: an answer fetched just before the event must
    // not pass as fetched after it.
    expect(directoryFreshness({ email: "Refreshed@Example.COM" }, now)).toEqual({
      notBefore: now + 1000,
      postureHeld: false,
    });
    resetDenylistCache();
  });
});
