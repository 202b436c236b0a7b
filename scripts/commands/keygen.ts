import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import { ASSERTION_KEY_SET_SHAPE, type JWK, readAssertionKeySet } from "../../policy/assertion-key-set.ts";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";

export const usage = `ward keygen [--kid KID] [--add-to FILE]
    print a new ES256 signing key as the JWK set ASSERTION_SIGNING_KEYS holds
    (ward keygen | npx wrangler secret put ASSERTION_SIGNING_KEYS --env ENV); --add-to: the set in FILE with
    the new key after its keys, the first step of a rotation (docs/origin-assertion.md)`;

/**
 * The set a rotation starts from, as the secret holds it (Cloudflare never gives a secret back: the operator
 * keeps it), read as the Worker reads the secret: a set it would refuse is refused here.
 */
async function keySet(file: string): Promise<JWK[]> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`--add-to ${file}: cannot read it: ${error.code ?? String(error)}`, EXIT.failed);
  });
  const read = readAssertionKeySet(text);
  if (!read.ok)
    throw new CliError(
      `--add-to ${file}: not a set ASSERTION_SIGNING_KEYS holds (${ASSERTION_KEY_SET_SHAPE}, as ward keygen prints it): ${read.problem}`,
      EXIT.failed,
    );
  return read.keys;
}

export async function keygenCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { kid: { type: "string" }, "add-to": { type: "string" } },
  });
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  // The day, for people, and random hex, so two keys made the same day never share a kid (Ward refuses that).
  const kid = values.kid ?? `${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  if (!/^[\w.-]{1,64}$/.test(kid)) throw new CliError(`--kid ${kid}: letters, digits, ".", "-" and "_" only`);
  const existing = values["add-to"] === undefined ? [] : await keySet(values["add-to"]);
  if (existing.some((k) => k.kid === kid))
    throw new CliError(`--kid ${kid}: ${values["add-to"]} has a key with that kid already`, EXIT.failed);
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  // Last: the first key keeps signing until the new one is moved first (once origins have its public key).
  io.out(JSON.stringify({ keys: [...existing, { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" }] }));
  return EXIT.ok;
}
