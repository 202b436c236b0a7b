// The demo policy's token issuers (policy/examples/demo.yaml: SPIRE's bundle endpoint, the cluster's and
// GitHub Actions' OIDC discovery) served by a real HTTP server on 127.0.0.1, with good keys unless a test
// replaces what one path answers. `fetch` sends https://HOST/PATH to http://127.0.0.1:PORT/HOST/PATH, so a CLI
// that fetches the policy's URLs (ward doctor) reaches this server instead of the internet.
import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Answer = (req: IncomingMessage, res: ServerResponse) => void;

export const SPIRE_BUNDLE = "spire.demo.ward.internal/bundle";
export const CLUSTER_DISCOVERY = "kubernetes.demo.ward.internal/.well-known/openid-configuration";
export const CLUSTER_JWKS = "kubernetes.demo.ward.internal/openid/v1/jwks";
export const GITHUB_DISCOVERY = "token.actions.githubusercontent.com/.well-known/openid-configuration";
export const GITHUB_JWKS = "token.actions.githubusercontent.com/.well-known/jwks";

function publicJwk(type: "ec" | "rsa"): Record<string, unknown> {
  const { publicKey } =
    type === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return publicKey.export({ format: "jwk" }) as Record<string, unknown>;
}

export function json(body: unknown): Answer {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

const ec = publicJwk("ec");
const rsa = publicJwk("rsa");

/** What each path answers when no test has replaced it: the issuers as they really publish their keys. */
export function goodAnswers(): Map<string, Answer> {
  return new Map([
    // A SPIFFE bundle: the JWT authority marked use: jwt-svid, beside an X.509 authority that must be ignored.
    [
      SPIRE_BUNDLE,
      json({
        keys: [
          { ...ec, kid: "spire-1", use: "jwt-svid" },
          { ...rsa, use: "x509-svid" },
        ],
        spiffe_sequence: 1,
      }),
    ],
    [CLUSTER_DISCOVERY, json({ issuer: "https://kubernetes.demo.ward.internal", jwks_uri: `https://${CLUSTER_JWKS}` })],
    [CLUSTER_JWKS, json({ keys: [{ ...rsa, kid: "cluster-1", use: "sig", alg: "RS256" }] })],
    [
      GITHUB_DISCOVERY,
      json({ issuer: "https://token.actions.githubusercontent.com", jwks_uri: `https://${GITHUB_JWKS}` }),
    ],
    [GITHUB_JWKS, json({ keys: [{ ...rsa, kid: "github-1", use: "sig", alg: "RS256" }] })],
  ]);
}

export interface DemoIssuers {
  /** What each HOST/PATH answers; tests replace entries (and reset with goodAnswers()). */
  answers: Map<string, Answer>;
  /** Every HOST/PATH asked for, in order. */
  asked: string[];
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  close: () => Promise<void>;
}

export async function startDemoIssuers(): Promise<DemoIssuers> {
  const state = { answers: goodAnswers(), asked: [] as string[] };
  const server = createServer((req, res) => {
    const key = (req.url ?? "/").slice(1);
    state.asked.push(key);
    const answer = state.answers.get(key);
    if (answer) return answer(req, res);
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  return {
    get answers() {
      return state.answers;
    },
    set answers(value) {
      state.answers = value;
    },
    asked: state.asked,
    fetch: (url, init) => fetch(url.replace(/^https:\/\//, `http://127.0.0.1:${port}/`), init),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
