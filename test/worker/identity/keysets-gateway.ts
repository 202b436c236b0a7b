// The gateway half of the key-set differential: a policy whose token issuers and Access team fetch their keys
// from key servers the test programs (test/worker/issuer-endpoints.ts, the outbound edge of vitest.config.ts),
// and requests carrying tokens signed with the keys served.
import { EGRESS_COUNT, EGRESS_SERVE } from "../issuer-endpoints.ts";
import { AUD } from "../support/access-tokens.ts";
import { type Answer, documentOf, keySetText, type Pool, type VerifierKind } from "./keysets-cases.ts";

export const HOST = "ks.keysets.test";

export interface GatewayIssuer {
  name: string;
  issuer: string;
  url: string;
}

/** One service with a route for callers with any credential and a public one; issuers and Access as given. */
export function gatewayPolicy(team: string, issuers: GatewayIssuer[]): unknown {
  return {
    version: 1,
    metadata: { environment: "dev", owners: ["rev@example.com"] },
    identity: {
      access: { teamDomain: team, audiences: [AUD] },
      tokenIssuers: issuers.map((i) => ({
        name: i.name,
        kind: "kubernetes",
        issuer: i.issuer,
        keys: { jwksUrl: i.url },
        maxLifetime: "1h",
      })),
    },
    services: {
      keysets: {
        hosts: [HOST],
        origin: { tunnel: "PAYMENTS_API" },
        owner: "rev@example.com",
        routes: [
          {
            id: "any",
            methods: ["GET"],
            path: "/any",
            rules: [{ id: "a", effect: "allow", principals: [{ authenticated: true }] }],
          },
          {
            id: "open",
            methods: ["GET"],
            path: "/open",
            rules: [{ id: "o", effect: "allow", principals: [{ public: true }] }],
          },
        ],
      },
    },
  };
}

/** What the key server answers for `a`: status, content type and body (a network failure is a 502 here). */
export function served(pool: Pool, a: Answer, verifier: VerifierKind): { status: number; type: string; text: string } {
  const json = "application/json";
  switch (a.kind) {
    case "keys":
      return {
        status: 200,
        type: a.contentType ?? "",
        text: keySetText(documentOf(pool, a.entries, a.junk, verifier), verifier, 0),
      };
    case "status":
    case "redirect":
      return { status: a.status, type: json, text: keySetText(documentOf(pool, a.entries, [], verifier), verifier, 0) };
    case "text":
      return { status: 200, type: json, text: a.body };
    case "throw":
      return { status: 502, type: "text/html", text: "<html>bad gateway</html>" };
  }
}

export async function program(url: string, answer: { status: number; type: string; text: string }): Promise<void> {
  const q = new URLSearchParams({
    url,
    status: String(answer.status),
    type: answer.type,
    body: btoa(String.fromCharCode(...new TextEncoder().encode(answer.text)))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replaceAll("=", ""),
  });
  const res = await fetch(`${EGRESS_SERVE}?${q}`);
  if (res.status !== 204) throw new Error(`programming ${url}: ${res.status}`);
}

export async function fetchCount(url: string): Promise<number> {
  const res = await fetch(`${EGRESS_COUNT}?url=${encodeURIComponent(url)}`);
  return ((await res.json()) as { count: number }).count;
}
