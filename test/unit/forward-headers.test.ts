// The allow-list of request headers: the standard set, the names a service and its routes add, and what
// `ward explain` says of a request's headers (the same functions the gateway uses).
import { describe, expect, it } from "vitest";
import { compilePolicy, findService } from "../../policy/compile.ts";
import { evaluate } from "../../policy/evaluate.ts";
import { explainDecision, forwardedHeadersOf } from "../../policy/explain.ts";
import {
  droppedHeaders,
  extraForwardedHeaders,
  isForwardedHeader,
  STANDARD_FORWARDED_HEADERS,
} from "../../policy/forward-headers.ts";
import { validatePolicy } from "../../policy/validate/index.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");

async function policy() {
  const result = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    services: {
      app: {
        hosts: ["app.example.com"],
        origin: { tunnel: "APP" },
        owner: "app-team@example.com",
        forwardHeaders: ["X-Tenant-Id"],
        routes: [
          {
            id: "login",
            methods: ["POST"],
            path: "/login",
            forwardHeaders: ["Authorization", "X-CSRF-Token"],
            rules: [{ effect: "allow", principals: [{ public: true }] }],
          },
          {
            id: "rest",
            methods: ["GET"],
            pathPrefix: "/",
            rules: [{ effect: "allow", principals: [{ public: true }] }],
          },
        ],
      },
      other: {
        hosts: ["other.example.com"],
        origin: { tunnel: "OTHER" },
        owner: "other-team@example.com",
        routes: [
          {
            id: "all",
            methods: ["GET"],
            pathPrefix: "/",
            rules: [{ effect: "allow", principals: [{ public: true }] }],
          },
        ],
      },
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return compilePolicy(result.policy);
}

describe("the allow-list", () => {
  it("holds no credential, identity, override or hop-by-hop name", () => {
    for (const name of [
      "authorization",
      "proxy-authorization",
      "cf-access-jwt-assertion",
      "cf-access-client-secret",
      "x-forwarded-user",
      "x-forwarded-host",
      "x-original-url",
      "x-envoy-original-path",
      "x-middleware-subrequest",
      "x-http-method-override",
      "forwarded",
      "x-real-ip",
      "connection",
      "upgrade",
      "transfer-encoding",
      "te",
      "host",
      "x-user-email",
      "x-pomerium-jwt-assertion",
      "remote-user",
      "cf-ipcountry",
      "mf-cf-blob",
    ]) {
      expect(STANDARD_FORWARDED_HEADERS.has(name), name).toBe(false);
    }
    // Lower-case names only: Headers yields them so, and no spelling with '_' or '.'.
    for (const name of STANDARD_FORWARDED_HEADERS) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("a route's names add to its service's; other routes and services get only theirs", async () => {
    const compiled = await policy();
    const app = findService(compiled, "app.example.com")!;
    expect([...extraForwardedHeaders(app, "app/login")].sort()).toEqual([
      "authorization",
      "x-csrf-token",
      "x-tenant-id",
    ]);
    expect([...extraForwardedHeaders(app, "app/rest")]).toEqual(["x-tenant-id"]);
    expect([...extraForwardedHeaders(app, undefined)]).toEqual(["x-tenant-id"]);
    expect([...extraForwardedHeaders(findService(compiled, "other.example.com")!, "other/all")]).toEqual([]);
    expect(isForwardedHeader("authorization", extraForwardedHeaders(app, "app/rest"))).toBe(false);
    expect(isForwardedHeader("authorization", extraForwardedHeaders(app, "app/login"))).toBe(true);
  });

  it("names each dropped header once, in lower case, whatever its spelling", () => {
    const extra = new Set(["x-tenant-id"]);
    expect(
      droppedHeaders(
        ["Accept", "X_Tenant_Id", "x.tenant.id", "X-Tenant-Id", "X-User-Email", "x-user-email", "Ward-Assertion"],
        extra,
      ),
    ).toEqual(["x_tenant_id", "x.tenant.id", "x-user-email", "ward-assertion"]);
  });
});

describe("ward explain on headers", () => {
  it("an allow says what is forwarded and which of the request's headers are dropped", async () => {
    const compiled = await policy();
    const decision = evaluate(compiled, { method: "GET", host: "app.example.com", path: "/x", identity: {} }, NOW);
    const text = explainDecision(compiled, decision, {
      requestHeaders: ["Accept", "Authorization", "X-Tenant-Id", "X-User-Email"],
    });
    expect(text).toContain(
      "forwards  the standard request headers, and x-tenant-id; Ward adds ward-assertion, ward-request-id, x-forwarded-for/-proto\n",
    );
    expect(text).toContain(
      "dropped   authorization, x-user-email (not forwarded: add to forwardHeaders if the origin needs one)",
    );
    const login = evaluate(compiled, { method: "POST", host: "app.example.com", path: "/login", identity: {} }, NOW);
    expect(forwardedHeadersOf(compiled, login, ["Authorization", "X-CSRF-Token", "X-Debug"])).toEqual({
      extra: ["x-tenant-id", "authorization", "x-csrf-token"],
      dropped: ["x-debug"],
    });
  });

  it("a deny forwards nothing, so it says nothing of headers", async () => {
    const compiled = await policy();
    const decision = evaluate(compiled, { method: "DELETE", host: "app.example.com", path: "/x", identity: {} }, NOW);
    expect(decision.effect).toBe("deny");
    expect(forwardedHeadersOf(compiled, decision, ["X-User-Email"])).toBeUndefined();
    expect(explainDecision(compiled, decision, { requestHeaders: ["X-User-Email"] })).not.toMatch(/forwards|dropped/);
  });
});
