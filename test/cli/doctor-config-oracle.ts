// The oracle of test/cli/doctor-config-differential.test.ts: what an environment deploys with is what wrangler's
// own reader (`unstable_readConfig`, Cloudflare's implementation of the inheritance rules) says its effective
// config is; wrangler's deploy then takes `routes ?? [route]` and defaults workers_dev to on without routes.
// Which of those effective configs ward doctor must call an error is written from docs/operations.md ("The
// checks") and docs/deployment.md, not from scripts/doctor.
import { unstable_readConfig } from "wrangler";
import { WORKER_DOS } from "./doctor-config-cases.ts";

type Effective = Record<string, unknown> & {
  name?: string;
  workers_dev?: boolean;
  preview_urls?: boolean;
  routes?: unknown[];
  route?: unknown;
  vars: Record<string, unknown>;
  secrets?: { required?: string[] };
};

/** wrangler's effective config of `env` (the top level when undefined), or its refusal. */
export function wranglerReads(file: string, env: string | undefined): Effective | { refused: string } {
  try {
    return unstable_readConfig({ config: file, env }, { hideWarnings: true }) as unknown as Effective;
  } catch (error) {
    return { refused: String((error as Error).message) };
  }
}

/**
 * What `wrangler deploy` refuses in a config its reader took: a Worker without a name (its validateWorkerProps),
 * or a name outside wrangler's rule for a written one (its isValidName, "the same RegEx as the backend"), which it
 * does not apply to the `<name>-ENV` it makes itself (`[env.Staging]`: "ward-Staging").
 */
export function deployRefusal(c: Effective): string | undefined {
  if (!c.name) return "wrangler deploy: You need to provide the name of your worker";
  if (!/^[a-z0-9_][a-z0-9-_]*$/.test(c.name)) return `Cloudflare: ${JSON.stringify(c.name)} is not a Worker name`;
  return undefined;
}

/** The routes wrangler deploys the environment with (its deploy: `config.routes ?? [config.route]`). */
export function deployedRoutes(c: Effective): unknown[] {
  return c.routes ?? (c.route ? [c.route] : []);
}

/**
 * Whether a deployed route sends `host`'s every path to the Worker: a custom domain names the host; a route
 * pattern's host part matches it (`*` any run of characters, Cloudflare's rule) and its path part is `/*`.
 */
