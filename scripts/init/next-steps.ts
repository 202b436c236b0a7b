// The commands still to run after ward init, in the order that works: resources first (their ids go back into
// wrangler.toml through init), then Access and mTLS (their values into the policy), secrets, a check, the
// deploy, and the first policy version. Only the steps the files still need are listed, so the list shrinks as
// the environment fills in; secrets are always listed, since nothing offline can tell whether they are set.
import type { PolicyPlaceholder } from "../doctor/placeholders.ts";
import type { OriginSpec } from "./options.ts";

export interface StepsInput {
  env: string;
  /** `--config X` for every command when the config is not ./wrangler.toml. */
  configFlag: string;
  /** `--policy X` for doctor and init when the policy is not where they look by default (policy/ENV.yaml beside the config). */
  policyFlag?: string;
  policy: string;
  kvPlaceholder: boolean;
  /** Origins whose VPC service id is still a placeholder, with where cloudflared reaches them. */
  vpcPlaceholders: readonly OriginSpec[];
  tunnelId?: string;
  hosts: readonly string[];
  /** Service hosts no route covers; `customDomains`, when every route is a custom domain, the ones there are. */
  unrouted: { hosts: readonly string[]; customDomains?: readonly string[] };
  policyPlaceholders: readonly PolicyPlaceholder[];
  secrets: readonly string[];
}

/** `wrangler vpc service create` for an origin: Ward fetches https://, so the service's HTTPS port is the one used. */
export function vpcServiceCreate(env: string, origin: OriginSpec, tunnelId: string | undefined): string {
  const name = `ward-${env}-${origin.binding.toLowerCase().replaceAll("_", "-")}`;
  const host = origin.host ?? "<origin host>";
  const address = /^[0-9.]+$/.test(host)
    ? `--ipv4 ${host}`
    : host.startsWith("[")
      ? `--ipv6 ${host.slice(1, -1)}`
      : `--hostname ${host}`;
  return `npx wrangler vpc service create ${name} --type http --tunnel-id ${tunnelId ?? "<tunnel id>"} ${address} --https-port ${origin.port ?? "<origin's HTTPS port>"} --cert-verification-mode verify_full`;
}

export function nextSteps(input: StepsInput): string[] {
  const { env, configFlag: c } = input;
  const p = input.policyFlag ?? "";
  // Re-run on the same config and policy: without --policy, init would write a second starting policy.
  const reinit = `npm run ward -- init --env ${env}${c}${p}`;
  const steps: string[][] = [];
  if (input.kvPlaceholder)
    steps.push([
      `npx wrangler kv namespace create ward-policy --env ${env}${c}`,
      `then: ${reinit} --kv-id <the id it printed>`,
    ]);
  for (const origin of input.vpcPlaceholders)
    steps.push([
      vpcServiceCreate(env, origin, input.tunnelId),
      `then: ${reinit} --vpc-service ${origin.binding}=<the id it printed>`,
    ]);
  const { unrouted } = input;
  // Custom Domains take no wildcard: a wildcard host needs a route pattern whatever the others are.
  const asDomains = unrouted.customDomains && !unrouted.hosts.some((h) => h.includes("*"));
  // With custom domains only, the operators' host (WARD_URL: a host no service names) needs one of its own, or the
  // admin API is reached on no address: one that is no service's host is taken for it.
  const operatorsHost = "<operators-host>";
  const noOperatorsDomain = unrouted.customDomains?.every((d) => input.hosts.includes(d)) ?? false;
  const domainsCommand = (hosts: readonly string[]) =>
    `${reinit} ${[...unrouted.customDomains!, ...hosts, ...(noOperatorsDomain ? [operatorsHost] : [])].map((h) => `--custom-domain ${h}`).join(" ")}`;
  if (unrouted.hosts.length > 0)
    steps.push([
      `no route of ${env} covers ${unrouted.hosts.join(", ")}: requests for it never reach the gateway. Add a route:`,
      asDomains
        ? domainsCommand(unrouted.hosts)
        : `a pattern HOST/* for each in [env.${env}] routes of the config, or change the hosts in ${input.policy}`,
      ...(asDomains ? ["(the routes given replace the old ones, so every custom domain is named)"] : []),
      ...(asDomains && noOperatorsDomain
        ? ["(and <operators-host>, WARD_URL's host, has one too: the admin API answers there)"]
        : []),
    ]);
  else if (noOperatorsDomain)
    steps.push([
      `no custom domain of ${env} is the operators' host (WARD_URL, a host no service names): the admin API would answer on no address. Add one:`,
      domainsCommand([]),
      "(the routes given replace the old ones, so every custom domain is named)",
    ]);
  if (input.policyPlaceholders.length > 0) {
    steps.push([
      `in Zero Trust (docs/deployment.md, sections 5 and 6): an Access application per host (${input.hosts.join(", ")}),`,
      `a service token for the operators and an application for their host (no service's: WARD_URL), your workload`,
      `CA for mTLS; then replace in ${input.policy}:`,
      ...input.policyPlaceholders.map((p) => `  ${p.path}: ${p.step}`),
    ]);
  }
  for (const secret of input.secrets)
    steps.push([
      secret === "ASSERTION_SIGNING_KEYS"
        ? `npm run --silent ward -- keygen | npx wrangler secret put ${secret} --env ${env}${c}`
        : `npx wrangler secret put ${secret} --env ${env}${c}`,
    ]);
  // What wrangler lists is what is set: doctor compares it with what the config and the policy need.
  steps.push([
    `npx wrangler secret list --env ${env}${c} | npm run --silent ward -- doctor --env ${env}${c}${p} --secret-list -`,
  ]);
  steps.push([`npx wrangler deploy --env ${env}${c}`]);
  steps.push([
    `npm run ward -- push --env ${env}${c} ${input.policy} --bootstrap`,
    "then run the two `wrangler kv key put` commands it prints",
  ]);
  const width = String(steps.length).length;
  return steps.flatMap(([first, ...rest], i) => [
    `  ${String(i + 1).padStart(width)}. ${first}`,
    ...rest.map((line) => `  ${" ".repeat(width)}  ${line}`),
  ]);
}
