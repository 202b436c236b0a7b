// ward doctor and identity.tokenIssuers: each issuer's keys fetched as the gateway fetches them (no redirect,
// 64 KiB, a timeout; discovery -> jwks_uri), from a real HTTP server on 127.0.0.1 standing in for the demo's
// issuers, and judged by the gateway's own rule of which keys count (policy/issuer-key-set.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import {
  CLUSTER_DISCOVERY,
  CLUSTER_JWKS,
  type DemoIssuers,
  GITHUB_DISCOVERY,
  GITHUB_JWKS,
  goodAnswers,
  json,
  SPIRE_BUNDLE,
  startDemoIssuers,
} from "../support/demo-issuers.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const CONFIG = join(ROOT, "test/fixtures/wrangler/good.toml");
const demoText = readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8");
const TIMEOUT = 30_000;
const SPIRE_KEYS = "keys: { jwksUrl: https://spire.demo.ward.internal/bundle } # a SPIFFE bundle: its jwt-svid keys";

const dir = mkdtempSync(join(tmpdir(), "ward-doctor-issuers-"));
let issuers: DemoIssuers;
beforeAll(async () => {
  issuers = await startDemoIssuers();
});
afterEach(() => {
  issuers.answers = goodAnswers();
  issuers.asked.length = 0;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await issuers?.close();
});

