// The push endpoint's shared secret as an operator may put it: pasted in the dashboard (or through the API, or
// `wrangler secret bulk`) with a newline or a space around it (`wrangler secret put` trims only trailing ones). An HTTP field value never begins or ends with whitespace (its
// parser drops it, RFC 9110 5.5), so such a secret matched no push: every SET was refused for good
// (authentication_failed, which a transmitter does not send again), revocations with them, and the log blamed
// the transmitter. The secret is read as the field value it stands for; one that is only whitespace is unset.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { takeSet } from "../../../worker/ssf/receive.ts";
import { activate } from "../support/harness.ts";
import { asPerson, eventually } from "../support/person-requests.ts";
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

async function take(token: string, authorization: string, secret: string) {
  const e = { ...env, SSF_IDP_AUTHORIZATION: secret } as unknown as Env;
  const headers = { "content-type": "application/secevent+jwt", authorization };
  const request = new Request("https://wiki.localhost/.ward/ssf/events/idp", { method: "POST", headers, body: token });
  return takeSet(request, e, "idp", Date.now(), () => {});
}

describe("a push secret put with whitespace around it", () => {
  it.each([`${SECRET}\n`, ` ${SECRET}`, `${SECRET}\r\n`, `\t${SECRET} `])("%j takes the push it names", async (put) => {
    const who = `pasted-${crypto.randomUUID()}@example.com`;
    const token = await signSet(revoke(who), transmitter);
    expect(await take(token, "Bearer other", put)).toMatchObject({ kind: "refused", err: "authentication_failed" });
    expect((await take(token, SECRET, put)).kind).toBe("accepted");
    expect(await eventually(() => asPerson(who), 403)).toEqual({ status: 403, seen: 0 });
  });

  it("of whitespace only is unset: asked for again", async () => {
    const token = await signSet(revoke("pasted-blank@example.com"), transmitter);
    for (const put of [" ", "\n", "\t \r\n"]) expect(await take(token, "", put)).toMatchObject({ kind: "later" });
  });
});
