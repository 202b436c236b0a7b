// Reads a wrangler config (TOML, JSON or JSONC) as written, through wrangler's own reader, offline.
// The raw form matters: doctor must see what each environment declares itself, not what wrangler would
// fill in by inheritance or default.
import { CliError, EXIT } from "../cli-error.ts";
import type { RawTable } from "./types.ts";

export interface WranglerConfig {
  top: RawTable;
  environments: Readonly<Record<string, RawTable>>;
}

interface WranglerModule {
  experimental_readRawConfig(args: { config?: string }): { rawConfig: unknown };
  unstable_readConfig(args: { config?: string; env?: string }, options: { hideWarnings?: boolean }): unknown;
}

export function isTable(value: unknown): value is RawTable {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Loaded on first use only: wrangler's bundle takes over a second to import, and only doctor needs it. */
async function wrangler(): Promise<WranglerModule> {
  return (await import("wrangler")) as unknown as WranglerModule;
}

export async function readWranglerConfig(file: string): Promise<WranglerConfig> {
  // wrangler's reader returns an empty config for any other extension; say so instead of checking nothing.
  if (!/\.(toml|json|jsonc)$/.test(file))
    throw new CliError(`${file}: a wrangler config must be .toml, .json or .jsonc`);
  let raw: unknown;
  try {
    raw = (await wrangler()).experimental_readRawConfig({ config: file }).rawConfig;
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, EXIT.failed);
  }
  if (!isTable(raw)) throw new CliError(`${file}: not a wrangler config`, EXIT.failed);
  const env = raw.env;
  const environments: Record<string, RawTable> = {};
  if (isTable(env)) for (const [name, table] of Object.entries(env)) if (isTable(table)) environments[name] = table;
  return { top: raw, environments };
}

/**
 * What wrangler's own reader refuses in the config as `wrangler deploy --env ENV` reads it (the top level and
 * [env.ENV], inherited and validated): each of its diagnostics as one line, or none when it reads the config.
 * Offline, like the raw read; anything it throws is a refusal, so that a failure here never reads as a pass.
 */
export async function wranglerRefusals(file: string, env: string | undefined): Promise<string[]> {
  try {
    (await wrangler()).unstable_readConfig({ config: file, env }, { hideWarnings: true });
    return [];
  } catch (error) {
    return diagnostics(error instanceof Error ? error.message : String(error));
  }
}

/** wrangler's "Processing ... configuration:" text as its items ("  - ..." lines, continuations joined). */
function diagnostics(message: string): string[] {
  // Wrangler colours its words for a terminal (SGR sequences): the finding quotes them as text.
  const text = message.replace(/\x1b\[[0-9;]*m/g, "");
  const items: string[] = [];
  for (const line of text.split("\n").slice(1)) {
    const item = /^\s*- (.*)$/.exec(line);
    if (item) items.push(item[1]!.trim());
    else if (line.trim() !== "" && items.length > 0) items[items.length - 1] += ` ${line.trim()}`;
  }
  // A section's heading ("env.staging" environment configuration) says only where its items are.
  const said = items.filter((i) => !/^"env\.[^"]*" environment configuration$/.test(i));
  return said.length > 0 ? said : [text.trim() || "wrangler refuses the config"];
}

/** The tables of an array-of-tables key (`[[kv_namespaces]]`); anything else reads as none. */
export function tables(value: unknown): RawTable[] {
  return Array.isArray(value) ? value.filter(isTable) : [];
}

function names(entries: RawTable[], field: string): string[] {
  return entries.map((entry) => entry[field]).filter((name): name is string => typeof name === "string");
}

/**
 * The binding kinds wrangler does not inherit into [env.NAME], and how each names its bindings.
 * `table` is how the operator writes it in an environment (`[[env.X.<table>]]`).
 */
export const BINDING_KINDS: readonly {
  kind: string;
  table: string;
  /** What one binding of the kind is, for messages. */
  what: string;
  names: (t: RawTable) => string[];
}[] = [
  {
    kind: "kv_namespaces",
    table: "kv_namespaces",
    what: "a KV namespace",
    names: (t) => names(tables(t.kv_namespaces), "binding"),
  },
  {
    kind: "durable_objects",
    table: "durable_objects.bindings",
    what: "a Durable Object",
    names: (t) => names(tables(isTable(t.durable_objects) ? t.durable_objects.bindings : undefined), "name"),
  },
  {
    kind: "analytics_engine_datasets",
    table: "analytics_engine_datasets",
    what: "an Analytics Engine dataset",
    names: (t) => names(tables(t.analytics_engine_datasets), "binding"),
  },
  {
    kind: "services",
    table: "services",
    what: "a service binding",
    names: (t) => names(tables(t.services), "binding"),
  },
  {
    kind: "vpc_services",
    table: "vpc_services",
    what: "a VPC service",
    names: (t) => names(tables(t.vpc_services), "binding"),
  },
  {
    kind: "r2_buckets",
    table: "r2_buckets",
    what: "an R2 bucket",
    names: (t) => names(tables(t.r2_buckets), "binding"),
  },
  {
    kind: "d1_databases",
    table: "d1_databases",
    what: "a D1 database",
    names: (t) => names(tables(t.d1_databases), "binding"),
  },
  { kind: "ratelimits", table: "ratelimits", what: "a rate limit", names: (t) => names(tables(t.ratelimits), "name") },
  {
    kind: "queues",
    table: "queues.producers",
    what: "a queue producer",
    names: (t) => names(tables(isTable(t.queues) ? t.queues.producers : undefined), "binding"),
  },
];

/** Origins are service bindings locally and Workers VPC services when deployed. */
export const ORIGIN_KINDS: readonly string[] = ["services", "vpc_services"];

export function bindingNames(table: RawTable, kind: string): string[] {
  return BINDING_KINDS.find((k) => k.kind === kind)?.names(table) ?? [];
}

/** The names of `[vars]` (or `[env.X.vars]`). */
export function varNames(table: RawTable): string[] {
  const vars = table.vars;
  return isTable(vars) ? Object.keys(vars) : [];
}

/**
 * A string var as written in this table; undefined when unset or blank, as the Worker reads it (`WARD_ENV = ""`
 * turns the environment guard off, `NOTIFY_WEBHOOK = ""` announces to nobody).
 */
export function stringVar(table: RawTable, name: string): string | undefined {
  const vars = table.vars;
  const value = isTable(vars) ? vars[name] : undefined;
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** `secrets.required` as written in this table (wrangler does not inherit it either). */
export function requiredSecrets(table: RawTable): string[] | undefined {
  const secrets = table.secrets;
  const required = isTable(secrets) ? secrets.required : undefined;
  return Array.isArray(required) ? required.filter((s): s is string => typeof s === "string") : undefined;
}
