// A generated differential test of everything Ward answers people itself: the Access login
// redirect, the denied page, /.ward/me and /.ward/apps. The oracle is written from the docs (architecture.md
// step 6, policy.md, operations.md "The portal for people"), not from the code:
// - a browser page load with no identity is redirected to the Access login of the service's application with the
//   return path: the browser comes back to the path (and query) it asked for, on the same host, never another;
// - a denied person (403) gets an HTML page with the app, the request id and the owner, never the failing check;
//   a hidden service stays a plain 404; headers: text/html, no-store, CSP frame-ancestors 'none'; sandbox,
//   X-Frame-Options DENY, nosniff, COOP same-origin, Ward-Request-Id; no cookie;
// - every value shown comes out as text (read by a real HTML tokenizer, workerd's HTMLRewriter).
// The seed is fixed, so a run is repeatable; WARD_PAGES_SEED=<n> tries another, and is printed on failure;
// WARD_PAGES_STATS=1 prints how many answers of each status and type a run got.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { prng } from "../../support/prng.ts";
import { accessToken, AUD, TEAM } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";
import { parsePage } from "./page-html.ts";
import { postureOf } from "../support/posture.ts";

const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_PAGES_SEED ?? 20261206);
const CASES = 600;
const signing = inject("accessPrivateJwk");
const AUD2 = "b".repeat(64);

const OWNER_WIKI = `Wiki team <b>"bold"</b> & 'q' </title><script>alert(1)</script> &amp; é`;
const OWNER_VAULT = "vault@example.com <!-- --> ]]> <svg onload=alert(1)>";
const OWNER_APPS = "apps&#x3c;team&lt;";
const OWNER_DOCS = "docs-secret-owner";

const policy = {
  version: 1,
  metadata: { environment: "dev", owners: ["sec@example.com"] },
  identity: { access: { teamDomain: TEAM, audiences: [AUD, AUD2] } },
  admin: { principals: [{ group: "ward-admins" }] },
  services: {
    wiki: {
      hosts: ["wiki.localhost"],
      origin: { tunnel: "WIKI" },
      owner: OWNER_WIKI,
      routes: [
        {
          id: "secret-route-id",
          methods: ["GET", "HEAD"],
          pathPrefix: "/",
          rules: [
            { id: "secret-rule-id", effect: "allow", principals: [{ emailDomain: "example.com" }] },
            { id: "secret-deny-rule", effect: "deny", principals: [{ group: "banned-group" }] },
          ],
        },
      ],
    },
    vault: {
      hosts: ["vault.localhost"],
      origin: { tunnel: "WIKI" },
      owner: OWNER_VAULT,
      accessAudiences: [AUD],
      routes: [
        {
          id: "vault-read",
          methods: ["GET"],
          pathPrefix: "/",
          rules: [{ id: "vault-rule", effect: "allow", principals: [{ group: "vault-readers" }] }],
        },
      ],
    },
    apps: {
      hosts: ["*.apps.localhost"],
      origin: { tunnel: "WIKI" },
      owner: OWNER_APPS,
      routes: [
        {
          id: "apps-read",
          methods: ["GET"],
          path: "/only/this",
          rules: [{ id: "apps-rule", effect: "allow", principals: [{ email: "ann@example.com" }] }],
        },
      ],
    },
    docs: {
      hosts: ["docs.localhost"],
      origin: { tunnel: "WIKI" },
      owner: OWNER_DOCS,
      hide: true,
      routes: [
        {
          id: "docs-read",
          methods: ["GET"],
          pathPrefix: "/",
          rules: [{ id: "docs-rule", effect: "allow", principals: [{ email: "ann@example.com" }] }],
        },
      ],
    },
  },
};

/** canonical host -> service, as the docs say hosts are read (lower case, no port, no trailing dot). */
function serviceOf(host: string): string | undefined {
  if (host === "wiki.localhost") return "wiki";
  if (host === "vault.localhost") return "vault";
  if (host === "docs.localhost") return "docs";
  if (/^[a-z0-9-]+\.apps\.localhost$/.test(host)) return "apps";
  return undefined;
}
const OWNER: Record<string, string> = { wiki: OWNER_WIKI, vault: OWNER_VAULT, apps: OWNER_APPS, docs: OWNER_DOCS };
const LOGIN_AUD: Record<string, string> = { wiki: AUD, vault: AUD, apps: AUD, docs: AUD };

