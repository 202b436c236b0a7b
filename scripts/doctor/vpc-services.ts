// Ward fetches every origin as https:// (worker/origin/forward.ts), and a Workers VPC service sends a fetch to
// the port of the URL's scheme: its HTTPS port. A service made with only an HTTP port (the port where the
// origin really listens) sends Ward's requests to 443, where nothing, or something else, answers. The ports
// live in Cloudflare, not in wrangler.toml: doctor reads them from what `wrangler vpc service get` printed.
import { isPlaceholderId } from "../init/placeholders.ts";
import { tables } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding, type VpcServiceDescription } from "./types.ts";

/** The services described in the saved output of `wrangler vpc service get ID` (or `create`), any number of them. */
export function parseVpcServiceDescriptions(text: string): Map<string, VpcServiceDescription> {
  const services = new Map<string, VpcServiceDescription>();
  let current: { id: string; fields: Record<string, string> } | undefined;
  for (const line of text.split(/\r?\n/)) {
    const start = /(?:Retrieved|Created|Updated) VPC service: ([0-9a-f-]{36})\s*$/.exec(line);
    if (start) {
      current = { id: start[1]!, fields: {} };
      services.set(current.id, current);
      continue;
    }
    const field = /^\s+([A-Za-z][A-Za-z ]*?):\s+(.*?)\s*$/.exec(line);
    if (current && field) current.fields[field[1]!] = field[2]!;
  }
  return services;
}

export const checkVpcServices: Check = (ctx: DoctorContext) => {
  if (!ctx.vpcServices) return [];
  const findings: Finding[] = [];
  const where = envWhere(ctx, "vpc_services");
  for (const vpc of tables(ctx.env.vpc_services)) {
    const id = vpc.service_id;
    if (typeof id !== "string" || isPlaceholderId(id)) continue; // reported as a placeholder
    const binding = String(vpc.binding);
    const service = ctx.vpcServices.get(id);
    if (!service) {
      findings.push({
        severity: "warning",
        code: "vpc-service-unlisted",
        where,
        message: `${binding}: VPC service ${id} is not in the --vpc-services file: its ports were not checked`,
        fix: `npx wrangler vpc service get ${id} >> FILE, and run doctor again`,
      });
      continue;
    }
    const type = service.fields.Type;
    const http = service.fields["HTTP Port"];
    const https = service.fields["HTTPS Port"];
    const update = `npx wrangler vpc service update ${id} --name ${service.fields.Name ?? "<its name>"} --type http --tunnel-id ${service.fields["Tunnel ID"] ?? "<tunnel id>"} ${service.fields.Hostname ? `--hostname ${service.fields.Hostname}` : "<--hostname or --ipv4 as before>"} --https-port <the port where the origin serves HTTPS>`;
    if (type !== undefined && type !== "http") {
      findings.push({
        severity: "error",
        code: "vpc-service-scheme",
        where,
        message: `${binding}: VPC service ${id} is of type ${type}: Ward forwards HTTP requests, which only an http service carries`,
        fix: `create an http service for this origin (npx wrangler vpc service create ... --type http --https-port PORT) and bind it instead`,
      });
      continue;
    }
    if (https === undefined && http !== undefined) {
      findings.push({
        severity: "error",
        code: "vpc-service-scheme",
        where,
        message: `${binding}: VPC service ${id} has an HTTP port (${http}) and no HTTPS port: Ward fetches https://, which this service sends to port 443 (the default), not to ${http}`,
        fix: `serve HTTPS on the origin and set that port (if it is 443, say so): ${update}`,
      });
    }
    if (service.fields["Cert Verification Mode"] === "disabled") {
      findings.push({
        severity: "warning",
        code: "vpc-service-tls-unverified",
        where,
        message: `${binding}: VPC service ${id} does not verify the origin's certificate: anything that answers on the origin's address inside the network receives Ward's requests and assertions`,
        fix: `give the origin a certificate the tunnel can verify and set --cert-verification-mode verify_full (${update.replace(" --https-port <the port where the origin serves HTTPS>", ` --https-port ${https ?? 443}`)} --cert-verification-mode verify_full)`,
      });
    }
  }
  return findings;
};

/** What doctor cannot see offline about VPC services, and how to let it see. */
export function vpcServicesReminder(ctx: DoctorContext): string | undefined {
  if (ctx.vpcServices) return undefined;
  const ids = tables(ctx.env.vpc_services)
    .map((t) => t.service_id)
    .filter((id): id is string => typeof id === "string" && !isPlaceholderId(id));
  if (ids.length === 0) return undefined;
  return `note: VPC services' ports cannot be seen offline; to check that each sends https:// to the port where its origin serves HTTPS, save \`npx wrangler vpc service get ID\` for each (${ids.join(", ")}) in a file and pass it with --vpc-services FILE`;
}
