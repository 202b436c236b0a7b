// Which denials count toward quarantine, with the real Denylist and DenialCounter objects: a person's browser
// making requests unasked (for the images a same-origin wiki page embeds) does not get the person quarantined,
// and a workload that sends a browser's Fetch Metadata headers is counted all the same (they are any client's to
// choose). Every refusal asserts the origin never saw the request.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { DenyEntry } from "../../../worker/denylist/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { afterRefresh, eventually } from "../support/person-requests.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
// The demo policy quarantining after 3 denials in a minute, with a wiki section only editors may read.
const policy = demoPolicy
  .replace("\nservices:\n", "\nquarantine: { deniedRequests: 3, within: 60s, for: 1h }\n\nservices:\n")
  .replace(
    "      - id: read\n        methods: [GET, HEAD]\n        pathPrefix: /\n",
    `      - id: drafts
        methods: [GET, HEAD]
        pathPrefix: /drafts
        rules:
          - id: editors-drafts
            effect: allow
            principals: [{ group: wiki-editors }]
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /
`,
  );

async function admin(path: string): Promise<Response> {
  return exports.default.fetch(`${ADMIN}${path}`, {
    headers: {
      "cf-access-jwt-assertion": await accessToken(signing, {
        email: "admin@example.com",
        identity_nonce: "n-quarantine-browser-admin",
      }),
    },
  });
}

const quarantined = async (): Promise<string[]> =>
  ((await (await admin("/denylist?kind=quarantine&all=1")).json()) as { entries: DenyEntry[] }).entries.map(
    (e) => e.value,
  );

/** The counting runs off the request path: ask until `value` is listed, a few refresh intervals at most. */
async function listedSoon(value: string): Promise<string[]> {
  let last = await quarantined();
  for (let i = 0; i < 40 && !last.includes(value); i++) {
    await new Promise((r) => setTimeout(r, 25));
    last = await quarantined();
  }
  return last;
}

beforeAll(async () => {
  expect(policy).toContain("editors-drafts");
  await activate(policy);
});

describe("a workload that sends browser headers", () => {
  const checkout = "workload:spiffe://demo.ward.internal/ns/shop/sa/checkout";
  async function asCheckout(path: string, headers: Record<string, string> = {}) {
    const m = marker();
    const res = await exports.default.fetch(`https://orders.localhost${path}?${m}`, {
      headers,
      cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) },
    } as RequestInit);
    return { status: res.status, seen: (await originSaw(m)).length };
  }

  it("is quarantined for walking the graph even when it claims its requests came from another site's page", async () => {
    expect(await asCheckout("/v1/orders/42")).toEqual({ status: 200, seen: 1 });
    // Not a browser: a client certificate, and a header any HTTP client can set.
    for (let i = 0; i < 6; i++)
      expect(await asCheckout(`/admin/users/${i}`, { "sec-fetch-site": "cross-site" })).toEqual({
        status: 403,
        seen: 0,
      });
    expect(await listedSoon(checkout)).toContain(checkout);
    expect(await eventually(() => asCheckout("/v1/orders/42"), 403)).toEqual({ status: 403, seen: 0 });
  });
});

describe("a page of the same origin", () => {
  it("does not get its viewers quarantined by images it embeds (a wiki page anyone may edit)", async () => {
    const who = "reader@example.com";
    const token = await accessToken(signing, { email: who, identity_nonce: `n-${who}` });
    // The person opens a wiki page whose content embeds <img src="/drafts/..."> three times: the browser
    // fetches each image by itself, same-origin, with the person's credentials.
    for (let i = 0; i < 3; i++) {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/drafts/secret-${i}.png?${m}`, {
        headers: {
          "cf-access-jwt-assertion": token,
          "sec-fetch-site": "same-origin",
          "sec-fetch-mode": "no-cors",
          "sec-fetch-dest": "image",
        },
      });
      expect(res.status).toBe(403);
      expect(await originSaw(m)).toEqual([]);
    }
    await new Promise((r) => setTimeout(r, 300)); // the counting runs off the request path
    const read = async () => {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
        headers: { "cf-access-jwt-assertion": token },
      });
      return { status: res.status, seen: (await originSaw(m)).length };
    };
    expect({
      listed: (await quarantined()).filter((v) => v === `user:${who}`),
      read: await afterRefresh(read),
    }).toEqual({ listed: [], read: { status: 200, seen: 1 } });
  });

  it("does not get them quarantined by prefetch links or a meta refresh either (from a review)", async () => {
    const who = "prefetched@example.com";
    const token = await accessToken(signing, { email: who, identity_nonce: `n-${who}` });
    const unasked: Record<string, string>[] = [
      // <link rel=prefetch href="/drafts/...">: fetched ahead, no script involved.
      {
        "sec-fetch-site": "same-origin",
        "sec-fetch-mode": "no-cors",
        "sec-fetch-dest": "empty",
        "sec-purpose": "prefetch",
      },
      // <meta http-equiv=refresh content="0;url=/drafts/...">: a navigation the page started, not the person.
      { "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" },
      { "sec-fetch-site": "same-origin", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "empty" },
      // <link rel=preload href="/drafts/..." as=fetch crossorigin> (or a Link header saying so): what a script's
      // fetch() sends, with no script (from a review, Chromium's headers), so a page's fetches do not count.
      // Three of them: as many as the policy's quarantine counts.
      ...Array.from({ length: 3 }, () => ({
        "sec-fetch-site": "same-origin",
        "sec-fetch-mode": "cors",
        "sec-fetch-dest": "empty",
      })),
    ];
    for (const [i, headers] of unasked.entries()) {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/drafts/ahead-${i}?${m}`, {
        headers: { "cf-access-jwt-assertion": token, ...headers },
      });
      expect(res.status).toBe(403);
      expect(await originSaw(m)).toEqual([]);
    }
    await new Promise((r) => setTimeout(r, 300)); // the counting runs off the request path
    expect((await quarantined()).filter((v) => v === `user:${who}`)).toEqual([]);
  });

  it("counts the same person's own requests for those paths (control: the counting works)", async () => {
    const who = "nosy@example.com";
    const token = await accessToken(signing, { email: who, identity_nonce: `n-${who}` });
    for (let i = 0; i < 3; i++) {
      const m = marker();
      // Opened by the person (a navigation), not embedded by a page.
      const res = await exports.default.fetch(`https://wiki.localhost/drafts/secret-${i}.png?${m}`, {
        headers: {
          "cf-access-jwt-assertion": token,
          ...[
            { "sec-fetch-site": "none", "sec-fetch-dest": "document" },
            { "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-user": "?1" },
            // No Fetch Metadata: a client of its own (curl, a script), never taken for a page's.
            { "sec-fetch-mode": "cors" },
          ][i],
        },
      });
      expect(res.status).toBe(403);
      expect(await originSaw(m)).toEqual([]);
    }
    expect(await listedSoon(`user:${who}`)).toContain(`user:${who}`);
  });
});
