// What an origin is sent: the allow-list, the names a service or route adds (`forwardHeaders`), the client's
// Authorization only where the policy forwards it, STRIP_HEADERS over all of them, and the decision log naming
// (never quoting) what was dropped.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

// The demo's payments service forwards X-Tenant-Id and (STRIP_HEADERS still wins) X-Tenant-Override;
// its health route also forwards Authorization, for an app with its own login.
const policy = demoPolicy
  .replace(
    "    owner: payments-team@example.com\n",
    "    owner: payments-team@example.com\n    forwardHeaders: [X-Tenant-Id, x-tenant-override]\n",
  )
  .replace("        path: /healthz\n", "        path: /healthz\n        forwardHeaders: [Authorization]\n")
  // Its health rule sets two headers: one STRIP_HEADERS names (never sent, whatever sets it), one it does not.
  .replace(
    "            principals: [{ public: true }]\n",
    "            principals: [{ public: true }]\n            headers: { X-Internal-Debug: rule, X-Set-By-Rule: rule }\n",
  );

beforeAll(async () => {
  expect(policy).toContain("forwardHeaders: [Authorization]");
  expect(policy).toContain("headers: { X-Internal-Debug: rule");
  await activate(policy);
});
afterEach(() => vi.restoreAllMocks());

async function send(url: string, headers: Record<string, string>, m = marker()) {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  const res = await exports.default.fetch(`${url}?${m}`, { headers });
  vi.restoreAllMocks();
  const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision")!;
  const seen = await originSaw(m);
  return { res, seen, decision, lines };
}