// People. Denied ones have addresses full of what HTML cares about (the local part allows ' & { } | / = ? ^ `).
const PEOPLE = [
  "ann@example.com",
  "o'neil&co@contractor.test",
  "&lt@contractor.test",
  "{x}|~=?^`@contractor.test",
  "a/b='c'@contractor.test",
  "banned@example.com",
];
const GROUPS: Record<string, unknown[]> = {
  "o'neil&co@contractor.test": [
    { id: "1", name: "<img src=x onerror=alert(1)>" },
    { id: "2", name: "a, b" },
  ],
  "&lt@contractor.test": [{ id: "1", name: '"quoted" & </li><script>x</script>' }],
  "{x}|~=?^`@contractor.test": [],
  "a/b='c'@contractor.test": [{ id: "1", name: "vault-readers-not" }],
  "banned@example.com": [{ id: "1", name: "banned-group" }],
};
const POSTURE: Record<string, unknown> = {
  "o'neil&co@contractor.test": postureOf({ "<svg onload=alert(1)>": true, "x\"y'z": false }),
  "&lt@contractor.test": postureOf({ "&amp;": true }),
};

const HOSTS = [
  "wiki.localhost",
  "WIKI.localhost",
  "wiki.localhost.",
  "wiki.localhost:8443",
  "vault.localhost",
  "docs.localhost",
  "x.apps.localhost",
  "evil-1.apps.localhost",
  "nowhere.localhost",
];
const SEGMENTS = [
  "a",
  "evil.test",
  "",
  ".",
  "..",
  "%2e",
  "%2F",
  "%2f%2fevil.test",
  "%5C",
  "\\",
  "\t",
  "\n",
  "\r",
  "@evil.test",
  "user:pass@evil.test",
  "javascript:alert(1)",
  "é",
  "%C3%A9",
  "a b",
  "%00",
  ";p=1",
  "~",
  ":",
  "%25",
  "https:",
  "\u3000",
  "\uFF0F",
  "<script>",
  '"q"',
  "only",
  "this",
  ".ward",
  "me",
  "apps",
  "x".repeat(300),
];
const QUERIES = [
  "",
  "?",
  "?a=1",
  "?redirect_url=//evil.test",
  "?next=%2F%2Fevil.test",
  "?x=<script>&y='\"",
  "?\t//evil.test",
  "?%0d%0aSet-Cookie:%20a=b",
  "#frag",
  "?a=1#//evil.test",
  "?é=ü",
  `?${"q".repeat(3000)}`,
];

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

