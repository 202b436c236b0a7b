// POLICY_REFRESH_SECONDS had no upper bound: a value of 1e9 (a dashboard edit, a unit mistaken for ms in the
// other direction) was taken as it was, so a warm isolate never checked the active pointer again, and a push or
// rollback that withdrew access was never honoured by it. The interval is now at most 60 s, as long as the
// denylist's copy may serve (worker/denylist/cache.ts): past it a request re-checks before it is answered.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readSetting } from "../../../policy/index.ts";
import { activePolicy, resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { activate } from "../support/harness.ts";

const policy = (principal: string) => `
version: 1
metadata: { environment: dev, owners: [platform-security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
services:
  bound:
    hosts: [refresh-bound.localhost]
    origin: { tunnel: WIKI }
    owner: platform-security@example.com
    routes:
      - id: page
        methods: [GET]
        path: /page
        rules:
          - { id: who, effect: allow, principals: [${principal}] }
`;

beforeEach(() => resetPolicyCache());

describe("POLICY_REFRESH_SECONDS", () => {
  it("is read as at most 60 s", () => {
    for (const value of ["1e9", "86400", 61, "1e300"]) expect(readSetting("POLICY_REFRESH_SECONDS", value)).toBe(60);
    expect(readSetting("POLICY_REFRESH_SECONDS", "30")).toBe(30);
  });

  it.each(["1e9", 86_400])("of %s still has a warm isolate take a push that withdrew access", async (seconds) => {
    const settings = { POLICY: env.POLICY, POLICY_REFRESH_SECONDS: seconds, WARD_ENV: "dev" };
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    const open = await activate(policy("{ public: true }"));
    const now = Date.now();
    expect((await activePolicy(settings, now, waitUntil))?.version).toBe(open);
    const closed = await activate(policy("{ emailDomain: example.com }"));
    // An hour on, requests having come all along: the isolate has checked again, and serves the push.
    let served: string | undefined;
    for (let minute = 1; minute <= 60; minute++) {
      served = (await activePolicy(settings, now + minute * 60_000, waitUntil))?.version;
      await Promise.allSettled(background);
    }
    expect(served).toBe(closed);
  });
});
