// A trusted issuer's token is Ward's however it is sent (docs/workload-tokens.md), and never reaches an origin, even
// where a route forwards Authorization: behind a JWS header that is not a JSON object (its payload and signature
// are the issuer's, and the header is near-constant), and as a Basic credential's password (`x-access-token:<jwt>`,
// as registry and git clients send an OIDC token). Found by the generated token differential's review.
import { exports } from "cloudflare:workers";
import { base64url } from "jose";
import { stringify } from "yaml";
import { describe, expect, it, vi } from "vitest";
import { activate, originSaw } from "../support/harness.ts";
import { issuerKey, signParts } from "../support/workload-tokens.ts";
import { policyDoc, SERVICES } from "./token-cases.ts";

const enc = (s: string) => base64url.encode(new TextEncoder().encode(s));

async function send(authorization: string, path = "/open") {
  const run = `m-${crypto.randomUUID()}`;
  const lines: string[] = [];
  const spy = vi.spyOn(console, "warn").mockImplementation((l: string) => void lines.push(String(l)));
  const log = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(String(l)));
  const res = await exports.default.fetch(`https://${SERVICES[0]!.host}${path}?${run}`, { headers: { authorization } });
  await res.arrayBuffer();
  spy.mockRestore();
  log.mockRestore();
  const seen = await originSaw(run);
  return { status: res.status, seen: seen[0] as unknown as { headers: Record<string, string> } | undefined, lines };
}

describe("a trusted issuer's token in a form that is not one Bearer token", () => {
  it("is consumed, never forwarded: behind a spoilt header, and as a Basic password", async () => {
    await activate(stringify(policyDoc()));
    const now = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify({
      iss: "https://spire.demo.ward.internal",
      sub: "spiffe://demo.ward.internal/ns/shop/sa/checkout",
      aud: ["https://a.revtok.test"],
      iat: now,
      exp: now + 300,
    });
    const good = await signParts(
      issuerKey("spire"),
      JSON.stringify({ alg: "ES256", kid: issuerKey("spire").kid, typ: "JWT" }),
      payload,
    );
    const [, p, s] = good.split(".");
    for (const headerText of ["[]", '"x"', "{", '{"alg":"ES256"'] as const) {
      const token = `${enc(headerText)}.${p}.${s}`;
      for (const value of [`Bearer ${token}`, `Bearer\t${token}`]) {
        const sent = await send(value);
        expect(sent.seen, `${JSON.stringify(value.slice(0, 12))} header ${headerText}`).toBeDefined();
        expect(sent.seen!.headers.authorization, `header ${headerText}`).toBeUndefined();
      }
    }
    for (const value of [`Basic ${btoa(`x-access-token:${good}`)}`, `basic ${btoa(`${good}:x`)}`, `Bearer ${good}`]) {
      const sent = await send(value);
      expect(sent.seen, value.slice(0, 12)).toBeDefined();
      expect(sent.seen!.headers.authorization, value.slice(0, 12)).toBeUndefined();
    }
    // Another issuer's token, and an app's own Basic credential, are the app's: forwarded where the route says so.
    const app = await send(`Basic ${btoa("user:app-password")}`);
    expect(app.seen!.headers.authorization).toBe(`Basic ${btoa("user:app-password")}`);
  });
});
