// ward init's flags, checked before anything is read or written: every value lands in wrangler.toml, a policy
// or a printed command, so a malformed one is refused here rather than written somewhere it does harm.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { isServiceTokenId, readIssuerCertificate } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { originNameTaken } from "./origin-names.ts";
import { KV_ID, UUID } from "./placeholders.ts";

/** An origin as the gateway binds it, and (when known) where cloudflared reaches it. */
export interface OriginSpec {
  binding: string;
  /** The origin's host name or IP address as seen from the tunnel's cloudflared. */
  host?: string;
  /** The port where the origin serves HTTPS (Ward always fetches https://). */
  port?: number;
}

export type Route = { pattern: string; zone_name: string } | { pattern: string; custom_domain: true };

export interface InitOptions {
  env: string;
  config: string;
  policy: string;
  routes?: Route[];
  domain?: string;
  origins: OriginSpec[];
  tunnelId?: string;
  kvId?: string;
  vpcServiceIds: Record<string, string>;
  issuer?: string;
  production: boolean;
  teamDomain?: string;
  audiences: string[];
  caSki?: string;
  /** The workload CA's certificate (PEM, from --ca-cert FILE): the pin Ward checks signatures with. */
  caCertificate?: string;
  trustDomain?: string;
  adminGroup: string;
  adminToken?: string;
  owner: string;
}

export const usage = `ward init --env ENV [--config wrangler.toml] [--policy FILE]
          [--route PATTERN --zone ZONE | --custom-domain HOST ...] [--domain DOMAIN]
          [--origin BINDING[=HOST:PORT] ...] [--tunnel-id ID] [--kv-id ID] [--vpc-service BINDING=ID ...]
          [--issuer NAME] [--production] [--team-domain URL] [--aud TAG ...] [--ca-cert FILE | --ca-ski SKI]
          [--trust-domain TD]
          [--admin-group GROUP] [--admin-token CLIENT_ID] [--owner EMAIL]
    write or update [env.ENV] in wrangler.toml and a starting policy/ENV.yaml, then print the wrangler
    commands still to run, in order; safe to re-run (it changes nothing that is already right)`;

export const ENV_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const BINDING = /^[A-Z][A-Z0-9_]*$/;
const CUSTOM_DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ORIGIN_HOST =
  /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$|^[0-9.]+$|^\[[0-9a-f:]+\]$/;
const ROUTE = /^(\*\.)?[a-z0-9.-]+\/\*$|^(\*\.)?[a-z0-9.-]+\/[\x21-\x7e]*$/;
const TEAM_DOMAIN = /^https:\/\/[a-z0-9-]+\.cloudflareaccess\.com$/;
const AUD = /^[0-9a-f]{64}$/;
const SKI = /^([0-9A-Fa-f]{2}:?)+$/;
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const ISSUER = /^[\x21-\x7e]{1,100}$/;

function check(flag: string, value: string, pattern: RegExp | ((value: string) => boolean), what: string): string {
  const ok = typeof pattern === "function" ? pattern(value) : pattern.test(value);
  if (!ok) throw new CliError(`${flag} ${JSON.stringify(value)}: ${what}\n${usage}`);
  return value;
}

function parseOrigin(value: string): OriginSpec {
  const [binding, address] = value.split("=", 2) as [string, string | undefined];
  check("--origin", binding, BINDING, "the binding is a Worker binding name such as PAYMENTS_API");
  const taken = originNameTaken(binding);
  if (taken)
    throw new CliError(
      `--origin ${binding}: ${binding} is ${taken}; an origin needs a binding name of its own, such as ${binding}_API\n${usage}`,
    );
  if (address === undefined) return { binding };
  const at = address.lastIndexOf(":");
  const host = at > 0 ? address.slice(0, at) : address;
  const port = at > 0 ? Number(address.slice(at + 1)) : 443;
  check("--origin", host, ORIGIN_HOST, "HOST is the origin's host name or IP address as the tunnel reaches it");
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliError(`--origin ${value}: PORT is the port where the origin serves HTTPS (1-65535)\n${usage}`);
  return { binding, host, port };
}

function parsePair(flag: string, value: string, idPattern: RegExp, what: string): [string, string] {
  const [binding, id] = value.split("=", 2) as [string, string | undefined];
  check(flag, binding, BINDING, "BINDING=ID, with a binding name such as PAYMENTS_API");
  return [binding, check(flag, id ?? "", idPattern, what)];
}

