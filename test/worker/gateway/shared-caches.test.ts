// An answer Ward forwarded to one caller must not be served by a shared cache (a TLS-inspecting forward proxy, a
// cache in front of the gateway) to another whom Ward would refuse: caches key on the URL, Ward decides per caller.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { activate, marker } from "../support/harness.ts";
import { accessToken } from "../support/access-tokens.ts";

const signing = inject("accessPrivateJwk");

const POLICY = `
version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
services:
  wiki:
    hosts: [wiki.localhost]
    origin: { tunnel: WIKI }
    owner: it-helpdesk@example.com
    routes:
      - id: open
        methods: [GET, HEAD]
        pathPrefix: /__answer/open
        rules: [{ id: anyone, effect: allow, principals: [{ public: true }] }]
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /__answer
        rules: [{ id: employees, effect: allow, principals: [{ emailDomain: example.com }] }]
`;

beforeAll(async () => {
  await activate(POLICY);
});

/** The origin's answer with these fields (the recording origin's /__answer), on `path`. */
function answerUrl(path: string, fields: [string, string][], status = 200): string {
  const encoded = btoa(JSON.stringify(fields)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
  return `https://wiki.localhost${path}?fields=${encoded}&status=${status}&${marker()}`;
}

const signedIn = async () => ({ "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com" }) });

describe("answers to a caller with an identity are kept from shared caches", () => {
  it.each([
    ["public, max-age=3600", "private, max-age=3600"],
    ["max-age=600", "private, max-age=600"],
    ["s-maxage=600, max-age=60", "private, max-age=60"],
    ["Public, S-MaxAge=600, proxy-revalidate", "private, proxy-revalidate"],
    ["public", "private"],
    ["must-revalidate, public, max-age=0", "private, must-revalidate, max-age=0"],
    // Qualified private names fields, not the answer: shared caches may still store the rest.
    ['private="set-cookie", max-age=60', "private, max-age=60"],
    // A quoted list is one directive: the `private` and `no-store` inside name fields, not the answer.
    ['no-cache="x, private", public, max-age=60', 'private, no-cache="x, private", max-age=60'],
    ['no-cache="no-store", max-age=60', 'private, no-cache="no-store", max-age=60'],
  ])("Cache-Control %j becomes %j", async (sent, passed) => {
    const res = await viaWard(answerUrl("/__answer/page", [["cache-control", sent]]), { headers: await signedIn() });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe(passed);
  });

  it("marks private an answer with none, which caches may keep by heuristics (a Last-Modified)", async () => {
    const url = answerUrl("/__answer/page", [["last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"]]);
    const res = await viaWard(url, { headers: await signedIn() });
    expect(res.headers.get("cache-control")).toBe("private");
    expect(res.headers.get("last-modified")).toBe("Mon, 01 Jan 2024 00:00:00 GMT");
  });

  it.each(["private", "no-store", "no-cache, no-store, must-revalidate", "private, max-age=60"])(
    "passes %j as sent: no shared cache stores it",
    async (sent) => {
      const res = await viaWard(answerUrl("/__answer/page", [["cache-control", sent]]), { headers: await signedIn() });
      expect(res.headers.get("cache-control")).toBe(sent);
    },
  );

  it("keeps a 304's answer private too (it refreshes what a cache holds)", async () => {
    const url = answerUrl(
      "/__answer/page",
      [
        ["cache-control", "public, max-age=60"],
        ["etag", '"v1"'],
      ],
      304,
    );
    const res = await viaWard(url, { headers: { ...(await signedIn()), "if-none-match": '"v1"' } });
    expect(res.status).toBe(304);
    expect(res.headers.get("cache-control")).toBe("private, max-age=60");
  });

  // RFC 9213: a CDN that reads its own targeted field ignores Cache-Control when it is present, `private` too.
  it.each(["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"])(
    "drops %s, which a CDN in front reads instead of Cache-Control",
    async (name) => {
      const url = answerUrl("/__answer/page", [
        ["cache-control", "public, max-age=60"],
        [name, "max-age=3600"],
      ]);
      const res = await viaWard(url, { headers: await signedIn() });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("private, max-age=60");
      expect(res.headers.has(name)).toBe(false);
    },
  );

  // A path with "%" goes through the router of Ward's own paths first (worker/own-paths.ts), which hands it on: the
  // origin's answer is not one of Ward's own, and gets the gateway's rule, not their no-store.
  it("keeps the origin's Cache-Control on an answer the own paths' router handed on", async () => {
    const open = await viaWard(answerUrl("/__answer/open/a%20b", [["cache-control", "public, max-age=3600"]]));
    expect(open.status).toBe(200);
    expect(open.headers.get("cache-control")).toBe("public, max-age=3600");
    const none = await viaWard(answerUrl("/__answer/open/a%20b", [["x-none", "1"]]));
    expect(none.headers.get("cache-control")).toBeNull();
    const signed = await viaWard(answerUrl("/__answer/a%20b", [["cache-control", "max-age=600"]]), {
      headers: await signedIn(),
    });
    expect(signed.headers.get("cache-control")).toBe("private, max-age=600");
  });

  it("passes an anonymous caller's answer as sent: anyone may have it without a credential", async () => {
    const res = await viaWard(answerUrl("/__answer/open/x", [["cache-control", "public, max-age=3600"]]));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
  });
});

/** Through the gateway, as any client. */
const viaWard = (url: string, init?: RequestInit) => exports.default.fetch(url, { redirect: "manual", ...init });
