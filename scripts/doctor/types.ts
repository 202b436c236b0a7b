// What every doctor check reads and what it reports.
import type { Issue, PolicyDocument } from "../../policy/index.ts";

export type Severity = "error" | "warning";

export type FindingCode =
  | "legacy-env"
  | "worker-name-invalid"
  | "config-refused"
  | "workers-dev-enabled"
  | "workers-dev-inherited"
  | "preview-urls-enabled"
  | "preview-urls-inherited"
  | "binding-missing"
  | "binding-duplicate"
  | "var-missing"
  | "origin-unbound"
  | "origin-public"
  | "origin-service-binding"
  | "secret-not-declared"
  | "secret-missing"
  | "secret-as-var"
  | "ward-env-unset"
  | "ward-env-mismatch"
  | "policy-environment-mismatch"
  | "audit-in-production"
  | "ward-production-invalid"
  | "policy-warning"
  | "forwards-authorization"
  | "websocket-over-vpc"
  | "setting-read-otherwise"
  | "setting-unusable"
  | "id-missing"
  | "id-placeholder"
  | "vpc-service-shared"
  | "binding-shared"
  | "worker-name-shared"
  | "vpc-service-scheme"
  | "vpc-service-tls-unverified"
  | "vpc-service-unlisted"
  | "policy-placeholder"
  | "policy-no-admin"
  | "assertion-issuer-unset"
  | "assertion-issuer-shared"
  | "signing-key-not-declared"
  | "breakglass-webhook-unset"
  | "routes-missing"
  | "routes-conflict"
  | "route-ignored"
  | "host-not-routed"
  | "token-issuer-unreachable"
  | "token-issuer-no-keys"
  | "token-issuer-lifetime-long";

export interface Finding {
  severity: Severity;
  code: FindingCode;
  /** The file and the table (or policy path) the finding is about, e.g. `wrangler.toml [env.staging]`. */
  where: string;
  message: string;
  /** How to fix it, as an instruction the operator can follow. */
  fix: string;
}

/** A table of the wrangler config exactly as written (nothing inherited, nothing defaulted). */
export type RawTable = Readonly<Record<string, unknown>>;

export interface DoctorContext {
  /** The environment under check, a key of the config's [env] table. */
  envName: string;
  /** The config file as the operator named it, for messages. */
  configLabel: string;
  /** The config's top level (the local Worker; what environments may inherit from). */
  top: RawTable;
  /** The [env.NAME] table. */
  env: RawTable;
  /** Every [env.*] table, this one included (what must differ between environments). */
  environments: Readonly<Record<string, RawTable>>;
  /** The policy the environment will serve, when --policy was given. */
  policy?: {
    label: string;
    document: PolicyDocument;
    /** Validation's warnings about it (`ward validate` prints the same): doctor reports each. */
    warnings: readonly Issue[];
  };
  /** Secret names `wrangler secret list` printed, when --secrets or --secret-list was given. */
  secrets?: readonly string[];
  /** The VPC services as `wrangler vpc service get` described them, by service id, when --vpc-services was given. */
  vpcServices?: ReadonlyMap<string, VpcServiceDescription>;
  /**
   * What wrangler's own reader refuses in the config for this environment, a line per diagnostic (none: it reads
   * it). Errors that no other finding reports (config-refused).
   */
  wranglerRefuses?: readonly string[];
  /** --offline: fetch no token issuer's keys (those pushed with the policy are still checked). */
  offline?: boolean;
  /** How token issuers' keys are fetched (tests point it at a local server); the global fetch by default. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** What `wrangler vpc service get ID` (or `create`) printed about one service. */
export interface VpcServiceDescription {
  id: string;
  /** "Name", "Type", "HTTP Port", "HTTPS Port", "Cert Verification Mode", "Hostname", ... as printed. */
  fields: Readonly<Record<string, string>>;
}

/** A check; those that fetch (token issuers' keys) answer later. */
export type Check = (ctx: DoctorContext) => Finding[] | Promise<Finding[]>;

/** `wrangler.toml [env.staging]`, `wrangler.toml [env.staging.vars]`, or the top level. */
export function envWhere(ctx: DoctorContext, table?: string): string {
  return `${ctx.configLabel} [env.${ctx.envName}${table ? `.${table}` : ""}]`;
}

export function topWhere(ctx: DoctorContext): string {
  return `${ctx.configLabel} (top level)`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
