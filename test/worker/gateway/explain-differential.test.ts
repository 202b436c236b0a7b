// A seeded differential test of `ward explain` against the gateway (from a review). Each case is a random policy and
// random requests (hosts with case, port and trailing dot; paths with percent-encoding, dot segments, slashes,
// case, non-ASCII; _method queries; anonymous, people with Access tokens, a workload with a client
// certificate). The gateway decides the request as bare workerd hands it over (rawRequest: no URL parser
// first, which is how `ward explain` says it reads a URL); explain's decision is computed by the functions
// scripts/commands/explain.ts calls, in the same order (parseArgs is not available in workerd).
// The seed is in the test's name; WARD_EXPLAIN_SEED=<n> replays it.
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import {
  applyGrants,
  applyUpgrade,
  countryOf,
  crossOriginRequest,
  evaluate,
  loadPolicy,
  upgradeKind,
  type CompiledPolicy,
  type Decision,
} from "../../../policy/index.ts";
import { explainedIdentity, readUrl, tokenFlagsOf } from "../../../scripts/commands/explain.ts";
import { accessToken, AUD } from "../support/access-tokens.ts";
import { CERTS, CA_SKI, tlsClientAuth } from "../support/client-certs.ts";
import { prng } from "../../support/prng.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";

const signing = inject("accessPrivateJwk");
const CHECKOUT = "spiffe://demo.ward.internal/ns/shop/sa/checkout";

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const some = <T>(r: Rand, xs: readonly T[]): T[] => {
  const out = xs.filter(() => r() < 0.5);
  return out.length > 0 ? out : [pick(r, xs)];
};

const PRINCIPALS = [
  { public: true },
  { authenticated: true },
  { emailDomain: "example.com" },
  { email: "alice@example.com" },
  { spiffe: CHECKOUT },
  { spiffePrefix: "spiffe://demo.ward.internal/ns/shop/" },
  { trustDomain: "demo.ward.internal" },
];
const PATTERNS: Record<string, string>[] = [
  { path: "/v1/items" },
  { path: "/v1/items/{id}" },
  { pathPrefix: "/admin" },
  { pathPrefix: "/" },
  { path: "/docs/read" },
  { path: "/caf\u00e9" },
  { pathPrefix: "/v1" },
  { path: "/reports/export" },
];
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"] as const;

function randomPolicy(r: Rand): string {
  const services: Record<string, unknown> = {};
  for (let s = 0; s < 2; s++) {
    const routes: unknown[] = [];
    const used = new Set<string>();
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const pattern = pick(r, PATTERNS);
      const key = JSON.stringify(pattern);
      if (used.has(key)) continue;
      used.add(key);
      const rules: unknown[] = [];
      const k = 1 + Math.floor(r() * 3);
      for (let j = 0; j < k; j++) {
        rules.push({
          id: `r${j}`,
          effect: r() < 0.3 ? "deny" : "allow",
          principals: [pick(r, PRINCIPALS)],
          ...(r() < 0.15 ? { mode: "audit" } : {}),
        });
      }
      const denyAudit = rules.map((x) => x as { effect: string; mode?: string });
      for (const rule of denyAudit) if (rule.effect !== "deny") delete rule.mode;
      routes.push({
        id: `route${i}`,
        methods: r() < 0.2 ? ["*"] : some(r, METHODS),
        ...pattern,
        rules,
        ...(r() < 0.15 ? { websocket: true } : {}),
      });
    }
    services[`s${s}`] = {
      hosts: [`s${s}.localhost`],
      origin: { tunnel: "WIKI" },
      owner: `s${s}@example.com`,
      ...(r() < 0.3 ? { caseInsensitivePaths: true } : {}),
      ...(r() < 0.2 ? { mode: "audit" } : {}),
      ...(r() < 0.3 ? { hide: true } : {}),
      routes,
    };
  }
  return stringify({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"], trustDomains: ["demo.ward.internal"] },
    identity: {
      access: { teamDomain: "https://ward-demo.cloudflareaccess.com", audiences: [AUD] },
      mtls: { issuers: [{ ski: CA_SKI, trustDomains: ["demo.ward.internal"] }], spiffe: true },
    },
    services,
  });
}

