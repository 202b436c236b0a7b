// What [env.NAME] must say for Ward to run there, as a list of requirements on wrangler.toml: each a key of a
// table or an entry of an array of tables, either forced to a value or only filled in when missing. Computed
// from the config as it is (wrangler's reading of it) and the flags, so that re-running init asks for nothing
// that is already right, and keeps what the operator chose (a name, an issuer, an id) unless a flag says otherwise.
import { CliError } from "../cli-error.ts";
import { PRODUCTION_VAR } from "../doctor/audit.ts";
import { WEBHOOK } from "../doctor/breakglass.ts";
import { isTable, tables } from "../doctor/config.ts";
import { routeIgnored, setsRoute } from "../doctor/deployed-routes.ts";
import { secretNames, SIGNING_KEYS } from "../doctor/secrets.ts";
import type { RawTable } from "../doctor/types.ts";
import { isWorkerName } from "../doctor/worker-name.ts";
import type { InitOptions, OriginSpec } from "./options.ts";
import { PLACEHOLDER_KV_ID, PLACEHOLDER_VPC_SERVICE_ID } from "./placeholders.ts";
import type { TomlValue } from "./toml-values.ts";

export interface Field {
  key: string;
  value: TomlValue;
  /** Forced: replaced when it differs. Otherwise written only when the key is missing. */
  force: boolean;
  /** A comment for the end of the line, when init writes the key (placeholders say how to replace them). */
  trailing?: string;
  /** Comment lines above the key, when init adds it. */
  above?: string[];
}

export interface KeyRequirement extends Field {
  kind: "key";
  /** Path below [env.NAME]: [] for the environment's own table, ["vars"] for [env.NAME.vars]. */
  table: string[];
  /** Lines above the table's header, when init creates the table. */
  comment?: string[];
}

export interface EntryRequirement {
  kind: "entry";
  /** The array of tables below [env.NAME], e.g. ["vpc_services"]. */
  array: string[];
  /** The key that names the entry (`binding`, `name`) and its value. */
  idKey: string;
  id: string;
  fields: Field[];
  comment?: string[];
}

export type Requirement = KeyRequirement | EntryRequirement;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function vars(table: RawTable | undefined): Record<string, unknown> {
  return table && isTable(table.vars) ? table.vars : {};
}

/** Origins: the flags', then those the environment binds already, then (for a new one) the top level's. */
export function planOrigins(top: RawTable, env: RawTable | undefined, given: readonly OriginSpec[]): OriginSpec[] {
  const bound = tables(env?.vpc_services)
    .map((t) => t.binding)
    .filter((b): b is string => typeof b === "string");
  const local = tables(top.services)
    .map((t) => t.binding)
    .filter((b): b is string => typeof b === "string");
  const names = [...given.map((o) => o.binding), ...bound, ...(given.length === 0 && bound.length === 0 ? local : [])];
  const unique = [...new Set(names)];
  return unique.map((binding) => given.find((o) => o.binding === binding) ?? { binding });
}

export function datasetName(env: string): string {
  return `ward_decisions_${env.replaceAll("-", "_")}`;
}