/** The PEM of --ca-cert FILE, once it reads as a CA's certificate Ward can pin (policy/issuer-certificate.ts). */
function caCertificate(file: string, ski: string | undefined): string {
  if (ski !== undefined)
    throw new CliError("--ca-cert and --ca-ski both pin the workload CA: give one (--ca-cert checks more)");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(
      `--ca-cert ${file}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      EXIT.failed,
    );
  }
  const read = readIssuerCertificate(text);
  if (!read.ok) throw new CliError(`--ca-cert ${file}: the certificate ${read.problem}`, EXIT.failed);
  return text.trim();
}

export function parseInitArgs(args: string[]): InitOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      env: { type: "string" },
      config: { type: "string", default: "wrangler.toml" },
      policy: { type: "string" },
      route: { type: "string", multiple: true },
      zone: { type: "string" },
      "custom-domain": { type: "string", multiple: true },
      domain: { type: "string" },
      origin: { type: "string", multiple: true },
      "tunnel-id": { type: "string" },
      "kv-id": { type: "string" },
      "vpc-service": { type: "string", multiple: true },
      issuer: { type: "string" },
      production: { type: "boolean", default: false },
      "team-domain": { type: "string" },
      aud: { type: "string", multiple: true },
      "ca-ski": { type: "string" },
      "ca-cert": { type: "string" },
      "trust-domain": { type: "string" },
      "admin-group": { type: "string", default: "ward-admins" },
      "admin-token": { type: "string" },
      owner: { type: "string", default: "platform-security@example.com" },
    },
  });
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${usage}`);
  if (!values.env) throw new CliError(`--env ENV is required\n${usage}`);
  const env = check("--env", values.env, ENV_NAME, "lower-case letters, digits and '-', starting with a letter");
  if (!values.config.endsWith(".toml"))
    throw new CliError(`--config ${values.config}: ward init edits TOML configs only (wrangler.toml)`);

  if (values.route && !values.zone) throw new CliError(`--route needs --zone (the zone the pattern is in)\n${usage}`);
  if (values.zone && !values.route) throw new CliError(`--zone goes with --route PATTERN\n${usage}`);
  const routes: Route[] | undefined =
    values.route || values["custom-domain"]
      ? [
          ...(values.route ?? []).map((pattern) => ({
            pattern: check("--route", pattern, ROUTE, "a route pattern such as *.staging.example.com/*"),
            zone_name: check("--zone", values.zone!, HOST, "a zone name such as example.com"),
          })),
          ...(values["custom-domain"] ?? []).map((host) => ({
            pattern: check(
              "--custom-domain",
              host,
              CUSTOM_DOMAIN,
              "a host name such as payments.example.com (Custom Domains take no wildcard)",
            ),
            custom_domain: true as const,
          })),
        ]
      : undefined;

  const origins = (values.origin ?? []).map(parseOrigin);
  const seen = new Set<string>();
  for (const { binding } of origins) {
    if (seen.has(binding)) throw new CliError(`--origin ${binding} is given twice\n${usage}`);
    seen.add(binding);
  }

  return {
    env,
    config: values.config,
    policy: values.policy ?? join(dirname(values.config), "policy", `${env}.yaml`),
    routes,
    domain:
      values.domain === undefined ? undefined : check("--domain", values.domain, HOST, "a domain such as example.com"),
    origins,
    tunnelId:
      values["tunnel-id"] === undefined
        ? undefined
        : check("--tunnel-id", values["tunnel-id"], UUID, "the tunnel's UUID (cloudflared tunnel list)"),
    kvId:
      values["kv-id"] === undefined
        ? undefined
        : check("--kv-id", values["kv-id"], KV_ID, "the id `wrangler kv namespace create` printed (32 hex digits)"),
    vpcServiceIds: Object.fromEntries(
      (values["vpc-service"] ?? []).map((pair) =>
        parsePair("--vpc-service", pair, UUID, "the id `wrangler vpc service create` printed (a UUID)"),
      ),
    ),
    issuer:
      values.issuer === undefined
        ? undefined
        : check("--issuer", values.issuer, ISSUER, "printable characters without spaces"),
    production: values.production,
    teamDomain:
      values["team-domain"] === undefined
        ? undefined
        : check("--team-domain", values["team-domain"], TEAM_DOMAIN, "https://<team>.cloudflareaccess.com"),
    audiences: (values.aud ?? []).map((aud) => check("--aud", aud, AUD, "an Access AUD tag (64 hex digits)")),
    caCertificate: values["ca-cert"] === undefined ? undefined : caCertificate(values["ca-cert"], values["ca-ski"]),
    caSki:
      values["ca-ski"] === undefined
        ? undefined
        : check("--ca-ski", values["ca-ski"], SKI, "the CA's Subject Key Identifier in hex"),
    trustDomain:
      values["trust-domain"] === undefined
        ? undefined
        : check(
            "--trust-domain",
            values["trust-domain"],
            TRUST_DOMAIN,
            "a SPIFFE trust domain such as prod.example.com",
          ),
    adminGroup: values["admin-group"],
    adminToken:
      values["admin-token"] === undefined
        ? undefined
        : check(
            "--admin-token",
            values["admin-token"],
            isServiceTokenId,
            "the operators' service token's client id (32 lower-case hex digits then .access)",
          ),
    owner: values.owner,
  };
}
