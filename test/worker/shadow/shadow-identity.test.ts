// When a shadow candidate may take the active decision's identity (worker/shadow/shadow-identity.ts): only when it
// reads the request's credentials alike. Anything else is identified again as the candidate says, or the report
// shows a new service's workloads as anonymous and a tokenAudience that locks workloads out as no change.
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadPolicy, type CompiledPolicy } from "../../../policy/index.ts";
import { identifiesAlike } from "../../../worker/shadow/shadow-identity.ts";
import { ssfPolicy } from "../ssf/policy.ts";

const TEAM = "https://ward-demo.cloudflareaccess.com";
const AUD = "a".repeat(64);

/** A service at `host` whose one route lets every caller with a credential in. */
const service = (host: string, extra: object = {}) => ({
  hosts: [host],
  origin: { tunnel: "APP" },
  owner: "ops@example.com",
  routes: [
    {
      id: "all",
      methods: ["GET"],
      pathPrefix: "/",
      rules: [{ id: "r", effect: "allow", principals: [{ authenticated: true }] }],
    },
  ],
  ...extra,
});

function doc(over: { access?: object; services?: Record<string, object>; tokenAudience?: string } = {}) {
  return {
    version: 1,
    metadata: { environment: "dev", owners: ["ops@example.com"] },
    identity: { access: { teamDomain: TEAM, audiences: [AUD], ...over.access } },
    services: {
      a: service("a.example.com", over.tokenAudience ? { tokenAudience: over.tokenAudience } : {}),
      b: service("b.example.com"),
      ...over.services,
    },
  };
}

async function compiled(d: unknown): Promise<CompiledPolicy> {
  const loaded = await loadPolicy(JSON.stringify(d));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const at = (host: string) => new Request(`https://${host}/x`);

describe("identifiesAlike", () => {
  it("is true for a candidate whose identity sources and audiences are the active's, whatever its rules", async () => {
    const active = await compiled(doc());
    const candidate = doc();
    (candidate.services.a.routes[0]!.rules[0] as { effect: string }).effect = "deny";
    expect(identifiesAlike(at("a.example.com"), active, await compiled(candidate))).toBe(true);
  });

  it("is false once the identity section differs: maxPostureAge, Access's limits", async () => {
    const active = await compiled(doc());
    expect(identifiesAlike(at("a.example.com"), active, await compiled(doc({ access: { maxPostureAge: "5m" } })))).toBe(
      false,
    );
    expect(
      identifiesAlike(at("b.example.com"), active, await compiled(doc({ access: { maxTokenLifetime: "1h" } }))),
    ).toBe(false);
  });

  it("is false for a candidate without the security events that hold a person's posture", async () => {
    // From a closing review: a person held after a device-compliance event, decided by the candidate as held,
    // though once promoted (no sharedSignals) they are let in.
    const key = {
      kty: "EC",
      crv: "P-256",
      x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
      y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    };
    const text = ssfPolicy(key);
    const active = await compiled(parseYaml(text));
    const without = await compiled(parseYaml(text.replace(/^sharedSignals:[\s\S]*?(?=^services:)/m, "")));
    expect(without.document.sharedSignals).toBeUndefined();
    expect(identifiesAlike(new Request("https://wiki.localhost/secure/doc"), active, without)).toBe(false);
    expect(identifiesAlike(new Request("https://wiki.localhost/secure/doc"), active, active)).toBe(true);
  });

  it("is false at a service whose tokenAudience changed, and true at another", async () => {
    const active = await compiled(doc());
    const candidate = await compiled(doc({ tokenAudience: "https://elsewhere.example.com" }));
    expect(identifiesAlike(at("a.example.com"), active, candidate)).toBe(false);
    expect(identifiesAlike(at("b.example.com"), active, candidate)).toBe(true);
  });

  it("is false at a host only the candidate serves, and for Access applications a service newly claims", async () => {
    const active = await compiled(doc());
    const added = await compiled(doc({ services: { c: service("c.example.com") } }));
    expect(identifiesAlike(at("c.example.com"), active, added)).toBe(false);
    const claiming = await compiled(doc({ services: { c: service("c.example.com", { accessAudiences: [AUD] }) } }));
    expect(identifiesAlike(at("a.example.com"), active, claiming)).toBe(false);
  });
});