export function planEnvironment(top: RawTable, env: RawTable | undefined, options: InitOptions): Requirement[] {
  const name = options.env;
  const reinit = `ward init --env ${name}`;
  const routes = options.routes;
  // The environment's own routes: one inheriting the top level's (the local Worker's) would take them over.
  if (!routes && !(env && Array.isArray(env.routes) && env.routes.length > 0) && !setsRoute(env))
    throw new CliError(
      `[env.${name}] has no routes: give --route PATTERN --zone ZONE (e.g. --route "*.${name}.example.com/*" --zone example.com) or --custom-domain HOST`,
    );
  // wrangler inherits `routes` key by key and deploys `routes ?? [route]`: this `route` would never be used.
  if (!routes && routeIgnored(top, env))
    throw new CliError(
      `[env.${name}] sets \`route\` but not \`routes\`, so wrangler deploys the top level's \`routes\` in its place: remove \`route\`, then run ward init with --route/--custom-domain again`,
    );
  if (routes && setsRoute(env))
    throw new CliError(
      `[env.${name}] sets \`route\`: remove it (wrangler takes exactly one of route and routes), then run ward init with --route/--custom-domain again`,
    );
  // A blank (or, refused before this, malformed) top-level name makes no Worker name: "-staging" is none wrangler takes.
  const topName = isWorkerName(top.name) ? top.name : "ward";
  const requirements: Requirement[] = [
    { kind: "key", table: [], key: "name", value: `${topName}-${name}`, force: false },
    {
      kind: "key",
      table: [],
      key: "workers_dev",
      value: false,
      force: true,
      above: [
        "# Repeated although inherited: a change at the top level (for local runs) must never expose a deployment.",
        "# Either one would publish the gateway on an address that bypasses Access and the mTLS host.",
      ],
    },
    { kind: "key", table: [], key: "preview_urls", value: false, force: true },
  ];
  if (routes) requirements.push({ kind: "key", table: [], key: "routes", value: routes, force: true });

  // Declared, so that wrangler refuses a deploy without them and doctor knows they are needed.
  const secrets = isTable(env?.secrets) ? strings(env.secrets.required) : [];
  // NOTIFY_WEBHOOK too, even where the environment has it as a var: a var of a secret's name is doctor's
  // secret-as-var error, and init says to remove it (it deletes nothing the operator wrote).
  const needed = [SIGNING_KEYS, WEBHOOK];
  requirements.push({
    kind: "key",
    table: ["secrets"],
    key: "required",
    value: [...secrets, ...needed.filter((s) => !secrets.includes(s))],
    force: true,
    comment: [`# Not inherited: each environment declares its secrets (npx wrangler secret put NAME --env ${name}).`],
  });

  const varComment = [
    "# Not inherited. WARD_ENV: the only environment pushes may be for; ASSERTION_ISSUER: the assertion's `iss`,",
    "# which origins pin, so that one environment's assertions are refused by another's origins.",
  ];
  requirements.push({ kind: "key", table: ["vars"], key: "WARD_ENV", value: name, force: true, comment: varComment });
  requirements.push({
    kind: "key",
    table: ["vars"],
    key: "ASSERTION_ISSUER",
    value: options.issuer ?? `ward-${name}`,
    force: options.issuer !== undefined,
  });
  // A secret's name is never copied: as a var it would be read in the secret's place, or (beside the secret in
  // secrets.required) make wrangler refuse the config. doctor: secret-as-var.
  const secretVars = new Set(secretNames(top, env));
  for (const [key, value] of Object.entries(vars(top))) {
    // Planned above (or below, with --production) for this environment: the local Worker's value is not its.
    if (key === "WARD_ENV" || key === "ASSERTION_ISSUER" || key === PRODUCTION_VAR || typeof value !== "string")
      continue;
    if (secretVars.has(key)) continue;
    requirements.push({ kind: "key", table: ["vars"], key, value, force: false });
  }
  if (options.production) {
    requirements.push({
      kind: "key",
      table: ["vars"],
      key: PRODUCTION_VAR,
      value: "true",
      force: true,
      trailing: "# ward doctor holds this environment to production's rules",
    });
  }

  for (const binding of tables(isTable(top.durable_objects) ? top.durable_objects.bindings : undefined)) {
    if (typeof binding.name !== "string" || typeof binding.class_name !== "string") continue;
    requirements.push({
      kind: "entry",
      array: ["durable_objects", "bindings"],
      idKey: "name",
      id: binding.name,
      fields: [{ key: "class_name", value: binding.class_name, force: true }],
    });
  }
  requirements.push({
    kind: "entry",
    array: ["analytics_engine_datasets"],
    idKey: "binding",
    id: "DECISIONS",
    fields: [{ key: "dataset", value: datasetName(name), force: false }],
  });
  requirements.push({
    kind: "entry",
    array: ["kv_namespaces"],
    idKey: "binding",
    id: "POLICY",
    fields: [
      {
        key: "id",
        value: options.kvId ?? PLACEHOLDER_KV_ID,
        force: options.kvId !== undefined,
        trailing: `# placeholder: ${reinit} --kv-id ID`,
      },
    ],
  });
  for (const origin of planOrigins(top, env, options.origins)) {
    const id = options.vpcServiceIds[origin.binding];
    requirements.push({
      kind: "entry",
      array: ["vpc_services"],
      idKey: "binding",
      id: origin.binding,
      fields: [
        {
          key: "service_id",
          value: id ?? PLACEHOLDER_VPC_SERVICE_ID,
          force: id !== undefined,
          trailing: `# placeholder: ${reinit} --vpc-service ${origin.binding}=ID`,
        },
        { key: "remote", value: true, force: false },
      ],
    });
  }
  return requirements;
}
