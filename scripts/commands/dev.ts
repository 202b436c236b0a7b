import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendFileSync } from "node:fs";
import { CliError, EXIT } from "../cli-error.ts";
import { checkAppendable } from "../output-file.ts";
import type { Io } from "../io.ts";
import { compilePolicyText, printIssues, readPolicyText } from "../policy-file.ts";
import { withAccessOverrides } from "../dev/access-overrides.ts";
import { demoWalkthrough, DEMO_PERSONAS } from "../dev/demo-commands.ts";
import { type LocalGateway, startLocalGateway } from "../dev/local-gateway.ts";
import { writeDemoCertificateHeaders } from "../dev/demo-certificates.ts";
import { type CompiledPolicy, validatePolicyText, ALL_ISSUES_ON_A_WORKSTATION } from "../../policy/index.ts";

export const DEMO_POLICY = fileURLToPath(new URL("../../policy/examples/demo.yaml", import.meta.url));

export const usage = `ward dev [--policy FILE] [--port N] [--origin NAME=http://127.0.0.1:PORT ...]
         [--access-team-domain URL] [--access-aud AUD ...] [--access-jwks-url URL] [--log FILE]
    run the gateway locally in workerd on any policy (default: the demo policy, port 8787), with a local
    Access sign-in at http://access.localhost:PORT, or another issuer's keys with --access-jwks-url;
    --log appends the gateway's JSON log lines (the decision log) to FILE, for ward metrics, ward why and ward shadow report`;

function parseOrigins(pairs: string[]): Record<string, string> {
  const origins: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Z][A-Z0-9_]*)=(http:\/\/(127\.0\.0\.1|localhost|\[::1\]):[0-9]{1,5})\/?$/.exec(pair);
    if (!match) throw new CliError(`--origin ${pair}: expected BINDING=http://127.0.0.1:PORT (local origins only)`);
    origins[match[1]!] = match[2]!;
  }
  return origins;
}

function parseJwksUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--access-jwks-url ${value}: expected an http(s) URL of a JSON Web Key Set`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new CliError(`--access-jwks-url ${value}: expected an http(s) URL`);
  return url.href;
}

/** A port another program holds, in one line that says how to choose another; anything else is rethrown. */
function busyPort(error: unknown, port: number): CliError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== "ERR_ADDRESS_IN_USE" && code !== "EADDRINUSE") return undefined;
  const other = port === 65535 ? port - 1 : port + 1;
  return new CliError(
    `port ${port} on 127.0.0.1 is already in use (another ward dev?): choose another with --port N (npm start -- --port ${other}), or --port 0 for any free port`,
    EXIT.failed,
  );
}

/** Console lines go to stdout as always; the JSON ones (the structured log) also to FILE. */
function logTo(file: string, io: Io): (line: string) => void {
  return (line) => {
    const text = line.trimEnd();
    io.out(text);
    if (text.startsWith("{")) appendFileSync(file, `${text}\n`);
  };
}

function parseDevArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: "string", default: DEMO_POLICY },
      port: { type: "string", default: "8787" },
      origin: { type: "string", multiple: true, default: [] },
      "access-team-domain": { type: "string" },
      "access-aud": { type: "string", multiple: true, default: [] },
      "access-jwks-url": { type: "string" },
      log: { type: "string" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port ${values.port}: expected 0-65535`);
  return {
    file: values.policy,
    port,
    origins: parseOrigins(values.origin),
    accessJwksUrl: parseJwksUrl(values["access-jwks-url"]),
    overrides: { teamDomain: values["access-team-domain"], audiences: values["access-aud"] },
    log: values.log,
  };
}

type DevOptions = ReturnType<typeof parseDevArgs>;

/** The policy file with any --access-* overrides applied, compiled (its issues printed), and its label. */
async function devPolicy(options: DevOptions, io: Io) {
  const { file, overrides, accessJwksUrl } = options;
  const overridden = Boolean(overrides.teamDomain || overrides.audiences.length);
  const label = overridden ? `${file} (with --access-* overrides)` : file;
  const text = withAccessOverrides(await readPolicyText(file), overrides);
  const policy = await compilePolicyText(label, text, io.err);
  printIssues(label, validatePolicyText(text, { allIssuesUpTo: ALL_ISSUES_ON_A_WORKSTATION }).issues, io.err);
  if (accessJwksUrl && !policy.document.identity.access) {
    throw new CliError(
      "--access-jwks-url needs identity.access in the policy (or --access-team-domain and --access-aud)",
    );
  }
  return { policy, text, label };
}

/** Where the gateway listens, its origins, and where Access tokens come from. */
function printGateway(
  gateway: LocalGateway,
  policy: CompiledPolicy,
  label: string,
  jwksUrl: string | undefined,
  io: Io,
) {
  io.out(`Ward gateway on ${gateway.url.href} (workerd), policy ${label} version ${policy.version.slice(0, 12)}`);
  for (const [binding, target] of Object.entries(gateway.origins)) io.out(`  origin ${binding} -> ${target}`);
  const access = policy.document.identity.access;
  if (access && gateway.loginUrl) {
    io.out(`  Access sign-in (local, for ${access.teamDomain}; one sign-in for every app): ${gateway.loginUrl.href}`);
    io.out(
      `  a token for curl: curl -s '${gateway.loginUrl.href}cdn-cgi/access/dev-token?email=you@example.com&groups=a,b'`,
    );
  } else if (access) {
    io.out(`  Access tokens: from your issuer (iss ${access.teamDomain}), keys from ${jwksUrl}`);
  }
  if (gateway.svidUrl)
    io.out(
      `  workload tokens (a local SPIRE, this run's key): curl -s '${gateway.svidUrl.href}?spiffe=spiffe://TRUST-DOMAIN/PATH&aud=AUDIENCE&scope=a:b'`,
    );
}

/** The demo policy's walkthrough: commands to paste, each with what it should answer. */
async function printDemo(url: URL, localSignIn: boolean, io: Io): Promise<void> {
  io.out("\nTry (each line says what to expect):");
  const certs = await writeDemoCertificateHeaders(join(tmpdir(), "ward-dev"));
  for (const line of demoWalkthrough(url, certs, localSignIn)) io.out(line);
}

export async function devCommand(args: string[], io: Io): Promise<number> {
  const options = parseDevArgs(args);
  if (options.log) checkAppendable("--log", options.log);
  const { policy, text, label } = await devPolicy(options, io);
  const isDemo = options.file === DEMO_POLICY;
  const gateway = await startLocalGateway({
    policy,
    policyText: text,
    port: options.port,
    origins: options.origins,
    ...(options.accessJwksUrl ? { accessJwksUrl: options.accessJwksUrl } : {}),
    ...(isDemo ? { personas: DEMO_PERSONAS } : {}),
    ...(options.log ? { onLog: logTo(options.log, io) } : {}),
  }).catch((error: unknown) => {
    throw busyPort(error, options.port) ?? error;
  });
  printGateway(gateway, policy, label, options.accessJwksUrl, io);
  // With another issuer's keys the local sign-in is off: its people's commands could not answer as printed.
  if (isDemo) await printDemo(gateway.url, !options.accessJwksUrl, io);
  io.out("\nCtrl-C stops it.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await gateway.stop();
  return EXIT.ok;
}
