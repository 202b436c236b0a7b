import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { loadPolicyFile, printIssues, readPolicyText } from "../policy-file.ts";
import { startLocalGateway } from "../dev/local-gateway.ts";
import { writeDemoCertificateHeaders } from "../dev/demo-certificates.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validatePolicyText } from "../../policy/index.ts";

export const DEMO_POLICY = fileURLToPath(new URL("../../policy/examples/demo.yaml", import.meta.url));

export const usage = `ward dev [--policy FILE] [--port N] [--origin NAME=http://127.0.0.1:PORT ...]
    run the gateway locally in workerd on any policy (default: the demo policy, port 8787)`;

function parseOrigins(pairs: string[]): Record<string, string> {
  const origins: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Z][A-Z0-9_]*)=(http:\/\/(127\.0\.0\.1|localhost|\[::1\]):[0-9]{1,5})\/?$/.exec(pair);
    if (!match) throw new CliError(`--origin ${pair}: expected BINDING=http://127.0.0.1:PORT (local origins only)`);
    origins[match[1]!] = match[2]!;
  }
  return origins;
}

function demoCommands(base: string, certs: Record<string, string>): string[] {
  const port = new URL(base).port;
  const at = (host: string) => `--resolve ${host}:${port}:127.0.0.1 http://${host}:${port}`;
  return [
    `curl -i -H @${certs.checkout} ${at("orders.localhost")}/v1/orders/42   # checkout workload (client certificate): allowed`,
    `curl -i -H @${certs.checkout} ${at("orders.localhost")}/admin/users    # checkout workload on /admin: 403, origin never called`,
    `curl -i ${at("payments.localhost")}/healthz            # public route: forwarded to the demo app`,
    `curl -i ${at("payments.localhost")}/v1/charge -X POST  # no identity: 401, origin never called`,
    `curl -i ${at("payments.localhost")}/v1/unknown         # hidden service: unauthenticated callers get 401`,
    `curl -i ${at("payments.localhost")}/v1%2Fcharge -X POST # ambiguous path (encoded /): 400`,
    `curl -i ${at("nothing.localhost")}/                    # no such service: 404`,
  ];
}

export async function devCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: "string", default: DEMO_POLICY },
      port: { type: "string", default: "8787" },
      origin: { type: "string", multiple: true, default: [] },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port ${values.port}: expected 0-65535`);
  const origins = parseOrigins(values.origin);
  const policy = await loadPolicyFile(values.policy, io.err);
  const text = await readPolicyText(values.policy);
  printIssues(values.policy, validatePolicyText(text).issues, io.err);

  const gateway = await startLocalGateway({ policy, policyText: text, port, origins });
  io.out(`Ward gateway on ${gateway.url.href} (workerd), policy ${values.policy} version ${policy.version.slice(0, 12)}`);
  for (const [binding, target] of Object.entries(gateway.origins)) io.out(`  origin ${binding} -> ${target}`);
  if (values.policy === DEMO_POLICY) {
    io.out("\nTry:");
    const certs = await writeDemoCertificateHeaders(join(tmpdir(), "ward-dev"));
    for (const line of demoCommands(gateway.url.href, certs)) io.out(`  ${line}`);
  }
  io.out("\nCtrl-C stops it.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await gateway.stop();
  return EXIT.ok;
}