export function routeCovers(route: unknown, host: string): boolean {
  const r = typeof route === "string" ? { pattern: route } : (route as { pattern?: unknown; custom_domain?: unknown });
  if (typeof r?.pattern !== "string") return false;
  if (r.custom_domain === true) return r.pattern === host;
  const slash = r.pattern.indexOf("/");
  if (slash < 0 || r.pattern.slice(slash) !== "/*") return false;
  const hostPattern = r.pattern.slice(0, slash);
  // A policy's `*.rest` is every host one label up: covered only by a pattern `*S` whose S every `L.rest` ends with.
  if (host.startsWith("*."))
    return (
      hostPattern.startsWith("*") && !hostPattern.slice(1).includes("*") && host.slice(1).endsWith(hostPattern.slice(1))
    );
  const re = new RegExp(
    `^${hostPattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(host);
}

const list = (x: unknown): Record<string, unknown>[] => (Array.isArray(x) ? x : []);
const names = (c: Effective, kind: string, key = "binding"): string[] => list(c[kind]).map((t) => String(t[key]));
const doNames = (c: Effective): string[] =>
  list((c.durable_objects as { bindings?: unknown } | undefined)?.bindings).map((t) => String(t.name));

/** The Worker reads WARD_ENV as unset when it is falsy (docs: "or a blank one"). */
const blank = (v: unknown) => v === undefined || !v || (typeof v === "string" && v.trim() === "");

/** The issuer the environment's assertions carry: the Worker's ASSERTION_ISSUER, "ward" when unset or blank. */
const issuerOf = (c: Effective): unknown => {
  const issuer = c.vars.ASSERTION_ISSUER;
  return typeof issuer === "string" && issuer.trim() !== "" ? issuer : "ward";
};

export interface Expectation {
  /** Error codes doctor must report. */
  must: Set<string>;
  /** Error codes doctor may report (each alternative set: at least one of them). */
  oneOf: string[][];
}

/**
 * The errors doctor must give for `env`: from the effective configs of every environment (`all`) and the top
 * level (`top`). Only the codes the test models; without a policy (origins, Access and break-glass unchecked).
 */
export function expectedErrors(env: string, all: Record<string, Effective>, top: Effective): Expectation {
  const e = all[env]!;
  const must = new Set<string>();
  const oneOf: string[][] = [];
  if (top.workers_dev !== false || e.workers_dev !== false) must.add("workers-dev-enabled");
  if (top.preview_urls !== false || e.preview_urls !== false) must.add("preview-urls-enabled");
  if (deployedRoutes(e).length === 0) must.add("routes-missing");

  const needed: Record<string, string[]> = {
    kv_namespaces: ["POLICY", ...names(top, "kv_namespaces")],
    durable_objects: [...WORKER_DOS.map(([n]) => n), ...doNames(top)],
    analytics_engine_datasets: names(top, "analytics_engine_datasets"),
    origins: [...names(top, "services"), ...names(top, "vpc_services")],
  };
  const has: Record<string, string[]> = {
    kv_namespaces: names(e, "kv_namespaces"),
    durable_objects: doNames(e),
    analytics_engine_datasets: names(e, "analytics_engine_datasets"),
    origins: [...names(e, "services"), ...names(e, "vpc_services")],
  };
  for (const kind of Object.keys(needed))
    if (needed[kind]!.some((n) => !has[kind]!.includes(n))) must.add("binding-missing");

  const bound = [
    ...names(e, "kv_namespaces"),
    ...doNames(e),
    ...names(e, "analytics_engine_datasets"),
    ...names(e, "services"),
    ...names(e, "vpc_services"),
  ];
  const secretNames = new Set([
    "ASSERTION_SIGNING_KEYS",
    "NOTIFY_WEBHOOK",
    ...(e.secrets?.required ?? []),
    ...(top.secrets?.required ?? []),
  ]);
  const varNames = Object.keys(e.vars);
  if (new Set(bound).size < bound.length || varNames.some((v) => bound.includes(v))) must.add("binding-duplicate");
  if (varNames.some((v) => secretNames.has(v))) must.add("secret-as-var");

  const others = Object.keys(all).filter((n) => n !== env);
  // The top level is a Worker too once it has routes of its own (a deployed Worker, not only the local one).
  const deployedTop = deployedRoutes(top).length > 0;
  const peers = [...others.map((o) => all[o]!), ...(deployedTop ? [top] : [])];
  if (e.name !== undefined && peers.some((p) => p.name === e.name)) must.add("worker-name-shared");

  const wardEnv = e.vars.WARD_ENV;
  if (blank(wardEnv)) must.add("ward-env-unset");
  else if (wardEnv !== env) oneOf.push(["ward-env-mismatch", "ward-env-unset"]);

  const issuer = e.vars.ASSERTION_ISSUER;
  if (typeof issuer !== "string" || issuer.trim() === "") must.add("assertion-issuer-unset");
  else if (peers.some((p) => issuerOf(p) === issuer)) must.add("assertion-issuer-shared");

  if (!(e.secrets?.required ?? []).includes("ASSERTION_SIGNING_KEYS")) must.add("signing-key-not-declared");

  const production = e.vars.WARD_PRODUCTION;
  if (production !== undefined && !["true", true, "false", false].includes(production as string | boolean))
    must.add("ward-production-invalid");

  // State another environment (or the deployed top level) holds too.
  const kvIds = (c: Effective) => list(c.kv_namespaces).map((t) => t.id);
  const vpcIds = (c: Effective) => list(c.vpc_services).map((t) => t.service_id);
  const datasets = (c: Effective) => list(c.analytics_engine_datasets).map((t) => t.dataset ?? t.binding);
  const sharedWith = (mine: unknown[], theirs: (c: Effective) => unknown[]) =>
    mine.some((x) => x !== undefined && peers.some((p) => theirs(p).includes(x)));
  const scriptNamed = list((e.durable_objects as { bindings?: unknown } | undefined)?.bindings).some(
    (t) => t.script_name !== undefined && WORKER_DOS.some(([n]) => n === t.name),
  );
  if (sharedWith(kvIds(e), kvIds) || sharedWith(vpcIds(e), vpcIds) || sharedWith(datasets(e), datasets) || scriptNamed)
    must.add("binding-shared");
  return { must, oneOf };
}

/** Every code the oracle speaks for (others doctor may give are not compared). */
export const MODELLED = new Set([
  "workers-dev-enabled",
  "preview-urls-enabled",
  "routes-missing",
  "binding-missing",
  "binding-duplicate",
  "secret-as-var",
  "worker-name-shared",
  "ward-env-unset",
  "ward-env-mismatch",
  "assertion-issuer-unset",
  "assertion-issuer-shared",
  "signing-key-not-declared",
  "ward-production-invalid",
  "binding-shared",
  // Only for configs wrangler refuses, which the test does not compare by code: any of these on one it deploys
  // is an error too many.
  "legacy-env",
  "worker-name-invalid",
  "config-refused",
]);
