// A person's request through the gateway, and waiting for a denylist change (a revocation, a security event) to
// reach it: shared by the tests of what such changes do (test/worker/ssf/, test/worker/denylist/).
import { exports } from "cloudflare:workers";
import { inject } from "vitest";
import { accessToken } from "./access-tokens.ts";
import { marker, originSaw } from "./harness.ts";

/** The gateway's answer to one request, and how many requests with its marker the origin saw. */
export interface Seen {
  status: number;
  seen: number;
}

/** A GET by a person (e-mail, and the Access `sub` when given) to a wiki path; whether the origin saw it. */
export async function asPerson(email: string, sub?: string, path = "/page"): Promise<Seen> {
  const m = marker();
  const token = await accessToken(inject("accessPrivateJwk"), {
    email,
    ...(sub ? { sub } : {}),
    identity_nonce: `n-${email}`,
  });
  const res = await exports.default.fetch(`https://wiki.localhost${path}?${m}`, {
    headers: { "cf-access-jwt-assertion": token },
  });
  return { status: res.status, seen: (await originSaw(m)).length };
}

/** Takes effect within the denylist's refresh interval (0.05 s here): ask until it does, a bounded number of times. */
export async function eventually(call: () => Promise<Seen>, status: number): Promise<Seen> {
  let last = await call();
  for (let i = 0; i < 40 && last.status !== status; i++) {
    await new Promise((r) => setTimeout(r, 25));
    last = await call();
  }
  return last;
}

/**
 * What the person gets once the isolate's denylist copy has been re-read after now: a busy isolate answers from
 * its copy while it re-reads in the background (one read at a time), so ask a few times over a few refresh
 * intervals (0.05 s here) and take the last answer. For asserting that something did NOT change the answer.
 */
export async function afterRefresh(call: () => Promise<Seen>): Promise<Seen> {
  let last = await call();
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 60));
    last = await call();
  }
  return last;
}
