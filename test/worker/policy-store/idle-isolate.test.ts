// An isolate that has been idle does not answer with the policy it last checked: past two refresh intervals
// (POLICY_REFRESH_SECONDS is 0.05 here) its next request waits for the re-check. Before, that request was
// decided with the old version while the re-check ran in the background, however long ago the push was.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activate, marker, originSaw } from "../support/harness.ts";

const policy = (principal: string) => `
version: 1
metadata: { environment: dev, owners: [platform-security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
services:
  idle:
    hosts: [idle.localhost]
    origin: { tunnel: WIKI }
    owner: platform-security@example.com
    routes:
      - id: page
        methods: [GET]
        path: /page
        rules:
          - { id: who, effect: allow, principals: [${principal}] }
`;

async function page(): Promise<{ status: number; seen: number }> {
  const m = marker();
  const res = await exports.default.fetch(`https://idle.localhost/page?${m}`);
  await res.body?.cancel();
  return { status: res.status, seen: (await originSaw(m)).length };
}

describe("the policy an idle isolate answers with", () => {
  it("is the one pushed while it was idle: the first request after the pause is decided by it", async () => {
    await activate(policy("{ public: true }"));
    expect(await page()).toEqual({ status: 200, seen: 1 });
    expect(await page()).toEqual({ status: 200, seen: 1 });
    // The push withdraws anonymous access; no request reaches this isolate for 4 intervals.
    await activate(policy("{ emailDomain: example.com }"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await page()).toEqual({ status: 401, seen: 0 });
  });

  it("is re-checked in the background while requests keep coming, and the push takes effect", async () => {
    await activate(policy("{ public: true }"));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await page()).toEqual({ status: 200, seen: 1 });
    await activate(policy("{ emailDomain: example.com }"));
    let last = await page();
    for (let i = 0; i < 20 && last.status !== 401; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      last = await page();
    }
    expect(last).toEqual({ status: 401, seen: 0 });
  });
});
