// An assertion's `iat` is when Ward signed it, not when the request arrived: a request that waited on a look-up
// (Access's directory here, slow but within its timeout) still hands the origin an assertion with at least 30 s
// to live, as docs/origin-assertion.md promises. From a review: `iat` was the arrival, so a request that waited
// ~20 s (a key-set load, then grants) sent an assertion with far less left. Access is the outside edge.
import { exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { beforeAll, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { ASSERTION_REUSE_SECONDS, ASSERTION_TTL_SECONDS } from "../../../worker/origin/assertion.ts";
import { accessToken } from "../support/access-tokens.ts";
import { setDirectoryAnswer } from "../support/directory.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const DELAY_MS = 2_500;

beforeAll(async () => {
  await activate(demoPolicy);
});

it("signs the assertion of a request that waited on a look-up with its time then", async () => {
  const email = `slow-${crypto.randomUUID()}@example.com`;
  const body = JSON.stringify({ email, groups: [], devicePosture: {} });
  await setDirectoryAnswer(email, { $raw: { status: 200, body, delayMs: DELAY_MS } });
  const token = await accessToken(inject("accessPrivateJwk"), { email, identity_nonce: `n-${email}` });
  const m = marker();
  const arrived = Date.now();
  const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
    headers: { "cf-access-jwt-assertion": token },
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  const seen = await originSaw(m);
  expect(seen).toHaveLength(1);
  const { iat, exp } = decodeJwt(String(seen[0]!.headers["ward-assertion"]));
  expect(iat).toBeGreaterThanOrEqual(Math.floor((arrived + DELAY_MS) / 1000));
  expect(exp).toBe(iat! + ASSERTION_TTL_SECONDS);
  // What the origin is promised: at least this long left once it has the assertion.
  expect(exp! * 1000 - Date.now()).toBeGreaterThan((ASSERTION_TTL_SECONDS - ASSERTION_REUSE_SECONDS - 1) * 1000);
}, 15_000);