/** The demo policy for staging, with edits (each must apply). */
function demo(edits: [string, string][] = []): string {
  let text = demoText
    .replace(/^ {2}environment: dev$/m, "  environment: staging")
    .replaceAll(".localhost]", ".staging.internal.example.com]");
  for (const [from, to] of edits) {
    expect(text, from).toContain(from);
    text = text.replace(from, to);
  }
  const file = join(dir, `demo-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function doctor(policy: string, ...more: string[]) {
  const out: string[] = [];
  const args = [
    "--env",
    "staging",
    "--config",
    CONFIG,
    "--policy",
    policy,
    "--secrets",
    "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK",
    ...more,
  ];
  const status = await doctorCommand(args, { out: (l) => out.push(l), err: () => {} }, { fetch: issuers.fetch });
  const findings = out.filter((l) => /^(error|warning)\[/.test(l));
  return { status, out, findings };
}

describe("ward doctor: token issuers' keys", () => {
  it("fetches every issuer's keys (discovery, then jwks_uri) and, all usable, reports nothing", {
    timeout: TIMEOUT,
  }, async () => {
    const run = await doctor(demo());
    expect(run.findings).toEqual([]);
    expect(run.status).toBe(EXIT.ok);
    expect(new Set(issuers.asked)).toEqual(
      new Set([SPIRE_BUNDLE, CLUSTER_DISCOVERY, CLUSTER_JWKS, GITHUB_DISCOVERY, GITHUB_JWKS]),
    );
  });

  it("a key URL that redirects is an error, and the redirect is not followed", { timeout: TIMEOUT }, async () => {
    issuers.answers.set(SPIRE_BUNDLE, (_req, res) => {
      res.writeHead(302, { location: "https://spire.demo.ward.internal/real-bundle" });
      res.end();
    });
    const run = await doctor(demo());
    expect(run.status).toBe(EXIT.failed);
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-unreachable\] .* identity\.tokenIssuers\[0\] \(demo-spire\): https:\/\/spire\.demo\.ward\.internal\/bundle: answered 302, a redirect to https:\/\/spire\.demo\.ward\.internal\/real-bundle: the gateway follows no redirect for keys; /,
      ),
    ]);
    expect(issuers.asked).not.toContain("spire.demo.ward.internal/real-bundle");
  });

  it("a key set over 64 KiB is an error, whether or not Content-Length says so", { timeout: TIMEOUT }, async () => {
    const big = JSON.stringify({ keys: [], padding: "x".repeat(70_000) });
    issuers.answers.set(CLUSTER_JWKS, (_req, res) => {
      // Chunked, no Content-Length: only counting the body finds it too large.
      res.writeHead(200, { "content-type": "application/json" });
      for (let i = 0; i < big.length; i += 8192) res.write(big.slice(i, i + 8192));
      res.end();
    });
    issuers.answers.set(GITHUB_JWKS, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(big.length) });
      res.end(big);
    });
    const run = await doctor(demo());
    expect(run.status).toBe(EXIT.failed);
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-unreachable\] .*\(demo-cluster\): https:\/\/kubernetes\.demo\.ward\.internal\/openid\/v1\/jwks: larger than 65536 bytes/,
      ),
      expect.stringMatching(
        /^error\[token-issuer-unreachable\] .*\(github-actions\): https:\/\/token\.actions\.githubusercontent\.com\/\.well-known\/jwks: larger than 65536 bytes/,
      ),
    ]);
  });

  it("a key set with only HMAC, private or kid-less keys has no usable key: an error", {
    timeout: TIMEOUT,
  }, async () => {
    issuers.answers.set(
      GITHUB_JWKS,
      json({
        keys: [
          { kty: "oct", k: "c2VjcmV0", kid: "hmac", alg: "HS256" },
          {
            kty: "EC",
            crv: "P-256",
            x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
          },
          {
            kty: "EC",
            crv: "P-256",
            kid: "private",
            d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
            x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
          },
        ],
      }),
    );
    const run = await doctor(demo());
    expect(run.status).toBe(EXIT.failed);
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-no-keys\] .*\(github-actions\): https:\/\/token\.actions\.githubusercontent\.com\/\.well-known\/jwks: none of its keys is usable/,
      ),
    ]);
  });

  it("keys the gateway's verifier refuses, or that share a kid, are no usable key: an error", {
    timeout: TIMEOUT,
  }, async () => {
    // From a review: jose verifies with none of these, and refuses a token whose kid matches two keys.
    const ec = {
      kty: "EC",
      crv: "P-256",
      x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
      y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    };
    const sets: [string, unknown[], RegExp][] = [
      ["RSA of 1,024 bits", [{ kty: "RSA", n: "A".repeat(171), e: "AQAB", kid: "small" }], /RSA keys of 2,048 bits/],
      ["EdDSA on Ed448", [{ kty: "OKP", crv: "Ed448", x: "A".repeat(76), kid: "ed448" }], /EdDSA keys on Ed25519/],
      [
        "key_ops sign only",
        [{ ...ec, kid: "ops", key_ops: ["sign"] }],
        /key_ops, if any, distinct and including verify/,
      ],
      [
        "one kid twice",
        [
          { ...ec, kid: "twice" },
          { ...ec, kid: "twice" },
        ],
        /shares its kid with another key \(twice\)/,
      ],
    ];
    for (const [what, keys, why] of sets) {
      issuers.answers = goodAnswers();
      issuers.answers.set(GITHUB_JWKS, json({ keys }));
      const run = await doctor(demo());
      expect(run.status, what).toBe(EXIT.failed);
      expect(run.findings, what).toEqual([
        expect.stringMatching(/^error\[token-issuer-no-keys\] .*\(github-actions\): /),
      ]);
      expect(run.findings[0], what).toMatch(why);
    }
  });

  it("a SPIFFE bundle whose keys are not marked use: jwt-svid has none: an error", { timeout: TIMEOUT }, async () => {
    const good = (await (await issuers.fetch(`https://${SPIRE_BUNDLE}`, {})).json()) as { keys: object[] };
    issuers.answers.set(SPIRE_BUNDLE, json({ keys: good.keys.map((k) => ({ ...k, use: "sig" })) }));
    issuers.asked.length = 0;
    const run = await doctor(demo());
    expect(run.findings).toEqual([
      expect.stringMatching(/^error\[token-issuer-no-keys\] .*\(demo-spire\): .*marked `use: jwt-svid`/),
    ]);
  });

  it("keys that fit none of the issuer's algorithms are an error", { timeout: TIMEOUT }, async () => {
    // The cluster's only key is RSA; an issuer allowed ES256 alone could verify none of its tokens.
    const run = await doctor(
      demo([
        [
          "      trustDomain: demo.ward.internal\n      maxLifetime: 10m",
          "      trustDomain: demo.ward.internal\n      algorithms: [ES256]\n      maxLifetime: 10m",
        ],
      ]),
    );
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-no-keys\] .*\(demo-cluster\): .*none of its 1 usable key can verify the algorithms allowed \(ES256\)/,
      ),
    ]);
  });

  it("a discovery document for another issuer, or an issuer that does not answer, is an error", {
    timeout: TIMEOUT,
  }, async () => {
    issuers.answers.set(
      CLUSTER_DISCOVERY,
      json({ issuer: "https://evil.example", jwks_uri: `https://${CLUSTER_JWKS}` }),
    );
    issuers.answers.set(GITHUB_DISCOVERY, (req) => req.socket.destroy());
    const run = await doctor(demo());
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-unreachable\] .*\(demo-cluster\): .*does not name issuer https:\/\/kubernetes\.demo\.ward\.internal/,
      ),
      expect.stringMatching(
        /^error\[token-issuer-unreachable\] .*\(github-actions\): https:\/\/token\.actions\.githubusercontent\.com\/\.well-known\/openid-configuration: unreachable/,
      ),
    ]);
    expect(run.out).toContain(
      "  fix: serve the keys at a public https URL that answers 200 itself (point `keys` at the final URL, not one that redirects), or push them with the policy: `keys: { jwks: { keys: [...] } }`",
    );
    // The keys of a discovery document that vouches for another issuer are not even fetched.
    expect(issuers.asked).not.toContain(CLUSTER_JWKS);
  });

  it("an answer cut off after its headers is an error, not a crashed doctor", { timeout: TIMEOUT }, async () => {
    issuers.answers.set(CLUSTER_JWKS, (req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"keys": [');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const run = await doctor(demo());
    expect(run.status).toBe(EXIT.failed);
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-unreachable\] .*\(demo-cluster\): https:\/\/kubernetes\.demo\.ward\.internal\/openid\/v1\/jwks: answer cut off/,
      ),
    ]);
  });

  it("--offline fetches nothing and says so; keys pushed with the policy are still checked", {
    timeout: TIMEOUT,
  }, async () => {
    // Valid as a key set (ward validate takes it), but an EC key for an issuer allowed RS256 alone.
    const pushed = demo([
      [
        SPIRE_KEYS,
        "keys: { jwks: { keys: [{ kty: EC, crv: P-256, kid: spire-1, use: jwt-svid, x: f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU, y: x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0 }] } }\n      algorithms: [RS256]",
      ],
    ]);
    const run = await doctor(pushed, "--offline");
    expect(issuers.asked).toEqual([]);
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^error\[token-issuer-no-keys\] .*\(demo-spire\): the key set pushed with the policy: none of its 1 usable key can verify the algorithms allowed \(RS256\)/,
      ),
    ]);
    expect(run.out).toContain(
      "note: --offline: the keys of token issuers demo-cluster, github-actions were not fetched; run without --offline where their URLs are reachable",
    );
  });

  it("warns where a lifetime cap is longer than the issuer needs: Kubernetes past 10 min, others past 15", {
    timeout: TIMEOUT,
  }, async () => {
    const run = await doctor(
      demo([
        [
          "      trustDomain: demo.ward.internal\n      maxLifetime: 10m",
          "      trustDomain: demo.ward.internal\n      maxLifetime: 11m",
        ],
        ["      maxLifetime: 5m", "      maxLifetime: 15m"],
        ["      maxLifetime: 10m\n", "      maxLifetime: 16m\n"],
      ]),
    );
    expect(run.status).toBe(EXIT.ok);
    // SPIRE's at 15m is the default: no warning.
    expect(run.findings).toEqual([
      expect.stringMatching(
        /^warning\[token-issuer-lifetime-long\] .*\(demo-cluster\): maxLifetime 11m admits kubernetes tokens issued for longer than 10 minutes/,
      ),
      expect.stringMatching(
        /^warning\[token-issuer-lifetime-long\] .*\(github-actions\): maxLifetime 16m admits oidc tokens issued for longer than 15 minutes/,
      ),
    ]);
    expect(run.out).toContain(
      "  fix: set `expirationSeconds: 600` on the pods' serviceAccountToken projection and `maxLifetime: 10m` on the issuer",
    );
  });
});