function genPath(r: Random): string {
  if (r() < 0.15) return pick(r, ["/.ward/me", "/.ward/apps", "/.ward/m%65", "/only/this", "/"]);
  const n = Math.floor(r() * 4);
  const segs = Array.from({ length: n }, () => pick(r, SEGMENTS));
  let path = `/${segs.join("/")}`;
  if (r() < 0.1) path = path.replace(/^\//, pick(r, ["//", "/\\", "\\", "/\t/", "/%2F"]));
  if (r() < 0.05) path = `/${"long/".repeat(900)}`;
  return path;
}

const NAV: Record<string, string>[] = [
  { "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "sec-fetch-site": "none", accept: "text/html" },
  {
    "sec-fetch-mode": "navigate",
    "sec-fetch-dest": "document",
    "sec-fetch-site": "cross-site",
    "sec-fetch-user": "?1",
    accept: "text/html,*/*",
  },
  { accept: "text/html" },
  { "sec-fetch-mode": "navigate" },
];

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": "frame-ancestors 'none'; sandbox",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
  "referrer-policy": "no-referrer",
};
const SECRETS = [
  "secret-route-id",
  "secret-rule-id",
  "secret-deny-rule",
  "vault-rule",
  "apps-rule",
  "denied-by-rule",
  "no-matching-rule",
  "banned-group",
  "vault-readers",
  "revoked",
  "quarantined",
];
const ALLOWED_TAGS = new Set([
  "html",
  "head",
  "meta",
  "title",
  "style",
  "body",
  "h1",
  "h2",
  "p",
  "strong",
  "code",
  "a",
  "ul",
  "li",
  "small",
]);
const ALLOWED_ATTRS = new Set(["lang", "charset", "name", "content", "id", "href"]);

const tokens = new Map<string, string>();
beforeAll(async () => {
  await activate(JSON.stringify(policy));
  for (const email of PEOPLE) {
    if (GROUPS[email] || POSTURE[email]) {
      await fetch("https://directory.ward-demo.test/answer", {
        method: "PUT",
        body: JSON.stringify({
          email,
          answer: { email, groups: GROUPS[email] ?? [], devicePosture: POSTURE[email] ?? {} },
        }),
      });
    }
    tokens.set(email, await accessToken(signing, { email, identity_nonce: `rev-${PEOPLE.indexOf(email)}` }));
  }
});

function canonicalRequestHost(hostHeader: string): string {
  const noUser = hostHeader.includes("@") ? hostHeader.slice(hostHeader.lastIndexOf("@") + 1) : hostHeader;
  return noUser.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
}

interface Case {
  raw: boolean;
  url: string;
  host: string;
  who: string | undefined;
  headers: Record<string, string>;
}

function genCase(r: Random): Case {
  const host = pick(r, HOSTS);
  const path = genPath(r);
  const query = pick(r, QUERIES);
  const who = r() < 0.45 ? undefined : pick(r, PEOPLE);
  const headers = { ...pick(r, NAV) };
  if (who) {
    if (r() < 0.5) headers["cf-access-jwt-assertion"] = tokens.get(who)!;
    else headers.cookie = `CF_Authorization=${tokens.get(who)}`;
  }
  return { raw: r() < 0.6, url: `https://${host}${path}${query}`, host, who, headers };
}

async function send(c: Case): Promise<Response | undefined> {
  if (c.raw) return fetchRaw(rawRequest(c.url, { headers: c.headers }));
  let parsed: URL;
  try {
    parsed = new URL(c.url);
  } catch {
    return undefined;
  }
  return exports.default.fetch(parsed.href, { headers: c.headers, redirect: "manual" });
}

/** What the person's browser had asked for, as a browser reads the URL (WHATWG). */
function askedFor(url: string): { path: string; query: string } | undefined {
  try {
    const u = new URL(url);
    return { path: u.pathname, query: u.search };
  } catch {
    return undefined;
  }
}

async function check(c: Case, res: Response, problems: string[]): Promise<void> {
  const say = (what: string): void => {
    problems.push(
      `${what}\n    case ${JSON.stringify(c.url)} raw=${c.raw} who=${c.who} headers=${JSON.stringify(Object.keys(c.headers))}`,
    );
  };
  const body = await res.text();
  // On a host no service names only tokens of an application no service lists count (policy.md): vault lists
  // AUD, so the people's tokens (AUD) are no credential there, and the login is AUD2's.
  const reqHost = canonicalRequestHost(new URL(c.url.replace(/[\t\n\r]/g, "")).host);
  const who = serviceOf(reqHost) === undefined ? undefined : c.who;
  const requestId = res.headers.get("ward-request-id");
  if (!requestId) say(`status ${res.status} without Ward-Request-Id`);
  if (res.headers.get("set-cookie")) say(`status ${res.status} sets a cookie: ${res.headers.get("set-cookie")}`);
  if (res.status >= 500) say(`status ${res.status}: ${body.slice(0, 200)}`);
  const location = res.headers.get("location");
  if (res.status === 302) {
    if (who) say("an identified person was sent to the login");
    if (!location) return say("302 without Location");
    if (res.headers.get("cache-control") !== "no-store") say(`302 cache-control ${res.headers.get("cache-control")}`);
    let loc: URL;
    try {
      loc = new URL(location);
    } catch {
      return say(`302 to an unreadable Location ${location}`);
    }
    const host = canonicalRequestHost(new URL(c.url.replace(/[\t\n\r]/g, "")).host);
    const service = serviceOf(host);
    if (loc.origin !== TEAM) say(`login on another origin: ${location}`);
    if (loc.pathname !== `/cdn-cgi/access/login/${host}`) say(`login for another host (${host}): ${location}`);
    const kid = loc.searchParams.get("kid");
    if (kid !== (service ? LOGIN_AUD[service] : AUD2)) say(`login to another application: ${kid}`);
    const back = loc.searchParams.get("redirect_url");
    if (back === null) return say(`no redirect_url: ${location}`);
    // As a browser resolves the return path on the host (Access sends it back there).
    const base = `https://${host}/`;
    let resolved: URL | undefined;
    try {
      resolved = new URL(back, base);
    } catch {
      say(`return path the browser cannot read: ${JSON.stringify(back)}`);
    }
    if (resolved && resolved.host !== host)
      say(`return path leaves the host: ${JSON.stringify(back)} -> ${resolved.href}`);
    if (!back.startsWith("/") || /^\/[\\/\t\n\r]/.test(back))
      say(`return path is not a plain path: ${JSON.stringify(back)}`);
    const asked = askedFor(c.url);
    if (asked) {
      const ownPage = /^\/\.ward\/(me|apps|m%65)$/.test(asked.path);
      const expected = ownPage ? asked.path : asked.path + asked.query;
      if (back !== expected) say(`return path ${JSON.stringify(back)}, asked for ${JSON.stringify(expected)}`);
    }
    return;
  }
  if (location) say(`status ${res.status} with a Location ${location}`);
  const type = res.headers.get("content-type") ?? "";
  if (type.startsWith("text/html")) {
    for (const [name, value] of Object.entries(PAGE_HEADERS))
      if (res.headers.get(name) !== value) say(`page header ${name}: ${res.headers.get(name)}`);
    const host = canonicalRequestHost(new URL(c.url.replace(/[\t\n\r]/g, "")).host);
    const service = serviceOf(host);
    const parsed = await parsePage(body, {
      title: "title",
      "#who": "who",
      "#request-id": "requestId",
      h1: "h1",
      p: "p",
      "#groups": "groups",
      "#posture": "posture",
    });
    for (const e of parsed.elements) {
      if (!ALLOWED_TAGS.has(e.tag)) say(`element <${e.tag}> on the page`);
      for (const [name, value] of e.attrs) {
        if (!ALLOWED_ATTRS.has(name)) say(`attribute ${name}=${JSON.stringify(value)} on <${e.tag}>`);
        if (
          name === "href" &&
          !/^(\/cdn-cgi\/access\/logout|\/\.ward\/me|https?:\/\/[a-z0-9.-]+(:\d+)?\/[^\s]*)$/.test(value)
        )
          say(`link to ${JSON.stringify(value)}`);
      }
    }
    if (parsed.comments.length) say(`comments in page: ${JSON.stringify(parsed.comments)}`);
    if (parsed.strayAmpersands.length) say(`unescaped & in page text: ${parsed.strayAmpersands.join(" ")}`);
    if (who && parsed.textOf.who !== c.who)
      say(`#who reads ${JSON.stringify(parsed.textOf.who)}, not ${JSON.stringify(c.who)}`);
    if (res.status === 403) {
      if (!who) say("an anonymous caller got the denied page");
      if (!service) return say("a denied page on a host no service answers");
      if (service === "docs") say("the hidden service showed the denied page");
      if (parsed.textOf.title !== `Access denied: ${service}`) say(`title ${JSON.stringify(parsed.textOf.title)}`);
      if (parsed.textOf.requestId !== requestId)
        say(`request id on page ${parsed.textOf.requestId} vs header ${requestId}`);
      if (!(parsed.textOf.p ?? "").includes(`ask ${OWNER[service]} for access`))
        say(`owner not shown as written: ${JSON.stringify(parsed.textOf.p)}`);
      for (const s of SECRETS) if (body.includes(s)) say(`the denied page names ${s}`);
    } else if (res.status === 200) {
      const asked = askedFor(c.url);
      if (!asked || !/^\/\.ward\/(me|apps|m%65)$/.test(asked.path)) say(`an HTML 200 not from Ward's pages: ${c.url}`);
      if (who && GROUPS[who]) {
        const names = (GROUPS[who] as { name: string }[]).map((g) => g.name);
        const expected = `Groups: ${names.length > 0 ? names.join(", ") : "none"}`;
        if (parsed.textOf.groups !== expected)
          say(`groups read ${JSON.stringify(parsed.textOf.groups)} not ${JSON.stringify(expected)}`);
      }
    } else say(`HTML with status ${res.status}`);
    return;
  }
  if (res.status === 403 && c.who && service403Shown(c)) say("a denied person in a browser got JSON, not the page");
  if (res.status !== 200 || !type.startsWith("application/json")) {
    // Ward's generic answers: {"error", "requestId"} and nothing else (an origin's own 200 is not Ward's).
    if (res.status !== 200) {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        // The origin's answer (allowed requests reach the recording origin).
        return;
      }
      if (json && typeof json === "object" && "requestId" in json) {
        const keys = Object.keys(json as object)
          .sort()
          .join(",");
        if (keys !== "error,requestId") say(`generic body has ${keys}`);
        if ((json as { requestId: string }).requestId !== requestId) say("body request id differs from header");
      }
    }
  }
}

