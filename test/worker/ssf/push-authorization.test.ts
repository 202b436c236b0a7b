// The push endpoint held to a shared secret (the policy's `authorization`, the stream's authorization_header):
// a push without exactly its value is refused (authentication_failed) and changes nothing; and while the
// Worker secret the policy names is not set, a push is asked for again (503) rather than refused for good, so
// the revocations a transmitter sends while the operator puts the secret in place are not lost.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { takeSet } from "../../../worker/ssf/receive.ts";
import { activate } from "../support/harness.ts";
import { afterRefresh, asPerson, eventually } from "../support/person-requests.ts";
import { eventSet, signSet } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");
const SECRET = "Bearer push-secret";

beforeAll(async () => {
  const { d: _private, ...publicKey } = transmitter;
  const policy = ssfPolicy({ ...publicKey, use: "sig" }).replace(
    "      algorithms: [ES256]\n      events: [session-revoked, credential-change",
    "      algorithms: [ES256]\n      authorization: SSF_IDP_AUTHORIZATION\n      events: [session-revoked, credential-change",
  );
  expect(policy).toContain("authorization: SSF_IDP_AUTHORIZATION");
  await activate(policy);
});

const revoke = (who: string) => eventSet(EVENT_URIS["session-revoked"], {}, { format: "email", email: who });

async function take(token: string, authorization: string | undefined, secret: string | undefined) {
  const e = { ...env, SSF_IDP_AUTHORIZATION: secret } as unknown as Env;
  const headers: Record<string, string> = { "content-type": "application/secevent+jwt" };
  if (authorization !== undefined) headers.authorization = authorization;
  const request = new Request("https://wiki.localhost/.ward/ssf/events/idp", { method: "POST", headers, body: token });
  return takeSet(request, e, "idp", Date.now(), () => {});
}

describe("a push endpoint held to a shared secret", () => {
  it("refuses a push without the secret or with another, and takes one with it", async () => {
    const who = "push-auth@example.com";
    const token = await signSet(revoke(who), transmitter);
    for (const given of [undefined, "", "Bearer other", `${SECRET}x`, "push-secret"])
      expect(await take(token, given, SECRET)).toMatchObject({ kind: "refused", err: "authentication_failed" });
    expect(await afterRefresh(() => asPerson(who))).toEqual({ status: 200, seen: 1 });
    expect((await take(token, SECRET, SECRET)).kind).toBe("accepted");
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
  });

  it("while the secret is not set, a push is asked for again, and taken once it is", async () => {
    const who = "push-auth-unset@example.com";
    const token = await signSet(revoke(who), transmitter);
    for (const unset of [undefined, ""]) expect(await take(token, SECRET, unset)).toMatchObject({ kind: "later" });
    expect((await take(token, SECRET, SECRET)).kind).toBe("accepted");
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
  });
});
