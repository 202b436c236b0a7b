// Generated wrangler.toml files for test/cli/doctor-config-differential.test.ts: a top level and one to three
// environments (now and then one named in upper case), each with or without every key ward doctor reads (name,
// legacy_env, names wrangler refuses or cannot make, workers_dev, preview_urls, route /
// routes, vars of every TOML type, secrets.required, each binding kind), names that clash, ids shared between
// environments and the top level. Written as TOML by a small writer here, so the case says what it holds.

export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };
export type Table = Record<string, TomlValue | undefined>;

/** One [env.NAME] (or the top level): its scalars, vars, secrets and binding arrays. */
export interface Section {
  scalars: Table;
  vars?: Table;
  secrets?: Table;
  arrays: Record<string, Table[]>;
  doBindings?: Table[];
}

export interface Case {
  top: Section;
  envs: Record<string, Section>;
}

export const ENV_NAMES = ["staging", "production", "eu", "qa"] as const;
export const WORKER_DOS: readonly [string, string][] = [
  ["POLICY_CONTROL", "PolicyControl"],
  ["GRANTS", "Grants"],
  ["DENYLIST", "Denylist"],
  ["DENIAL_COUNTER", "DenialCounter"],
  ["RATE_LIMITER", "RateLimiter"],
  ["SSF_REPLAY", "SsfReplay"],
];
const ORIGINS = ["PAYMENTS_API", "ORDERS_API"];

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const chance = (r: Rand, p: number) => r() < p;
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
const uuid = (r: Rand) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;

/** A value for a var, of any TOML type wrangler takes (no dates: wrangler refuses those). */
function oddValue(r: Rand): TomlValue {
  return pick<TomlValue>(r, [1, 0, true, false, "", " ", { x: 1 }, "5", 2.5]);
}

/** A flag (workers_dev, preview_urls) at one level: absent, false, or true. */
function flag(r: Rand, pFalse: number): boolean | undefined {
  const x = r();
  if (x < pFalse) return false;
  if (x < pFalse + 0.12) return true;
  return undefined;
}

