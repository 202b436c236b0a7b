// AccessDirectory in workerd: groups and posture from get-identity, cached by identity_nonce together with
// the token's issuer, subject and e-mail, never past the token's expiry, and a failed lookup gives nothing
// (so group rules fail closed).
import { describe, expect, it } from "vitest";
import { AccessDirectory } from "../../../worker/identity/access-directory.ts";
import type { DirectorySubject } from "../../../worker/identity/access-jwt.ts";
import { identityAnswer } from "../support/posture.ts";

/** The facts a lookup gave (whether Access answered at all is the outage test's). */
const factsOf = async (
  dir: AccessDirectory,
  token: string,
  subject: DirectorySubject | undefined,
  ...rest: [expiresAt: number, now: number, notBefore?: number, maxPostureAgeMs?: number]
) => (await dir.lookup(token, subject?.email ?? "ann@example.com", subject, ...rest)).facts;

const TEAM = "https://ward-demo.cloudflareaccess.com";
const NOW = Date.UTC(2026, 10, 23, 12);

/** The person behind a token: Ann unless told otherwise. */
const who = (nonce: string, person: Partial<DirectorySubject> = {}): DirectorySubject => ({
  issuer: TEAM,
  subject: "u-ann",
  email: "ann@example.com",
  nonce,
  ...person,
});

function directory(
  respond: (signal?: AbortSignal) => Response | Promise<Response>,
  timeoutMs?: number,
  failureMemoryMs?: number,
) {
  const calls: { url: string; cookie: string | null; redirect?: string }[] = [];
  const fetchImpl = (async (url: string, init?: RequestInit) => {
    calls.push({
      url: String(url),
      cookie: new Headers(init?.headers).get("cookie"),
      ...(init?.redirect ? { redirect: init.redirect } : {}),
    });
    return respond(init?.signal ?? undefined);
  }) as unknown as typeof fetch;
  return { calls, dir: new AccessDirectory(TEAM, fetchImpl, timeoutMs, failureMemoryMs) };
}

/** When Access evaluated the checks: a minute before the lookup. */
const AT = NOW - 60_000;
const TIMESTAMP = new Date(AT).toISOString();
const body = {
  email: "ann@example.com",
  groups: [{ id: "g-1", name: "sre" }, "legacy-string-group"],
  devicePosture: {
    "managed-device": { success: true, timestamp: TIMESTAMP },
    "disk-encryption": { success: false, timestamp: TIMESTAMP },
  },
};

