// Runs the gateway in workerd through Miniflare with a policy loaded into local KV and local origins.
// In front of it, a dev-only edge (Access login, cookies); behind it, its only egress goes to a dev-only
// Access issuer. Neither is part of the gateway bundle.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair } from "jose";
import { Miniflare } from "miniflare";
import { ACTIVE_KEY, type CompiledPolicy, versionRecords } from "../../policy/index.ts";
import { ISSUER_HOST } from "./access-issuer.ts";
import { bundleWorker } from "./bundle.ts";
import { WORKLOAD_ISSUER_HOST, type WorkloadIssuerConfig } from "./workload-issuer.ts";

export const COMPATIBILITY_DATE = "2026-11-01";
const DEMO_ORIGIN = fileURLToPath(new URL("./demo-origin.js", import.meta.url));
const LOCAL_EDGE = fileURLToPath(new URL("./local-edge.ts", import.meta.url));
const ACCESS_OUTBOUND = fileURLToPath(new URL("./access-outbound.ts", import.meta.url));

async function ephemeralSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: `dev-${Date.now()}` }] });
}

/** This run's Access issuer key: trusted only by this local gateway, gone when it stops. */
async function ephemeralIssuerKey(): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid: randomBytes(32).toString("hex") });
}

/**
 * The local SPIRE (workload-issuer.ts) for the policy's first spiffe-jwt-svid issuer whose keys are at a URL,
 * with an ES256 key made for this run; "" when there is none.
 */
async function workloadIssuer(policy: CompiledPolicy): Promise<string> {
  const spire = (policy.document.identity.tokenIssuers ?? []).find(
    (i) => i.kind === "spiffe-jwt-svid" && "jwksUrl" in i.keys,
  );
  if (!spire || !("jwksUrl" in spire.keys)) return "";
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const config: WorkloadIssuerConfig = {
    issuer: spire.issuer,
    bundleUrl: spire.keys.jwksUrl,
    ...(spire.trustDomain ? { trustDomain: spire.trustDomain } : {}),
    privateJwk: { ...(await exportJWK(privateKey)), kid: randomBytes(16).toString("hex") },
  };
  return JSON.stringify(config);
}

/** The gateway's Durable Objects, binding -> class, as in wrangler.toml. */
const DURABLE_OBJECTS = {
  POLICY_CONTROL: "PolicyControl",
  GRANTS: "Grants",
  DENYLIST: "Denylist",
  DENIAL_COUNTER: "DenialCounter",
  RATE_LIMITER: "RateLimiter",
  SSF_REPLAY: "SsfReplay",
} as const;

export interface Persona {
  email: string;
  groups: string[];
}

export interface LocalGatewayOptions {
  policy: CompiledPolicy;
  policyText: string;
  port: number;
  /** Binding name -> http://127.0.0.1:PORT; bindings not listed get a demo echo origin. */
  origins: Record<string, string>;
  /** An outside issuer's key set (--access-jwks-url); without it the local issuer signs for the team domain. */
  accessJwksUrl?: string;
  /** One-click identities on the local login page. */
  personas?: Persona[];
  /** Every console line of the workers (the decision log among them); default: printed to stdout. */
  onLog?: (line: string) => void;
}

export interface LocalGateway {
  url: URL;
  origins: Record<string, string>;
  /** The local Access login host, when the local issuer is on. */
  loginUrl?: URL;
  /** The local SPIRE's token endpoint (GET ?spiffe=&aud=&scope=), when the policy has an issuer it stands in for. */
  svidUrl?: URL;
  stop: () => Promise<void>;
}

function moduleWorker(
  name: string,
  source: string,
  env: Record<string, unknown>,
  routes?: string[],
  exports: Record<string, unknown> = {},
): object {
  return {
    config: {
      name,
      ...(routes ? { triggers: routes.map((pattern) => ({ type: "fetch", pattern })) } : {}),
      compatibilityDate: COMPATIBILITY_DATE,
      manifest: { mainModule: "worker.mjs", modules: { "worker.mjs": { type: "esm", contents: source } } },
      env,
      exports,
    },
  };
}

function tunnelBindings(policy: CompiledPolicy): string[] {
  const names = new Set<string>();
  for (const service of Object.values(policy.document.services)) {
    if (typeof service.origin === "object" && "tunnel" in service.origin) names.add(service.origin.tunnel);
  }
  return [...names];
}

/** Every host the policy serves, and *.localhost, where the demo apps and the local sign-in live. */
function edgeRoutes(policy: CompiledPolicy): string[] {
  const hosts = Object.values(policy.document.services).flatMap((service) => service.hosts);
  return ["*.localhost/*", ...hosts.map((host) => `${host}/*`)];
}

/** The policy stored and made active in the local KV, as a push would (the layout: policy/stored-version.ts). */
async function activateLocally(mf: Miniflare, policy: CompiledPolicy, text: string): Promise<void> {
  const kv = await mf.getKVNamespace("POLICY", "ward");
  for (const [key, value] of versionRecords(policy, text)) await kv.put(key, value);
  await kv.put(ACTIVE_KEY, policy.version);
}