function topSection(r: Rand): Section {
  // "Ward" wrangler refuses; "" (like none) is no name to make `<name>-ENV` of.
  const naming = r();
  const scalars: Table = {
    name: naming < 0.9 ? "ward" : naming < 0.92 ? "Ward" : naming < 0.94 ? "" : undefined,
    main: "worker/index.ts",
    compatibility_date: "2026-11-01",
    // Refused by wrangler 4, true or false.
    legacy_env: chance(r, 0.02) ? chance(r, 0.5) : undefined,
    workers_dev: flag(r, 0.75),
    preview_urls: flag(r, 0.75),
  };
  const routing = r();
  if (routing < 0.12) scalars.routes = ["ward.top.example.com/*"];
  else if (routing < 0.2) scalars.route = "ward.top.example.com/*";
  else if (routing < 0.24) scalars.routes = [{ pattern: "ward.top.example.com", custom_domain: true }];
  const vars: Table = { WARD_ENV: "dev" };
  if (chance(r, 0.5)) vars.POLICY_REFRESH_SECONDS = "5";
  if (chance(r, 0.3)) vars.ORIGIN_TIMEOUT_MS = 30000;
  if (chance(r, 0.15)) vars.NOTIFY_WEBHOOK = "";
  const secrets = chance(r, 0.3)
    ? {
        required: pick(r, [["ASSERTION_SIGNING_KEYS"], ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"], ["OTHER_SECRET"]]),
      }
    : undefined;
  const arrays: Record<string, Table[]> = {};
  if (chance(r, 0.85)) arrays.kv_namespaces = [{ binding: "POLICY", id: "ward-local-policy" }];
  if (chance(r, 0.4)) arrays.analytics_engine_datasets = [{ binding: "DECISIONS", dataset: "ward_decisions_dev" }];
  if (chance(r, 0.6)) arrays.services = ORIGINS.map((o) => ({ binding: o, service: `ward-demo-${o.toLowerCase()}` }));
  const doBindings = chance(r, 0.85) ? [{ name: "POLICY_CONTROL", class_name: "PolicyControl" }] : undefined;
  return { scalars, vars, secrets, arrays, doBindings };
}

function envSection(r: Rand, env: string, others: readonly string[], shared: Shared): Section {
  const scalars: Table = {
    workers_dev: flag(r, 0.6),
    preview_urls: flag(r, 0.6),
  };
  const naming = r();
  if (naming < 0.4) scalars.name = `ward-${env}`;
  else if (naming < 0.5 && others.length > 0) scalars.name = `ward-${pick(r, others)}`;
  else if (naming < 0.55) scalars.name = "ward";
  else if (naming < 0.57) scalars.name = `Ward-${env}`;
  else if (naming < 0.58) scalars.name = "";
  else if (naming < 0.59) scalars.name = `ward_${env}`;
  const routing = r();
  if (routing < 0.5) scalars.routes = [{ pattern: `*.${env}.example.com/*`, zone_name: "example.com" }];
  else if (routing < 0.62) scalars.route = `*.${env}.example.com/*`;
  else if (routing < 0.7) scalars.routes = [];
  else if (routing < 0.76) scalars.route = { pattern: `*.${env}.example.com/*`, zone_name: "example.com" };
  else if (routing < 0.78) scalars.route = "";
  else if (routing < 0.8) scalars.routes = [`x.${env}.example.com/*`];
  const vars: Table = {};
  const wardEnv = r();
  if (wardEnv < 0.62) vars.WARD_ENV = env;
  else if (wardEnv < 0.7 && others.length > 0) vars.WARD_ENV = pick(r, others);
  else if (wardEnv < 0.92) vars.WARD_ENV = oddValue(r);
  const issuer = r();
  if (issuer < 0.6) vars.ASSERTION_ISSUER = `ward-${env}`;
  else if (issuer < 0.7) vars.ASSERTION_ISSUER = "ward-shared";
  else if (issuer < 0.75) vars.ASSERTION_ISSUER = "ward";
  else if (issuer < 0.92) vars.ASSERTION_ISSUER = oddValue(r);
  if (chance(r, 0.25)) vars.WARD_PRODUCTION = pick<TomlValue>(r, ["true", true, "false", false, "TRUE", "", 1]);
  if (chance(r, 0.5)) vars.POLICY_REFRESH_SECONDS = "5";
  if (chance(r, 0.3)) vars.ORIGIN_TIMEOUT_MS = "30000";
  if (chance(r, 0.05)) vars[pick(r, ["NOTIFY_WEBHOOK", "ASSERTION_SIGNING_KEYS", "OTHER_SECRET"])] = "";
  if (chance(r, 0.03)) vars[pick(r, ["POLICY", "GRANTS", "PAYMENTS_API"])] = "x";
  const secretsPick = r();
  const secrets: Table | undefined =
    secretsPick < 0.72
      ? { required: ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"] }
      : secretsPick < 0.82
        ? { required: ["NOTIFY_WEBHOOK"] }
        : secretsPick < 0.9
          ? { required: [] }
          : undefined;
  const arrays: Record<string, Table[]> = {};
  if (chance(r, 0.02)) arrays.kv_namespaces = [{ binding: "POLICY", id: hex(r, 32) }];
  if (chance(r, 0.92)) {
    const id = chance(r, 0.06) && shared.kv.length > 0 ? pick(r, shared.kv) : hex(r, 32);
    shared.kv.push(id);
    arrays.kv_namespaces = [...(arrays.kv_namespaces ?? []), { binding: "POLICY", id }];
  }
  const doBindings: Table[] = [];
  for (const [name, class_name] of WORKER_DOS) {
    if (chance(r, 0.05)) continue;
    doBindings.push(chance(r, 0.02) ? { name, class_name, script_name: "ward" } : { name, class_name });
  }
  if (chance(r, 0.75)) {
    const dataset = chance(r, 0.08) && shared.datasets.length > 0 ? pick(r, shared.datasets) : `ward_${env}`;
    shared.datasets.push(dataset);
    arrays.analytics_engine_datasets = [chance(r, 0.1) ? { binding: "DECISIONS" } : { binding: "DECISIONS", dataset }];
  }
  for (const origin of ORIGINS) {
    const x = r();
    if (x < 0.78) {
      const id = chance(r, 0.05) && shared.vpc.length > 0 ? pick(r, shared.vpc) : uuid(r);
      shared.vpc.push(id);
      arrays.vpc_services = [...(arrays.vpc_services ?? []), { binding: origin, service_id: id, remote: true }];
    } else if (x < 0.9) {
      arrays.services = [...(arrays.services ?? []), { binding: origin, service: `${origin.toLowerCase()}-${env}` }];
    }
  }
  return { scalars, vars: chance(r, 0.97) ? vars : undefined, secrets, arrays, doBindings };
}

interface Shared {
  kv: string[];
  vpc: string[];
  datasets: string[];
}

export function genCase(r: Rand): Case {
  const count = 1 + Math.floor(r() * 3);
  // Now and then an environment named in upper case: wrangler reads it, and makes a Worker name Cloudflare refuses.
  const names = [...ENV_NAMES]
    .sort(() => r() - 0.5)
    .slice(0, count)
    .map((n) => (chance(r, 0.03) ? `${n[0]!.toUpperCase()}${n.slice(1)}` : n));
  const shared: Shared = { kv: [], vpc: [], datasets: [] };
  const top = topSection(r);
  const envs: Record<string, Section> = {};
  for (const env of names)
    envs[env] = envSection(
      r,
      env,
      names.filter((n) => n !== env),
      shared,
    );
  return { top, envs };
}

// ---------------------------------------------------------------------------------------------- TOML

function value(v: TomlValue): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(", ")}]`;
  return `{ ${Object.entries(v)
    .map(([k, x]) => `${k} = ${value(x)}`)
    .join(", ")} }`;
}

function pairs(table: Table): string[] {
  return Object.entries(table).flatMap(([k, v]) => (v === undefined ? [] : [`${k} = ${value(v)}`]));
}

function section(prefix: string, s: Section, header: string | undefined): string[] {
  const lines: string[] = [];
  if (header !== undefined) lines.push("", `[${header}]`);
  lines.push(...pairs(s.scalars));
  const dot = prefix === "" ? "" : `${prefix}.`;
  if (s.vars) lines.push("", `[${dot}vars]`, ...pairs(s.vars));
  if (s.secrets) lines.push("", `[${dot}secrets]`, ...pairs(s.secrets));
  for (const [kind, entries] of Object.entries(s.arrays))
    for (const entry of entries) lines.push("", `[[${dot}${kind}]]`, ...pairs(entry));
  for (const entry of s.doBindings ?? []) lines.push("", `[[${dot}durable_objects.bindings]]`, ...pairs(entry));
  return lines;
}

export function toToml(c: Case): string {
  const lines = section("", c.top, undefined);
  for (const [env, s] of Object.entries(c.envs)) lines.push(...section(`env.${env}`, s, `env.${env}`));
  return `${lines.join("\n")}\n`;
}