describe("AccessDirectory", () => {
  it("reads group names and posture results from get-identity, presenting the token as the Access cookie", async () => {
    const { calls, dir } = directory(() => Response.json(body));
    const facts = await factsOf(dir, "tok", who("nonce-1"), NOW + 60_000, NOW);
    expect(facts).toEqual({
      groups: ["sre", "legacy-string-group"],
      devicePosture: { "managed-device": { success: true, at: AT }, "disk-encryption": { success: false, at: AT } },
    });
    expect(calls).toEqual([
      { url: `${TEAM}/cdn-cgi/access/get-identity`, cookie: "CF_Authorization=tok", redirect: "manual" },
    ]);
  });

  it("leaves out a device check without a boolean result: unknown, not failed", async () => {
    const posture = {
      "managed-device": { success: "true", timestamp: TIMESTAMP },
      firewall: { timestamp: TIMESTAMP },
      "os-version": null,
      "disk-encryption": { success: false, timestamp: TIMESTAMP },
    };
    const { dir } = directory(() => Response.json({ email: "ann@example.com", groups: [], devicePosture: posture }));
    const facts = await factsOf(dir, "tok", who("nonce-shapes"), NOW + 60_000, NOW);
    expect(facts).toEqual({ groups: [], devicePosture: { "disk-encryption": { success: false, at: AT } } });
  });

  it.each([
    ["another person's e-mail", "mallory@example.com", false],
    ["an empty e-mail", "", false],
    ["an e-mail that is no string", 7, false],
    ["a Kelvin sign, which lower-cases to k", "\u212Ann@example.com", false],
    ["no e-mail at all (JSON leaves out undefined)", undefined, false],
    ["a null e-mail", null, false],
    ["the token's e-mail in other case", "Ann@Example.COM", true],
  ])("with %s in the answer, uses it: %s", async (_name, email, used) => {
    const { dir } = directory(() => Response.json({ email, groups: ["sre"] }));
    const facts = await factsOf(dir, "tok", who(`nonce-email-${String(email)}`), NOW + 60_000, NOW);
    expect(facts).toEqual(used ? { groups: ["sre"] } : undefined);
  });

  it("makes one lookup for a person's requests at once, and they all have its answer", async () => {
    let release = () => {};
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { calls, dir } = directory(async () => {
      await answered;
      return Response.json(body);
    });
    const waiting = Array.from({ length: 8 }, () => factsOf(dir, "tok", who("nonce-burst"), NOW + 60_000, NOW));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const facts = await Promise.all(waiting);
    expect(calls).toHaveLength(1);
    for (const f of facts) expect(f?.groups).toEqual(["sre", "legacy-string-group"]);
  });

  describe("a cached answer whose posture result goes stale while it is reused", () => {
    const HOUR = 3_600_000;
    const AGE = 2 * HOUR;
    /** Access's answer: one check, evaluated at `at`. */
    const answerAt = (at: number) => ({
      email: "ann@example.com",
      groups: ["sre"],
      devicePosture: { "disk-encryption": { success: true, timestamp: new Date(at).toISOString() } },
    });
    const checkAt = (at: number) => ({ groups: ["sre"], devicePosture: { "disk-encryption": { success: true, at } } });
    // Fetched 2 min before the result turns 2 h old; reused 2 min after (within the 5 min bound).
    const fetched = NOW - 2 * 60_000;
    const evaluated = NOW - AGE;
    const later = NOW + 2 * 60_000;

    it("asks Access again once, and takes its newer result", async () => {
      let at = evaluated;
      const { calls, dir } = directory(() => Response.json(answerAt(at)));
      expect(await factsOf(dir, "tok", who("n-stale-newer"), NOW + HOUR, fetched, undefined, AGE)).toEqual(
        checkAt(evaluated),
      );
      // The device reported since: Access has a result of a minute ago.
      at = later - 60_000;
      expect(await factsOf(dir, "tok", who("n-stale-newer"), NOW + HOUR, later, undefined, AGE)).toEqual(checkAt(at));
      expect(await factsOf(dir, "tok", who("n-stale-newer"), NOW + HOUR, later + 1, undefined, AGE)).toEqual(
        checkAt(at),
      );
      expect(calls).toHaveLength(2);
    });

    it("asks at most every 30 s while Access has nothing newer: the device has not reported", async () => {
      const { calls, dir } = directory(() => Response.json(answerAt(evaluated)));
      for (const now of [fetched, later, later + 1_000, later + 10_000, later + 29_999])
        expect(await factsOf(dir, "tok", who("n-stale-same"), NOW + HOUR, now, undefined, AGE)).toEqual(
          checkAt(evaluated),
        );
      // Once at first, once when the result went stale: the second answer was fetched with it stale already.
      expect(calls).toHaveLength(2);
      expect(await factsOf(dir, "tok", who("n-stale-same"), NOW + HOUR, later + 30_000, undefined, AGE)).toEqual(
        checkAt(evaluated),
      );
      expect(calls).toHaveLength(3);
    });

    it("takes a result the device reported just after the ask within 30 s, not the answer's 5 min (a session's note)", async () => {
      let at = evaluated;
      const { calls, dir } = directory(() => Response.json(answerAt(at)));
      await factsOf(dir, "tok", who("n-stale-after"), NOW + HOUR, fetched, undefined, AGE);
      expect(await factsOf(dir, "tok", who("n-stale-after"), NOW + HOUR, later, undefined, AGE)).toEqual(
        checkAt(evaluated),
      );
      // The device reports a second after that ask.
      at = later + 1_000;
      expect(await factsOf(dir, "tok", who("n-stale-after"), NOW + HOUR, later + 30_000, undefined, AGE)).toEqual(
        checkAt(at),
      );
      // Fresh now: reused without asking.
      expect(await factsOf(dir, "tok", who("n-stale-after"), NOW + HOUR, later + 90_000, undefined, AGE)).toEqual(
        checkAt(at),
      );
      expect(calls).toHaveLength(3);
    });

    it("keeps the cached answer when asking again fails: its groups still count", async () => {
      let fail = false;
      const { calls, dir } = directory(() =>
        fail ? new Response("oops", { status: 503 }) : Response.json(answerAt(evaluated)),
      );
      await factsOf(dir, "tok", who("n-stale-fails"), NOW + HOUR, fetched, undefined, AGE);
      fail = true;
      const lookup = await dir.lookup(
        "tok",
        "ann@example.com",
        who("n-stale-fails"),
        NOW + HOUR,
        later,
        undefined,
        AGE,
      );
      expect(lookup).toEqual({ facts: checkAt(evaluated), answered: true });
      // Remembered as failed: the next request has the cached answer without asking.
      expect(await factsOf(dir, "tok", who("n-stale-fails"), NOW + HOUR, later, undefined, AGE)).toEqual(
        checkAt(evaluated),
      );
      expect(calls).toHaveLength(2);
    });

    it("gives the person's other requests the cached answer while one asks again of a slow Access (from a review)", async () => {
      let slow = false;
      const { calls, dir } = directory(async (signal) => {
        if (!slow) return Response.json(answerAt(evaluated));
        // Hangs until the lookup's timeout aborts it.
        return new Promise<Response>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
      }, 1_500);
      await factsOf(dir, "tok", who("n-stale-slow"), NOW + HOUR, fetched, undefined, AGE);
      slow = true;
      const asking = factsOf(dir, "tok", who("n-stale-slow"), NOW + HOUR, later, undefined, AGE);
      await new Promise((r) => setTimeout(r, 20));
      const other = factsOf(dir, "tok", who("n-stale-slow"), NOW + HOUR, later, undefined, AGE);
      // Answered before the one that asks, which waits for the lookup's timeout: not held behind it. (Which settles
      // first, not a wall-clock bound: a loaded machine may take any time over either.)
      const first = await Promise.race([other.then(() => "other"), asking.then(() => "asking")]);
      expect(first).toBe("other");
      expect(await other).toEqual(checkAt(evaluated));
      // The one that asked has the held answer once Access failed to give one.
      expect(await asking).toEqual(checkAt(evaluated));
      expect(calls).toHaveLength(2);
    });

    it("asks again once while Access is down, not each time the failure memory lapses (from a review)", async () => {
      let down = false;
      const { calls, dir } = directory(
        () => (down ? new Response("oops", { status: 503 }) : Response.json(answerAt(evaluated))),
        undefined,
        20,
      );
      await factsOf(dir, "tok", who("n-stale-down"), NOW + HOUR, fetched, undefined, AGE);
      down = true;
      for (let i = 0; i < 5; i++) {
        expect(await factsOf(dir, "tok", who("n-stale-down"), NOW + HOUR, later, undefined, AGE)).toEqual(
          checkAt(evaluated),
        );
        await new Promise((r) => setTimeout(r, 30));
      }
      expect(calls).toHaveLength(2);
    });

    it("drops the cached answer when Access answers that it has nothing for the person (from a review)", async () => {
      let revoked = false;
      const { dir } = directory(() =>
        revoked ? new Response("no", { status: 403 }) : Response.json(answerAt(evaluated)),
      );
      await factsOf(dir, "tok", who("n-stale-403"), NOW + HOUR, fetched, undefined, AGE);
      revoked = true;
      // As on a lookup with nothing cached: groups and posture unknown, Access having answered.
      expect(await dir.lookup("tok", "ann@example.com", who("n-stale-403"), NOW + HOUR, later, undefined, AGE)).toEqual(
        { facts: undefined, answered: true },
      );
    });

    it("never asks again for a request that does not read posture", async () => {
      const { calls, dir } = directory(() => Response.json(answerAt(evaluated)));
      await factsOf(dir, "tok", who("n-stale-groups"), NOW + HOUR, fetched);
      expect(await factsOf(dir, "tok", who("n-stale-groups"), NOW + HOUR, later)).toEqual(checkAt(evaluated));
      expect(calls).toHaveLength(1);
    });
  });

  it("leaves out a device check whose name holds control or bidirectional characters: its result is unknown", async () => {
    // Shown on the person's page, `\u202Edessap` reads as "passed" for a check that failed.
    const posture = {
      "disk-encryption \u202Edessap": { success: false, timestamp: TIMESTAMP },
      "tab\there": { success: true, timestamp: TIMESTAMP },
      "managed-device": { success: true, timestamp: TIMESTAMP },
    };
    const { dir } = directory(() => Response.json({ email: "ann@example.com", groups: [], devicePosture: posture }));
    const facts = await factsOf(dir, "tok", who("nonce-bidi"), NOW + 60_000, NOW);
    expect(facts).toEqual({ groups: [], devicePosture: { "managed-device": { success: true, at: AT } } });
  });

  it("leaves out a device check whose timestamp is no instant: how old it is cannot be told", async () => {
    const posture = {
      none: { success: true },
      number: { success: true, timestamp: AT / 1000 },
      "date-only": { success: true, timestamp: "2026-11-23" },
      "no-such-day": { success: true, timestamp: "2026-02-30T12:00:00Z" },
      "http-date": { success: true, timestamp: new Date(AT).toUTCString() },
      offset: { success: true, timestamp: "2026-11-23T12:59:00+01:00" },
    };
    const { dir } = directory(() => Response.json({ email: "ann@example.com", groups: [], devicePosture: posture }));
    const facts = await factsOf(dir, "tok", who("nonce-timestamps"), NOW + 60_000, NOW);
    // Stale or ahead of the clock is the request's to judge (identify-access.ts): kept here with its instant.
    expect(facts).toEqual({ groups: [], devicePosture: { offset: { success: true, at: AT } } });
  });

  it("reads Access's own answer: each check's result and when it was evaluated", async () => {
    const answer = identityAnswer("ann@example.com", NOW);
    const { dir } = directory(() => Response.json(answer));
    const facts = await factsOf(dir, "tok", who("nonce-fixture"), NOW + 60_000, NOW);
    expect(facts).toEqual({
      groups: ["sre"],
      devicePosture: {
        "f6f9391e-6776-4878-9c60-0cc807dc7dc8": { success: true, at: NOW - 109_576 },
        "a0a8e83d-be75-4aa6-bfa0-5791da6e9186": { success: false, at: NOW - 55 * 60_000 },
      },
    });
  });

  it("tells an outage (no answer) from an answer about the person it cannot use (quarantine counts the latter)", async () => {
    const cases: [string, () => Response | Promise<Response>, boolean][] = [
      ["a 500", () => new Response("oops", { status: 500 }), false],
      ["a 503", () => new Response("later", { status: 503 }), false],
      ["a 429", () => new Response("slow down", { status: 429 }), false],
      ["a body that is not JSON", () => new Response("<html>error</html>", { status: 200 }), false],
      ["a failed fetch", () => Promise.reject(new TypeError("network")), false],
      ["a 403 (a session Access no longer honours)", () => new Response("no", { status: 403 }), true],
      ["a redirect to sign in", () => new Response(null, { status: 302, headers: { location: `${TEAM}/x` } }), true],
      [
        "a group name with a control character",
        () => Response.json({ email: "ann@example.com", groups: ["sre", "a\u0007b"] }),
        true,
      ],
      ["no list of groups", () => Response.json({ email: "ann@example.com" }), true],
    ];
    for (const [name, respond, answered] of cases) {
      const { dir } = directory(respond);
      expect(await dir.lookup("tok", "ann@example.com", who(`nonce-${name}`), NOW + 60_000, NOW), name).toEqual({
        facts: undefined,
        answered,
      });
    }
    const { dir } = directory(() => Response.json(body));
    expect((await dir.lookup("tok", "ann@example.com", who("nonce-ok"), NOW + 60_000, NOW)).answered).toBe(true);
  });

  it("never follows a redirect (it would carry the token elsewhere): a 3xx is no answer", async () => {
    const { dir } = directory(
      () => new Response(null, { status: 302, headers: { location: "https://evil.example/collect" } }),
    );
    expect(await factsOf(dir, "tok", who("nonce-redirect"), NOW + 60_000, NOW)).toBeUndefined();
  });

  it("gives up on an Access that does not answer: the facts are unknown, not awaited for good", async () => {
    // As fetch does: the answer never comes, and the request fails when its signal aborts.
    const { dir } = directory(
      (signal) => new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
      50,
    );
    const answer = await Promise.race([
      factsOf(dir, "tok", who("nonce-hung"), NOW + 60_000, NOW),
      new Promise((r) => setTimeout(() => r("waiting"), 2_000)),
    ]);
    expect(answer).toBeUndefined();
  });

  it("remembers a lookup that timed out from when it ended, so the next request does not ask again at once", async () => {
    // A timeout longer than the 2 s memory: stamped with its request's start, it was forgotten before recorded.
    let calls = 0;
    const { dir } = directory((signal) => {
      calls++;
      return new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    }, 2_300);
    expect(await factsOf(dir, "tok-a", who("nonce-slow"), Date.now() + 600_000, Date.now())).toBeUndefined();
    // Right after the failure, on the request's own clock.
    expect(await factsOf(dir, "tok-c", who("nonce-slow"), Date.now() + 600_000, Date.now())).toBeUndefined();
    expect(calls).toBe(1);
  });

  it("remembers the failure of a lookup that took over an abandoned one, from when it ended", async () => {
    // The first lookup's request went away (its fetch never ends); the next request waits the timeout and a second,
    // takes over, and times out too. Its failure was stamped without the wait: with a 5 s timeout, 6 s before it
    // ended, so already forgotten (from a closing review). A 1.5 s timeout here, so the wait alone is over 2 s.
    let calls = 0;
    const { dir } = directory((signal) => {
      calls++;
      if (calls === 1) return new Promise<Response>(() => {});
      return new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    }, 1_500);
    const lookup = () => factsOf(dir, "tok", who("nonce-abandoned"), Date.now() + 600_000, Date.now());
    void lookup();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await lookup()).toBeUndefined();
    expect(calls).toBe(2);
    // Right after that failure: remembered, not asked again.
    expect(await lookup()).toBeUndefined();
    expect(calls).toBe(2);
  }, 15_000);

  it("runs one lookup at a time for a person while Access times out, and waiters wait no longer than it", async () => {
    // Requests every 20 ms, each on its own clock: a waiter used to take over at the very moment the lookup it
    // waited for was aborted, so two calls ran at once, and the first one's end unmarked the second.
    const timeoutMs = 300;
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const { dir } = directory((signal) => {
      calls++;
      most = Math.max(most, ++inFlight);
      return new Promise((_resolve, reject) =>
        signal?.addEventListener("abort", () => {
          inFlight--;
          reject(signal.reason);
        }),
      );
    }, timeoutMs);
    const waits: Promise<number>[] = [];
    const started = Date.now();
    while (Date.now() - started < 2_600) {
      const at = Date.now();
      waits.push(factsOf(dir, "tok", who("nonce-timeouts"), at + 600_000, at).then(() => Date.now() - at));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const waited = await Promise.all(waits);
    expect(most).toBe(1);
    // One call, then another once the first failure's 2 s have passed: never one per waiter.
    expect(calls).toBeLessThanOrEqual(2);
    expect(Math.max(...waited)).toBeLessThan(timeoutMs + 250);
  });

  it("leaves posture unknown when the answer has no posture results, rather than 'nothing passes'", async () => {
    const { dir } = directory(() => Response.json({ email: "ann@example.com", groups: ["sre"] }));
    expect(await factsOf(dir, "tok", who("nonce-np"), NOW + 60_000, NOW)).toEqual({ groups: ["sre"] });
  });

  it("asks once per identity_nonce while the token is valid, and again after it expires", async () => {
    const { calls, dir } = directory(() => Response.json(body));
    await factsOf(dir, "tok", who("nonce-1"), NOW + 60_000, NOW);
    await factsOf(dir, "tok", who("nonce-1"), NOW + 60_000, NOW + 30_000);
    expect(calls).toHaveLength(1);
    await factsOf(dir, "tok", who("nonce-1"), NOW + 60_000, NOW + 60_000);
    expect(calls).toHaveLength(2);
    await factsOf(dir, "tok2", who("nonce-2"), NOW + 60_000, NOW);
    expect(calls).toHaveLength(3);
  });

  it.each([
    ["an error status", () => new Response("no", { status: 502 })],
    ["a body that is not JSON", () => new Response("<html>")],
    ["a network failure", () => Promise.reject(new Error("down"))],
    ["an answer without a list of groups", () => Response.json({ err: "session expired" })],
    ["an empty object", () => Response.json({})],
    [
      "a group entry that names no group",
      () => Response.json({ email: "ann@example.com", groups: ["sre", { id: "g-2" }] }),
    ],
    [
      "a group name with a line feed",
      () => Response.json({ email: "ann@example.com", groups: ["sre", { id: "g-2", name: "staff\nadmins" }] }),
    ],
    ["a group name with a CR", () => Response.json({ email: "ann@example.com", groups: ["sre\r"] })],
    [
      "a group name with a NUL",
      () => Response.json({ email: "ann@example.com", groups: [{ id: "g-1", name: "sre\u0000-readonly" }] }),
    ],
    ["a group name with a C1 control", () => Response.json({ email: "ann@example.com", groups: ["sre\u0085"] })],
    ["a group name with a line separator", () => Response.json({ email: "ann@example.com", groups: ["sre\u2028"] })],
    [
      "a group name with a right-to-left override",
      () => Response.json({ email: "ann@example.com", groups: ["\u202eadmins"] }),
    ],
    [
      "a group name with a lone surrogate",
      () => new Response('{"groups":["sre\\ud800"]}', { headers: { "content-type": "application/json" } }),
    ],
  ])("gives nothing on %s, and remembers that for a while only", async (_name, respond) => {
    // The memory is of Access's state, on the clock (2 s deployed; 300 ms here), whatever the requests' `now`.
    const { calls, dir } = directory(respond, undefined, 300);
    // Asked once, the failure given again within the memory (the person's other requests do not ask a failing
    // Access again), then asked again.
    for (const [wait, asked] of [
      [0, 1],
      [0, 1],
      [400, 2],
    ] as const) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      // Shown as JSON on failure: a lone surrogate in a failure message breaks the test runner's channel.
      const facts = await factsOf(dir, "tok", who("nonce-1"), NOW + 60_000, NOW);
      expect(JSON.stringify(facts)).toBeUndefined();
      expect(calls).toHaveLength(asked);
    }
  });

  it("remembers a failure from when it ended, however old the request that made it", async () => {
    // A shadow candidate's lookup runs after the origin answered, seconds after its request began: stamped on the
    // request's clock, its failure was forgotten at once (from a closing review).
    let calls = 0;
    const { dir } = directory(() => {
      calls++;
      return new Response("down", { status: 503 });
    });
    const subject = who("nonce-late-lookup");
    expect(await factsOf(dir, "tok", subject, Date.now() + 600_000, Date.now() - 3_000)).toBeUndefined();
    expect(await factsOf(dir, "tok", subject, Date.now() + 600_000, Date.now())).toBeUndefined();
    expect(calls).toBe(1);
  });

  it("never hands one person another's groups when their tokens carry the same identity_nonce", async () => {
    // The stand-in directory answers for whoever the presented token is.
    const answers: Record<string, { email: string; groups: string[] }> = {
      "tok-admin": { email: "admin@example.com", groups: ["ward-admins"] },
      "tok-mallory": { email: "mallory@example.com", groups: [] },
      "tok-admin-other-team": { email: "admin@example.com", groups: ["contractors"] },
    };
    const { calls, dir } = directory(() =>
      Response.json(answers[calls[calls.length - 1]!.cookie!.slice("CF_Authorization=".length)]),
    );
    const admin = who("n-same", { subject: "u-admin", email: "admin@example.com" });
    expect(await factsOf(dir, "tok-admin", admin, NOW + 60_000, NOW)).toEqual({ groups: ["ward-admins"] });
    // Another subject and e-mail under the same nonce: asked again, and answered for that person.
    expect(
      await factsOf(
        dir,
        "tok-mallory",
        who("n-same", { subject: "u-mallory", email: "mallory@example.com" }),
        NOW + 60_000,
        NOW,
      ),
    ).toEqual({ groups: [] });
    // Each part counts alone: same nonce and e-mail, another subject; same nonce and subject, another e-mail or issuer.
    // (Access answers about mallory, not the admin the claims name: no groups at all.)
    expect(
      await factsOf(
        dir,
        "tok-mallory",
        who("n-same", { subject: "u-mallory", email: "admin@example.com" }),
        NOW + 60_000,
        NOW,
      ),
    ).toBeUndefined();
    expect(
      await factsOf(
        dir,
        "tok-mallory",
        who("n-same", { subject: "u-admin", email: "mallory@example.com" }),
        NOW + 60_000,
        NOW,
      ),
    ).toEqual({ groups: [] });
    expect(
      await factsOf(
        dir,
        "tok-admin-other-team",
        { ...admin, issuer: "https://other.cloudflareaccess.com" },
        NOW + 60_000,
        NOW,
      ),
    ).toEqual({ groups: ["contractors"] });
    expect(calls).toHaveLength(5);
    // The admin's own token still finds the admin's answer, without asking.
    expect(await factsOf(dir, "tok-admin", admin, NOW + 60_000, NOW)).toEqual({ groups: ["ward-admins"] });
    expect(calls).toHaveLength(5);
  });

  it("asks every time for a token without an identity_nonce", async () => {
    const { calls, dir } = directory(() => Response.json(body));
    await factsOf(dir, "tok", undefined, NOW + 60_000, NOW);
    await factsOf(dir, "tok", undefined, NOW + 60_000, NOW);
    expect(calls).toHaveLength(2);
  });
});