function service403Shown(c: Case): boolean {
  try {
    const service = serviceOf(canonicalRequestHost(new URL(c.url.replace(/[\t\n\r]/g, "")).host));
    return service !== undefined && service !== "docs";
  } catch {
    return false;
  }
}

describe(`Ward's own answers to people (seed ${SEED}; replay: WARD_PAGES_SEED=${SEED})`, () => {
  it("redirects to the login with a same-host return path, and shows pages as text, with the promised headers", async () => {
    const r = prng(SEED);
    const problems: string[] = [];
    const counts: Record<string, number> = {};
    for (let i = 0; i < CASES; i++) {
      const c = genCase(r);
      let res: Response | undefined;
      try {
        res = await send(c);
      } catch (error) {
        problems.push(`threw ${String(error)} for ${JSON.stringify(c.url)}`);
        continue;
      }
      if (!res) continue;
      const key = `${res.status} ${(res.headers.get("content-type") ?? "").split(";")[0]}`;
      counts[key] = (counts[key] ?? 0) + 1;
      await check(c, res, problems);
    }
    if (wardEnv.WARD_PAGES_STATS) console.log(`seed ${SEED}: ${JSON.stringify(counts)}`);
    const unique = [...new Set(problems)];
    expect(unique.slice(0, 30), `seed ${SEED}: ${unique.length} problems`).toEqual([]);
  }, 240_000);
});

describe("device check names from get-identity on /.ward/me", () => {
  it("come out as plain text, as group names must (policy/clean-text.ts)", async () => {
    const email = "posture@example.com";
    const flipped = "disk-encryption \u202Edessap";
    await fetch("https://directory.ward-demo.test/answer", {
      method: "PUT",
      body: JSON.stringify({ email, answer: { email, groups: [], devicePosture: postureOf({ [flipped]: false }) } }),
    });
    const token = await accessToken(signing, { email, identity_nonce: "pages-posture" });
    const res = await fetchRaw(
      rawRequest("https://wiki.localhost/.ward/me", {
        headers: { ...NAV[0], cookie: `CF_Authorization=${token}` },
      }),
    );
    const page = await parsePage(await res.text(), { "#posture": "posture" });
    // The check failed; with the right-to-left override a browser showed the line as "disk-encryption deliaf passed".
    // Such a check is left out: its result is unknown.
    expect(res.status).toBe(200);
    expect(page.textOf.posture).not.toContain("\u202E");
    expect(page.textOf.posture).not.toContain("dessap");
  });
});