/** The gateway's own bindings, as wrangler.toml declares them, with this run's throwaway secrets. */
async function gatewayEnv(policy: CompiledPolicy): Promise<Record<string, unknown>> {
  return {
    POLICY: { type: "kv", id: "ward-local-policy" },
    POLICY_REFRESH_SECONDS: { type: "text", value: "2" },
    ...Object.fromEntries(
      Object.entries(DURABLE_OBJECTS).map(([binding, exportName]) => [
        binding,
        { type: "durable-object", worker: "ward", exportName },
      ]),
    ),
    // Pushes (`ward push --local`) must be for the environment of the policy the gateway started with.
    WARD_ENV: { type: "text", value: policy.document.metadata.environment },
    // A throwaway assertion key for this run only; deployed gateways get theirs from a secret.
    ASSERTION_SIGNING_KEYS: { type: "text", value: await ephemeralSigningKeys() },
  };
}

interface OriginWiring {
  /** Origin binding -> its service: a local address given with --origin, else a built-in demo app. */
  bindings: Record<string, unknown>;
  /** The demo apps' workers, one per origin not given. */
  demoWorkers: object[];
  /** Origin binding -> what serves it, in words, for the start-up banner. */
  described: Record<string, string>;
}

/** Every tunnel the policy names, bound to the local origin given for it or to an echoing demo app. */
function wireOrigins(policy: CompiledPolicy, origins: Record<string, string>, demoOrigin: string): OriginWiring {
  const wiring: OriginWiring = { bindings: {}, demoWorkers: [], described: {} };
  for (const binding of tunnelBindings(policy)) {
    const target = origins[binding];
    if (target) {
      const address = new URL(target);
      wiring.bindings[binding] = { type: "external", address: address.host, http: {} };
      wiring.described[binding] = target;
    } else {
      const name = `demo-${binding.toLowerCase().replace(/_/g, "-")}`;
      wiring.bindings[binding] = { type: "worker", worker: name };
      wiring.described[binding] = `built-in demo app "${name}" (echoes what it receives)`;
      wiring.demoWorkers.push(moduleWorker(name, demoOrigin, { APP_NAME: { type: "text", value: binding } }));
    }
  }
  return wiring;
}

/** What the dev edge and the dev Access issuer are told: the team domain, audience, this run's key, personas. */
async function issuerEnv(options: LocalGatewayOptions): Promise<Record<string, unknown>> {
  const access = options.policy.document.identity.access;
  const text = (value: string) => ({ type: "text", value });
  return {
    ACCESS_TEAM_DOMAIN: text(access?.teamDomain ?? ""),
    ACCESS_AUDIENCE: text(access?.audiences[0] ?? ""),
    ISSUER_PRIVATE_JWK: text(await ephemeralIssuerKey()),
    ISSUER_PERSONAS: text(JSON.stringify(options.personas ?? [])),
    ISSUER_APP_HOSTS: text(JSON.stringify(Object.values(options.policy.document.services).flatMap((s) => s.hosts))),
    ...(options.accessJwksUrl ? { ACCESS_JWKS_URL: text(options.accessJwksUrl) } : {}),
  };
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const [gateway, edge, outbound, demoOrigin] = await Promise.all([
    bundleWorker(),
    bundleWorker(LOCAL_EDGE),
    bundleWorker(ACCESS_OUTBOUND),
    readFile(DEMO_ORIGIN, "utf8"),
  ]);
  const origins = wireOrigins(options.policy, options.origins, demoOrigin);
  const env = { ...(await gatewayEnv(options.policy)), ...origins.bindings };
  const workload = await workloadIssuer(options.policy);
  const issuer = { ...(await issuerEnv(options)), WORKLOAD_ISSUER: { type: "text", value: workload } };
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: options.port,
    cf: false,
    logRequests: false,
    ...(options.onLog ? { handleStructuredLogs: ({ message }: { message: string }) => options.onLog!(message) } : {}),
    workers: [
      // The first worker receives every request: the edge, which hands the rest to the gateway.
      // Its routes also tell Miniflare which hosts may reach /cdn-cgi/ paths (the Access sign-in ones).
      moduleWorker(
        "ward-dev-edge",
        edge,
        { ...issuer, WARD: { type: "worker", worker: "ward" } },
        edgeRoutes(options.policy),
      ),
      {
        ...moduleWorker(
          "ward",
          gateway,
          env,
          undefined,
          Object.fromEntries(
            Object.values(DURABLE_OBJECTS).map((name) => [name, { type: "durable-object", storage: "sqlite" }]),
          ),
        ),
        dev: { outboundService: { type: "worker", worker: "ward-dev-access" } },
      },
      moduleWorker("ward-dev-access", outbound, issuer),
      ...origins.demoWorkers,
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  // A failed start (a busy port) leaves no workerd behind, so the caller can report it and exit.
  const url = await mf.ready.catch(async (error: unknown) => {
    await mf.dispose().catch(() => {});
    throw error;
  });
  await activateLocally(mf, options.policy, options.policyText);
  const access = options.policy.document.identity.access;
  const loginUrl = access && !options.accessJwksUrl ? new URL(`http://${ISSUER_HOST}:${url.port}/`) : undefined;
  const svidUrl = workload ? new URL(`http://${WORKLOAD_ISSUER_HOST}:${url.port}/dev-svid`) : undefined;
  return {
    url,
    origins: origins.described,
    ...(loginUrl ? { loginUrl } : {}),
    ...(svidUrl ? { svidUrl } : {}),
    stop: () => mf.dispose(),
  };
}