describe("headers forwarded to the origin", () => {
  it("a service's forwardHeaders reach its origin (any case), and nothing spelt otherwise", async () => {
    const { res, seen } = await send("https://payments.localhost/healthz", {
      "x-tenant-id": "acme",
      X_Tenant_Id: "evil",
      "X.Tenant.Id": "evil",
    });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["x-tenant-id"]).toBe("acme");
    expect(seen[0]!.headers.x_tenant_id).toBeUndefined();
    expect(seen[0]!.headers["x.tenant.id"]).toBeUndefined();
  });

  it("STRIP_HEADERS keeps a name from origins even when the policy forwards it", async () => {
    const { seen } = await send("https://payments.localhost/healthz", { "X-Tenant-Override": "acme" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["x-tenant-override"]).toBeUndefined();
  });

  it("STRIP_HEADERS keeps a name from origins when a rule's headers set it too (from the generated test)", async () => {
    // deployment.md: "headers never forwarded, even ones on the allow-list or in a service's forwardHeaders".
    const { res, seen } = await send("https://payments.localhost/healthz", { "X-Internal-Debug": "client" });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["x-internal-debug"]).toBeUndefined();
    expect(seen[0]!.headers["x-set-by-rule"]).toBe("rule");
  });

  it("Authorization reaches the origin only on the route that forwards it", async () => {
    const onHealth = await send("https://payments.localhost/healthz", { Authorization: "Basic YXBwOmxvZ2lu" });
    expect(onHealth.seen[0]!.headers.authorization).toBe("Basic YXBwOmxvZ2lu");
    // Another service, the demo wiki, for a signed-in person: no forwardHeaders, so no Authorization.
    const token = await accessToken(inject("accessPrivateJwk"), { email: "ann@example.com" });
    const wiki = await send("https://wiki.localhost/", {
      Authorization: "Basic YXBwOmxvZ2lu",
      "Cf-Access-Jwt-Assertion": token,
    });
    expect(wiki.decision).toMatchObject({ effect: "allow" });
    expect(wiki.seen).toHaveLength(1);
    expect(wiki.seen[0]!.headers.authorization).toBeUndefined();
  });

  it("Access's cookies are kept from the origin however they are spelt: space before '=', case, a second Cookie header, a lenient server's reading", async () => {
    const token = await accessToken(inject("accessPrivateJwk"), { email: "ann@example.com" });
    for (const cookies of [
      [`theme=dark; CF_Authorization =${token}`],
      [`theme=dark;\tcf_authorization\t=${token}`],
      ["theme=dark", `CF_Authorization=${token}`],
      [`theme=dark, CF_AppSession=x`, `CF_Binding=y; lang=de`],
      // As PHP and other lenient servers read them: quoted, percent-escaped, `.`, ` ` or `[` for `_`.
      [`theme=dark; "CF_Authorization"=${token}`],
      [`theme=dark; CF%5FAuthorization=${token}; CF.Authorization=${token}`],
      [`theme=dark; CF[Authorization=${token}; cf authorization=${token}`],
      // From a review: Python's SimpleCookie splits on spaces; PHP takes `name[]` and ends a name at NUL.
      [`theme=dark; x=1 CF_Authorization=${token}`, `lang="de" CF_Authorization=${token}`],
      [`theme=dark; CF_Authorization[]=${token}; CF_Authorization%00x=${token}`],
      // Each escape on its own, as PHP's urldecode reads them (a stray % does not stop the rest), and `+`.
      [`theme=dark; CF%5FAuthorization%00%=${token}; CF+Authorization=${token}`],
    ]) {
      const m = marker();
      // Signed in by the header, so that every case is forwarded and the cookie filter alone is tested.
      const headers = new Headers({ "cf-access-jwt-assertion": token });
      for (const cookie of cookies) headers.append("cookie", cookie);
      const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers });
      expect(res.status, cookies.join(" | ")).toBe(200);
      const seen = await originSaw(m);
      expect(seen).toHaveLength(1);
      const forwarded = String(seen[0]!.headers.cookie ?? "");
      expect(forwarded).not.toMatch(/cf_authorization|cf_appsession|cf_binding/i);
      expect(forwarded).not.toContain(token.split(".")[2]);
      expect(forwarded).toContain("theme=dark");
    }
  });

  it("two Cookie fields holding none of Access's cookies reach the origin as one header joined by '; '", async () => {
    const token = await accessToken(inject("accessPrivateJwk"), { email: "ann@example.com" });
    const m = marker();
    const headers = new Headers({ "cf-access-jwt-assertion": token });
    headers.append("cookie", "theme=dark");
    headers.append("cookie", "lang=de");
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    // The runtime joins them with ", ", which PHP and Node read as one cookie `theme` of value `dark, lang=de`.
    expect(seen[0]!.headers.cookie).toBe("theme=dark; lang=de");
  });

  it("a Cookie header holding none of Access's cookies reaches the origin as sent, commas and all", async () => {
    const token = await accessToken(inject("accessPrivateJwk"), { email: "ann@example.com" });
    const m = marker();
    const headers = new Headers({ "cf-access-jwt-assertion": token, cookie: 'prefs=a,b; lang=de;  q="x y"' });
    const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers });
    expect(res.status).toBe(200);
    const seen = await originSaw(m);
    expect(seen[0]!.headers.cookie).toBe('prefs=a,b; lang=de;  q="x y"');
  });

  it("the decision log names the dropped headers, never their values, and not the edge's own", async () => {
    const { seen, decision, lines } = await send("https://payments.localhost/healthz", {
      "X-User-Email": "ceo@example.com",
      "x-middleware-subrequest": "middleware:middleware",
      "CF-Ray": "8f00000000000000-LHR",
      "CF-IPCountry": "DE",
      "X-Tenant-Id": "acme",
      Accept: "text/plain",
    });
    expect(seen).toHaveLength(1);
    expect(decision.droppedHeaders).toEqual(["x-middleware-subrequest", "x-user-email"]);
    expect(lines.join("\n")).not.toContain("ceo@example.com");
    expect(lines.join("\n")).not.toContain("middleware:middleware");
  });

  it("a request that drops nothing logs no droppedHeaders; a flood of made-up names is reported only in part", async () => {
    const clean = await send("https://payments.localhost/healthz", { Accept: "text/plain" });
    expect(clean.decision).not.toHaveProperty("droppedHeaders");
    const flood = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-made-up-${i}`, "1"]));
    const { seen, decision } = await send("https://payments.localhost/healthz", flood);
    expect(seen).toHaveLength(1);
    expect(Object.keys(seen[0]!.headers).filter((h) => h.startsWith("x-made-up-"))).toEqual([]);
    expect(decision.droppedHeaders).toHaveLength(32);
  });

  it("reports each dropped name cut to 100 characters: the client chooses their length too", async () => {
    // 32 names of 2,000 characters would make the caller's own decision line ~64 KB (Workers Logs keeps 256 KB
    // an invocation, and the decision line is written last).
    const long = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`x-${i}-${"a".repeat(2000)}`, "1"]));
    const { seen, decision } = await send("https://payments.localhost/healthz", long);
    expect(seen).toHaveLength(1);
    expect(decision.droppedHeaders).toHaveLength(32);
    for (const name of decision.droppedHeaders as string[]) {
      expect(name).toHaveLength(101);
      expect(name.endsWith("…")).toBe(true);
    }
    expect(JSON.stringify(decision).length).toBeLessThan(16_384);
  });

  // Found by mutation testing: only names far over the bound were tried, so one cut a character early went unseen.
  it("reports a dropped name of exactly 100 characters whole, and cuts one of 101", async () => {
    const exact = `x-${"a".repeat(98)}`;
    const over = `x-${"b".repeat(99)}`;
    const { seen, decision } = await send("https://payments.localhost/healthz", { [exact]: "1", [over]: "1" });
    expect(seen).toHaveLength(1);
    expect(decision.droppedHeaders).toEqual([exact, `${over.slice(0, 100)}…`]);
  });

  it("a denied request logs no droppedHeaders and never reaches the origin", async () => {
    const { res, seen, decision } = await send("https://payments.localhost/v1/refund", {
      "X-User-Email": "ceo@example.com",
    });
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
    expect(decision).not.toHaveProperty("droppedHeaders");
  });
});
