// The portal lists only links the gateway lets the person open, in the policy shapes where it once did not
// (worker/pages/portal.ts): a prefix route's path that a more specific exact route decides, a service that takes
// only callers with a client certificate, a deny rule on an exact path's other trailing-slash spelling, and a
// WebSocket endpoint listed before the app's pages.
// Each link is then opened as the person, and a refusal is checked never to reach the origin. A generated
// comparison with the gateway's decisions is in test/unit/portal-links.property.test.ts.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

// The demo's wiki, with a reports area: everyone at example.com reads the reports below /reports, but the index
// page /reports itself (an exact route, which the gateway prefers over the prefix) is for SREs only. An
// "intranet" service takes only callers with a client certificate. On orders, a deny on the exact path /admin/
// keeps one SRE out of the admin home page, and the gateway applies it to /admin too.
const policy = demoPolicy
  .replace(
    / {2}wiki:\n {4}hosts: \[wiki\.localhost\]\n {4}origin: \{ tunnel: WIKI \}\n {4}owner: [^\n]*\n {4}routes:\n/,
    (m) => `  chat:
    hosts: [chat.localhost]
    origin: { tunnel: WIKI }
    owner: chat-team@example.com
    routes:
      - id: socket
        methods: [GET]
        path: /ws
        websocket: true
        rules:
          - id: staff-socket
            effect: allow
            principals: [{ emailDomain: example.com }]
      - id: pages
        methods: [GET, HEAD]
        pathPrefix: /
        rules:
          - id: staff-pages
            effect: allow
            principals: [{ emailDomain: example.com }]

  intranet:
    hosts: [intranet.localhost]
    origin: { tunnel: WIKI }
    owner: intranet-team@example.com
    requireCertificate: true
    routes:
      - id: home
        methods: [GET, HEAD]
        pathPrefix: /
        rules:
          - id: staff
            effect: allow
            principals: [{ emailDomain: example.com }]

${m}      - id: reports-index
        methods: [GET, HEAD]
        path: /reports
        rules:
          - id: sre-index
            effect: allow
            principals: [{ set: sre }]
      - id: reports
        methods: [GET, HEAD]
        pathPrefix: /reports
        rules:
          - id: staff-reports
            effect: allow
            principals: [{ emailDomain: example.com }]
`,
  )
  .replace(
    '      - id: admin\n        methods: ["*"]\n        pathPrefix: /admin\n',
    `      - id: admin-home
        methods: [GET, HEAD]
        path: /admin/
        rules:
          - id: not-sre-home
            effect: deny
            principals: [{ email: sre@example.com }]
          - id: sre-home
            effect: allow
            principals: [{ set: sre }]
      - id: admin
        methods: ["*"]
        pathPrefix: /admin
`,
  );

beforeAll(async () => {
  for (const added of ["id: reports-index", "intranet.localhost", "id: admin-home", "chat.localhost"])
    expect(policy).toContain(added);
  await activate(policy);
});

async function linksFor(email: string): Promise<string[]> {
  const m = marker();
  const token = await accessToken(signing, { email, identity_nonce: `n-portal-${email}` });
  const res = await exports.default.fetch(`https://wiki.localhost/.ward/me?${m}`, {
    headers: { "cf-access-jwt-assertion": token },
  });
  expect(res.status).toBe(200);
  const facts = (await res.json()) as { apps: { url: string }[] };
  expect(await originSaw(m)).toEqual([]);
  return facts.apps.map((a) => a.url);
}

/** Opens `url` as the person, as the portal's link would; returns the status and whether the origin saw it. */
async function open(email: string, url: string) {
  const m = marker();
  const token = await accessToken(signing, { email, identity_nonce: `n-portal-${email}` });
  const res = await exports.default.fetch(`${url}?${m}`, {
    redirect: "manual",
    headers: { "cf-access-jwt-assertion": token, accept: "text/html", "sec-fetch-mode": "navigate" },
  });
  await res.text();
  return { status: res.status, seen: (await originSaw(m)).length };
}

describe("the portal lists only links the gateway lets the person open", () => {
  it("does not link a prefix route's path that a more specific route refuses", async () => {
    const links = (await linksFor("ann@example.com")).filter((u) => u.startsWith("https://wiki.localhost"));
    expect(links).toHaveLength(1);
    // Whatever the portal links for ann, the gateway must let her open it.
    const opened = await open("ann@example.com", links[0]!);
    expect(opened.seen).toBe(opened.status === 200 ? 1 : 0); // a refusal never reached the origin
    expect({ url: links[0], status: opened.status }).toEqual({ url: links[0], status: 200 });
  });

  it("does not list a service that requires a client certificate to a person without one", async () => {
    const links = await linksFor("ann@example.com");
    expect(links).not.toContainEqual(expect.stringMatching(/^https:\/\/intranet\.localhost/));
    // ...and rightly: its home page, which her e-mail's rule would allow, is refused her without a certificate.
    expect(await open("ann@example.com", "https://intranet.localhost/")).toEqual({ status: 401, seen: 0 });
  });

  it("does not list a link that a deny on its other trailing-slash spelling refuses", async () => {
    const links = (await linksFor("sre@example.com")).filter((u) => u.startsWith("https://orders.localhost"));
    expect(links).toEqual([]);
    // ...and rightly: the deny on /admin/ refuses her /admin too, and neither reaches the origin.
    expect(await open("sre@example.com", "https://orders.localhost/admin")).toEqual({ status: 403, seen: 0 });
    expect(await open("sre@example.com", "https://orders.localhost/admin/")).toEqual({ status: 403, seen: 0 });
  });

  it("links an app's page before its WebSocket endpoint, whatever the policy's order", async () => {
    // From a black-box review: the portal linked chat's first GET route, /ws, where a browser gets no page.
    const links = (await linksFor("ann@example.com")).filter((u) => u.startsWith("https://chat.localhost"));
    expect(links).toEqual(["https://chat.localhost/"]);
    expect(await open("ann@example.com", links[0]!)).toEqual({ status: 200, seen: 1 });
  });
});