const PATH_BASES = [
  "/v1/items",
  "/v1/items/7",
  "/admin",
  "/admin/users",
  "/docs/read",
  "/caf\u00e9",
  "/reports/export",
  "/",
  "/v1",
];
const PATH_MUTATIONS: ((p: string, r: Rand) => string)[] = [
  (p) => p,
  (p) => p,
  (p) => p,
  (p) => p,
  (p) => p,
  (p) => p,
  (p) => p,
  (p) => `${p}/`.replace(/\/\/$/, "/"),
  (p) => p.toUpperCase(),
  (p) => `${p}/`.replace(/\/\/$/, "/"),
  (p) => p.toUpperCase(),
  (p) => p.replace(/^\/(.)/, (_m, c: string) => `/${c.toUpperCase()}`),
  (p) => p.replace(/a/, "%61"),
  (p) => p.replace(/a/, "%41"),
  (p) => p.replace(/\u00e9/, "%C3%A9"),
  (p) => p.replace(/\u00e9/, "%c3%a9"),
  (p) => p.replace(/\u00e9/, "E\u0301"),
  (p) => `/x/..${p}`,
  (p) => `/.${p}`,
  (p) => `${p}/.`,
  (p) => p.replace(/\//g, "%2F").replace(/^%2F/, "/"),
  (p) => `${p};x=1`,
  (p) => `/${p}`,
  (p) => `${p}.`,
  (p) => `${p}%20`,
  (p) => p.replace(/i/, "%C4%B1"),
  (p) => p.replace(/s/, "%C5%BF"),
  (p) => p.replace(/k/, "\u212a"),
  (p) => `${p}%2e`,
  (p) => `${p}~`,
];
const HOSTS = (s: string) => [s, s.toUpperCase(), `${s}:443`, `${s}.`, `${s}:8443`, `${s}.:443`];
const QUERIES = ["", "", "", "", "", "", "", "", "&_method=DELETE", "&_METHOD=get", "&x=_method", "&_method%00=1"];
const WHO = ["anonymous", "alice@example.com", "bob@other.test", "cert"] as const;

interface Case {
  method: string;
  host: string;
  path: string;
  query: string;
  who: (typeof WHO)[number];
  websocket: boolean;
}

function randomCase(r: Rand): Case {
  const service = pick(r, ["s0", "s1"]);
  return {
    method: pick(r, [...METHODS, "GET", "GET"]),
    host: pick(r, HOSTS(`${service}.localhost`)),
    path: pick(r, PATH_MUTATIONS)(pick(r, PATH_BASES), r),
    query: pick(r, QUERIES),
    who: pick(r, WHO),
    websocket: r() < 0.1,
  };
}

/** What `ward explain` decides (scripts/commands/explain.ts explainCommand, without parseArgs). */
function explainDecides(policy: CompiledPolicy, c: Case, url: string, at: number): Decision {
  const values: Record<string, string | string[] | boolean | undefined> = {};
  if (c.who === "cert") values.as = CHECKOUT;
  else values.as = c.who;
  const identity = explainedIdentity(values, tokenFlagsOf(values), policy, at);
  const { host, path, query, origin } = readUrl(url);
  const headers = new Headers();
  if (c.websocket) headers.set("upgrade", "websocket");
  const upgrade = upgradeKind(c.method, headers.get("upgrade"), headers.get("connection"));
  const crossOrigin = () => crossOriginRequest(headers.get("sec-fetch-site"), headers.get("origin"), () => origin);
  const upgraded = (d: Decision) => (upgrade === "none" ? d : applyUpgrade(policy, d, upgrade, crossOrigin));
  return upgraded(
    applyGrants(
      policy,
      upgraded(evaluate(policy, { method: c.method, host, path, query, identity, country: countryOf(undefined) }, at)),
      identity,
      [],
      at,
    ),
  );
}

async function gatewayAnswers(c: Case, url: string): Promise<{ status: number; forwarded: boolean }> {
  const headers = new Headers();
  if (c.who === "alice@example.com" || c.who === "bob@other.test")
    headers.set("cf-access-jwt-assertion", await accessToken(signing, { email: c.who, sub: `u-${c.who}` }));
  if (c.websocket) {
    headers.set("upgrade", "websocket");
    headers.set("connection", "Upgrade");
    headers.set("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    headers.set("sec-websocket-version", "13");
  }
  const cf = c.who === "cert" ? { tlsClientAuth: await tlsClientAuth(CERTS.checkout) } : undefined;
  const res = await fetchRaw(rawRequest(url, { method: c.method, headers, ...(cf ? { cf } : {}) }));
  await res.body?.cancel();
  return { status: res.status, forwarded: false };
}

// WARD_EXPLAIN_SEED=<n> replays a seed (the runner's WARD_* variables reach workerd through inject).
const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_EXPLAIN_SEED ?? Math.floor(Math.random() * 2 ** 31));
const POLICIES = 12;
const REQUESTS = 40;

describe("ward explain agrees with the gateway, on generated policies and requests", () => {
  it(`seed ${SEED} (replay: WARD_EXPLAIN_SEED=${SEED}): explain's verdict is the gateway's`, {
    timeout: 600_000,
  }, async () => {
    const r = prng(SEED);
    const disagreements: string[] = [];
    let compared = 0;
    const tallies = new Map<string, number>();
    for (let p = 0; p < POLICIES; p++) {
      const text = randomPolicy(r);
      const loaded = await loadPolicy(text);
      if (!loaded.ok) {
        continue; // a generated policy the validator refuses (duplicates, shadowing): skip
      }
      await activate(text);
      // The isolate forgets the last policy, so the next request loads this one: waiting out the refresh interval
      // did not do it under load (a re-read of the old pointer still in flight is not started again, and its
      // request is answered with the old policy: one disagreement in a full run, gone on replay).
      resetPolicyCache();
      for (let q = 0; q < REQUESTS; q++) {
        const c = randomCase(r);
        const m = marker();
        const url = `https://${c.host}${c.path}?${m}${c.query}`;
        let explained: Decision | string;
        try {
          explained = explainDecides(loaded.policy, c, url, Date.now());
        } catch (e) {
          explained = `usage error: ${(e as Error).message}`;
        }
        const gateway = await gatewayAnswers(c, url);
        compared++;
        const tally =
          typeof explained === "string" ? "usage" : `${explained.effect}:${explained.status}:${explained.reasons[0]}`;
        tallies.set(tally, (tallies.get(tally) ?? 0) + 1);
        const seen = await originSaw(m);
        const forwarded = seen.length > 0;
        const explainAllows = typeof explained !== "string" && explained.effect === "allow";
        const explainStatus = typeof explained === "string" ? "usage" : explained.status;
        const agrees =
          typeof explained !== "string" &&
          explainAllows === forwarded &&
          (explainAllows
            ? gateway.status === 200 || gateway.status === 101 || gateway.status === 502
            : gateway.status === explainStatus);
        if (!agrees) {
          const what =
            typeof explained === "string"
              ? explained
              : `${explained.effect} ${explained.status} ${explained.reasons.join(",")} ${explained.problem ?? ""}`;
          disagreements.push(
            `policy ${p} ${c.who} ${c.method}${c.websocket ? " (websocket)" : ""} ${url.replace(m, "M")}: explain ${what} / gateway ${gateway.status}${forwarded ? " forwarded" : ""}`,
          );
        }
      }
    }
    expect(disagreements, `seed ${SEED}`).toEqual([]);
    // Enough of the generated policies load, and the requests reach both outcomes, for the comparison to count.
    expect(compared).toBeGreaterThan(POLICIES * REQUESTS * 0.4);
    expect([...tallies.keys()].some((t) => t.startsWith("allow"))).toBe(true);
    expect([...tallies.keys()].some((t) => t.startsWith("deny"))).toBe(true);
  });
});
