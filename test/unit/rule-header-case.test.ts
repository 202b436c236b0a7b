// A rule's `headers` naming one header twice, in different case: the value the origin got depended on the keys'
// order, which differs between the text as pushed and the stored document (keys sorted), so two isolates of
// one version sent different values (from a generated review of policy validation).
import { describe, expect, it } from "vitest";
import {
  evaluate,
  loadPolicy,
  loadStoredDocument,
  sha256Hex,
  storedDocument,
  validatePolicyText,
  type CompiledPolicy,
} from "../../policy/index.ts";

const text = `version: 1
metadata: { environment: dev, owners: [o] }
services:
  app:
    hosts: [app.example.com]
    origin: { tunnel: APP }
    owner: o
    routes:
      - id: r
        methods: [GET]
        path: /
        rules:
          - { effect: allow, principals: [{ public: true }], headers: { x-tenant: evil, X-Tenant: acme } }
`;

/** The X-Tenant the origin gets, set as worker/origin/headers.ts sets a rule's headers. */
function sentTenant(policy: CompiledPolicy): string | null {
  const request = { method: "GET", host: "app.example.com", path: "/", identity: {} };
  const headers = evaluate(policy, request, Date.UTC(2026, 11, 6)).obligations.headers;
  const out = new Headers();
  for (const name in headers) out.set(name, headers[name]!);
  return out.get("x-tenant");
}

describe("rule headers whose names differ only in case", () => {
  it("are refused as written, at the second name", () => {
    const result = validatePolicyText(text);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([
      expect.objectContaining({ code: "invalid-value", path: "services.app.routes[0].rules[0].headers.X-Tenant" }),
    ]);
  });

  it("are taken in one header once each, and in other headers beside them", () => {
    const once = text.replace("{ x-tenant: evil, X-Tenant: acme }", "{ X-Tenant: acme, x-team: ops }");
    expect(validatePolicyText(once).ok).toBe(true);
  });

  it("in a version stored before, send one value however the version is read", async () => {
    const pushed = await loadPolicy(text, { stored: true });
    if (!pushed.ok) throw new Error(JSON.stringify(pushed.issues));
    const document = storedDocument(pushed.policy);
    const cold = loadStoredDocument(document, await sha256Hex(document));
    if (!cold.ok) throw new Error(JSON.stringify(cold.issues));
    expect(cold.policy.version).toBe(pushed.policy.version);
    expect(sentTenant(pushed.policy)).toBe(sentTenant(cold.policy));
  });
});
