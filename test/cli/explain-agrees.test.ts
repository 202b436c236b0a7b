// `ward explain` where it once disagreed with the gateway (found by a review that ran the real gateway in workerd
// on the same requests): a GET with a body (400 at the gateway), a string claim that looks like a number
// (GitHub's ids), a SPIFFE ID no certificate may carry, scopes on a person (Access grants none, so a deny rule on
// them does not apply), extra slashes before the host, and Ward's own paths (answered by Ward, never forwarded).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { wardText } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-explain-agrees-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The same policy as the workerd file: the demo, GitHub's owner id pinned as a string (docs/policy.md's advice),
// a CI route on a string claim, and a notes service with a deny on a scope.
const doc = parse(readFileSync("policy/examples/demo.yaml", "utf8"));
doc.identity.tokenIssuers[2].requireClaims = { repository_owner: "ward-demo", repository_owner_id: "65" };
doc.services.orders.routes.push({
  id: "retries",
  methods: ["POST"],
  path: "/v1/retries",
  rules: [
    {
      id: "second-attempt-ci",
      effect: "allow",
      principals: [{ claims: { iss: "https://token.actions.githubusercontent.com", run_attempt: "2" } }],
    },
  ],
});
doc.services.notes = {
  hosts: ["notes.localhost"],
  origin: { tunnel: "WIKI" },
  owner: "notes-team@example.com",
  routes: [
    {
      id: "all",
      methods: ["GET", "POST", "DELETE"],
      pathPrefix: "/",
      rules: [
        { id: "no-purge-scope", effect: "deny", principals: [{ authenticated: true }], when: { scopes: ["purge"] } },
        { id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] },
        { id: "demo-workloads", effect: "allow", principals: [{ trustDomain: "demo.ward.internal" }] },
      ],
    },
    {
      id: "admin",
      methods: ["GET"],
      pathPrefix: "/admin",
      rules: [{ id: "nobody", effect: "deny", principals: [{ authenticated: true }] }],
    },
  ],
};
const POLICY = join(dir, "policy.yaml");
writeFileSync(POLICY, stringify(doc));

const explain = (...args: string[]) => wardText("explain", POLICY, ...args);

describe("ward explain agrees with the gateway", () => {
  it.each(["Content-Length: 0", "Transfer-Encoding: chunked"])(
    "a GET with %s (a body) is 400 body-not-allowed, as at the gateway",
    async (header) => {
      const run = await explain("--as", "ann@example.com", "GET", "https://wiki.localhost/page", "-H", header);
      expect(run.out).toMatch(/^DENY 400 /);
      expect(run.out).toContain("body-not-allowed");
      expect(run.status).toBe(3);
    },
  );

  it('--claim NAME=65 can stand for GitHub\'s string claim "65" (requireClaims as docs/policy.md advises)', async () => {
    const run = await explain(
      "--token-issuer",
      "github-actions",
      "--as",
      "repo:ward-demo/orders:ref:refs/heads/main",
      "--claim",
      "repository_owner=ward-demo",
      "--claim",
      "repository_owner_id=65",
      "--claim",
      "repository=ward-demo/orders",
      "--claim",
      "ref=refs/heads/main",
      "--claim",
      "run_attempt=2",
      "POST",
      "https://orders.localhost/v1/retries",
    );
    expect(run.err).toBe("");
    expect(run.out).toMatch(/^ALLOW 200 /);
    expect(run.status).toBe(0);
  });

  it("--as spiffe://demo.ward.internal (a trust domain's ID, which no certificate may carry) is refused", async () => {
    const run = await explain("--as", "spiffe://demo.ward.internal", "GET", "https://notes.localhost/page");
    expect(run.out).not.toMatch(/^ALLOW/);
    expect(run.status).toBe(2);
  });

  it("--as a SPIFFE ID spelt against the standard is refused, as it is with --token-issuer", async () => {
    const run = await explain("--as", "spiffe://demo.ward.internal/ns/../admin", "GET", "https://notes.localhost/page");
    expect(run.out).not.toMatch(/^ALLOW/);
    expect(run.status).toBe(2);
  });

  it("--as EMAIL --scope S: 'no credential holds it, so a rule asking for it does not apply' (docs)", async () => {
    const run = await explain("--as", "ann@example.com", "--scope", "purge", "DELETE", "https://notes.localhost/page");
    expect(run.out).toMatch(/^ALLOW 200 /);
    expect(run.status).toBe(0);
  });

  // From a review: a token's whole scope string as one --scope was one scope the gateway never reads (it splits).
  it.each([
    ["--workload", "spiffe://demo.ward.internal/ns/shop/sa/checkout"],
    ["--as", "ann@example.com"],
  ])("%s with --scope 'a b' is a usage error, not a scope no rule can name", async (flag, who) => {
    const run = await explain(flag, who, "--scope", "payments:charge other", "GET", "https://notes.localhost/page");
    expect(run.status).toBe(2);
    expect(run.out).not.toMatch(/^(ALLOW|DENY)/);
  });

  it("http:///notes.localhost/admin is GET notes.localhost/admin to a client, never /notes.localhost/admin", async () => {
    const run = await explain("--as", "ann@example.com", "GET", "http:///notes.localhost/admin");
    expect(run.out).not.toContain("notes.localhost/notes.localhost/admin");
    // Read as a client sends it (DENY, exit 3), or refused as a usage error (exit 2): never ALLOW.
    expect(run.status).not.toBe(0);
  });

  it.each([
    ["POST", "https://wiki.localhost/.ward/admin/push"],
    ["GET", "https://wiki.localhost/.well-known/ward/jwks.json"],
    ["GET", "https://wiki.localhost/.ward/me"],
  ])("%s %s is Ward's own path: never forwarded to the origin", async (method, url) => {
    const run = await explain("--as", "editor@example.com", "--group", "wiki-editors", method, url);
    expect(run.out).not.toContain("forwards  the standard request headers");
    expect(run.status).toBe(2);
    expect(run.err).toContain("one of Ward's own paths, which Ward answers itself");
  });

  it("decides what Ward's router hands to the gateway under its prefixes as the gateway does: no route (POST /.ward/me)", async () => {
    const run = await explain("--as", "ann@example.com", "POST", "https://wiki.localhost/.ward/me");
    expect(run.err).toBe("");
    expect(run.out).toMatch(/^DENY 404 /);
    expect(run.out).toContain("route-not-found");
  });
});
