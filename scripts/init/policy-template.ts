// The starting policy of a new environment: one service per origin, each with workloads (client certificates)
// and people (Cloudflare Access) side by side, so the operator keeps what applies and narrows it. It is valid
// as written and grants nothing by accident: the groups and SPIFFE IDs it names are new ones, and every value
// only Cloudflare can give (team domain, AUD tags, the CA's SKI, the service token) is a placeholder that
// `ward doctor` names until it is replaced.
import { PLACEHOLDER_SERVICE_TOKEN, PLACEHOLDER_SKI, PLACEHOLDER_TEAM_DOMAIN, placeholderAud } from "./placeholders.ts";

export interface TemplateService {
  name: string;
  host: string;
  binding: string;
}

export interface TemplateInput {
  env: string;
  services: readonly TemplateService[];
  trustDomain: string;
  owner: string;
  teamDomain?: string;
  audiences: readonly string[];
  caSki?: string;
  caCertificate?: string;
  adminGroup: string;
  adminToken?: string;
}

/** A policy service name for a binding: PAYMENTS_API -> payments-api. */
export function serviceName(binding: string): string {
  return binding.toLowerCase().replaceAll("_", "-").replace(/-+$/, "");
}

const q = (value: string): string => JSON.stringify(value);

function operatorsAudience(given: string | undefined, n: number): string {
  return given
    ? `      - ${q(given)} # the operators' host (WARD_URL)`
    : `      - ${q(placeholderAud(n))} # placeholder: the AUD tag of the operators' host's Access application (WARD_URL)`;
}

export function renderPolicy(input: TemplateInput): string {
  const { env, services, trustDomain } = input;
  const lines = [
    `# The ${env} policy, started by \`ward init --env ${env}\`.`,
    "# Default deny: a request reaches an origin only when a rule below allows it and no rule denies it. Each",
    "# service lets workloads (client certificates) and people (Cloudflare Access) in side by side: keep what",
    "# applies, narrow it, delete the rest. Then check it:",
    `#   npm run ward -- validate policy/${env}.yaml && npm run ward -- doctor --env ${env}`,
    "version: 1",
    "metadata:",
    `  environment: ${env}`,
    `  trustDomains: [${trustDomain}]`,
    `  owners: [${q(input.owner)}]`,
    `  description: Ward ${env}`,
    "",
    "identity:",
    "  # People and service tokens come through Access: one self-hosted application per service host, each with",
    "  # its own AUD tag. Ward verifies the token Access adds (issuer, audience, signature, lifetime).",
    "  access:",
    input.teamDomain
      ? `    teamDomain: ${input.teamDomain}`
      : `    teamDomain: ${PLACEHOLDER_TEAM_DOMAIN} # placeholder: your Zero Trust team domain`,
    "    audiences:",
    // At least one: validation requires it, and a placeholder keeps doctor asking for the real one.
    ...(services.length > 0 ? services : [{ host: "the first service host" }]).map((service, i) => {
      const given = input.audiences[i];
      return given
        ? `      - ${q(given)} # ${service.host}`
        : `      - ${q(placeholderAud(i + 1))} # placeholder: the AUD tag of ${service.host}'s Access application`;
    }),
    // The operators' host (WARD_URL) has an application of its own: without its tag here, the operators'
    // service token is refused there, and nobody can push after the bootstrap.
    operatorsAudience(input.audiences[Math.max(services.length, 1)], Math.max(services.length, 1) + 1),
    "  # Workloads present a client certificate from your CA. A client CA is account-wide, so pin it, and bind it",
    "  # to the trust domain whose SPIFFE IDs it may issue.",
    "  mtls:",
    "    issuers:",
    ...(input.caCertificate
      ? [
          "      - certificate: | # Ward checks that this CA's key signed each client certificate",
          ...input.caCertificate.split(/\r?\n/).map((line) => `          ${line.trim()}`),
        ]
      : [
          input.caSki
            ? `      - ski: ${q(input.caSki)}`
            : `      - ski: ${q(PLACEHOLDER_SKI)} # placeholder: your workload CA's Subject Key Identifier`,
        ]),
    `        trustDomains: [${trustDomain}]`,
    "    spiffe: true",
    "",
    services.length > 0 ? "principalSets:" : "principalSets: {}",
    ...services.flatMap((service) => [
      `  ${service.name}-workloads:`,
      `    - spiffe: spiffe://${trustDomain}/ns/${service.name}/sa/client`,
      `  ${service.name}-people:`,
      `    - group: ${service.name}-users`,
    ]),
    "",
    "# Who may push, roll back, grant exceptions and break glass (announced to NOTIFY_WEBHOOK).",
    "admin:",
    "  principals:",
    `    - group: ${q(input.adminGroup)}`,
    input.adminToken
      ? `    - serviceToken: ${q(input.adminToken)}`
      : `    - serviceToken: ${q(PLACEHOLDER_SERVICE_TOKEN)} # placeholder: the operators' Access service token (client id)`,
    "",
    services.length > 0 ? "services:" : "services: {} # none yet: ward init --env ENV --origin BINDING adds one",
  ];
  for (const service of services) {
    lines.push(
      `  ${service.name}:`,
      `    hosts: [${service.host}]`,
      `    origin: { tunnel: ${service.binding} }`,
      `    owner: ${q(input.owner)}`,
      "    routes:",
      "      - id: all",
      `        methods: ["*"]`,
      "        pathPrefix: /",
      "        rules:",
      "          - id: workloads",
      "            effect: allow",
      `            principals: [{ set: ${service.name}-workloads }]`,
      "          - id: people",
      "            effect: allow",
      `            principals: [{ set: ${service.name}-people }]`,
    );
  }
  return `${lines.join("\n")}\n`;
}
