// Where the admin API answers (policy/admin-host.ts): on a host no service names, never on an application's, in
// whatever spelling the Host header takes (case, port, trailing dot, a wildcard's subdomain).
import { describe, expect, it } from "vitest";
import { adminAnswersOn } from "../../policy/admin-host.ts";
import { loadPolicy } from "../../policy/load.ts";

const text = `
version: 1
metadata: { environment: dev, owners: [sec@example.com] }
identity:
  access: { teamDomain: https://example.cloudflareaccess.com, audiences: ["${"a".repeat(64)}"] }
admin:
  principals: [{ email: admin@example.com }]
services:
  wiki:
    hosts: [wiki.example.com, "*.apps.example.com"]
    origin: { tunnel: WIKI }
    owner: wiki-team@example.com
    routes:
      - id: all
        methods: [GET]
        pathPrefix: /
        rules: [{ id: people, effect: allow, principals: [{ emailDomain: example.com }] }]
`;

describe("the admin API's hosts", async () => {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const policy = loaded.policy;

  it.each(["wiki.example.com", "WIKI.Example.com", "wiki.example.com:443", "wiki.example.com.", "x.apps.example.com"])(
    "not on a service's host: %s",
    (host) => expect(adminAnswersOn(policy, host)).toBe(false),
  );

  it.each(["ward.example.com", "127.0.0.1:8787", "apps.example.com", "a.b.apps.example.com"])(
    "on a host no service names: %s",
    (host) => expect(adminAnswersOn(policy, host)).toBe(true),
  );

  it.each(["", "wiki.example.com:99999", "a b", "wiki.example.com:x"])("not on a host that is no host: %j", (host) =>
    expect(adminAnswersOn(policy, host)).toBe(false),
  );
});
