import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";

export const usage = `ward keygen [--kid KID]
    print a new ES256 signing key as the JWK set ASSERTION_SIGNING_KEYS holds
    (ward keygen | npx wrangler secret put ASSERTION_SIGNING_KEYS --env ENV)`;

export async function keygenCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { kid: { type: "string" } } });
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  // The day, for people, and random hex, so two keys made the same day never share a kid (Ward refuses that).
  const kid = values.kid ?? `${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  if (!/^[\w.-]{1,64}$/.test(kid)) throw new CliError(`--kid ${kid}: letters, digits, ".", "-" and "_" only`);
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  io.out(JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" }] }));
  return EXIT.ok;
}
