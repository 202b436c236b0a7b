// Generated differential test of `ward revoke --crl` (scripts/crl.ts): CRLs made by this machine's openssl from
// a throwaway CA (random serials: leading zeros, 20 octets, the top bit set, negative, past 64 digits; every
// reason code, invalidity dates, delta and indirect lists, critical extensions, v1, empty), as PEM or DER, some
// changed byte by byte or several to a file, read by Ward and compared with an oracle that reads openssl's
// `openssl crl -text` by the docs and RFC 5280 (crl-oracle.ts). What Ward imports must also match the serial
// Cloudflare reports (certSerial) through the denylist's own spelling. A failure prints its seed; the seed is
// fixed, so a run is repeatable; WARD_CRL_SEED=<seed> tries another. Cases: crl-cases.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { issuerSerial } from "../../policy/issuer-serial.ts";
import { readRevocationList } from "../../scripts/crl.ts";
import { seedFrom } from "../support/prng.ts";
import { wardLines } from "../support/ward-cli.ts";
import {
  chance,
  FORCED,
  int,
  MUTATIONS,
  makeCas,
  makeCrl,
  mutate,
  opensslText,
  pemOf,
  pick,
  rng,
} from "./crl-cases.ts";
import { cloudflareSerials, type Expected, expected, readOpensslText } from "./crl-oracle.ts";

const SEED = seedFrom("WARD_CRL_SEED", 5280);
const CASES = 160;
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

const dir = mkdtempSync(join(tmpdir(), "ward-crl-gen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the cases must include: each reason to refuse, as a case's only one, and lists taken with such serials. */
const KINDS: [string, RegExp][] = [
  ["negative serial", /a negative serial/],
  ["long serial", /hex digits$/],
  ["version", /^version/],
  ["unread", /openssl does not read/],
  ["several", /several CRLs/],
  ["after", /bytes after/],
  ["remove", /removeFromCRL/],
  ["delta", /a delta CRL/],
  ["key size", /a key identifier of/],
  ["no key", /no authorityKeyIdentifier/],
  ["indirect", /Indirect CRL/],
  ["some reasons", /Only Some Reasons/],
  ["attribute", /Only Attribute/],
  ["critical", /^critical 1\./],
];
const TAKEN: [string, RegExp][] = [
  ["twenty", /7f(ff){19}\(/i],
  ["top bit", /[ [](ff){20}\(/i],
  ["zero", /[ [](00)\(/],
  ["hold", /certificateHold/],
  ["invalidity date", /keyTime/],
  ["PEM", / PEM$/],
  ["empty-revoked", / empty-revoked$/],
];

type Got = { refused: string } | { issuerSki: string; revoked: string[] };

function wardReads(file: Buffer): Got {
  try {
    return readRevocationList(file);
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

function agrees(want: Expected, got: Got): boolean {
  if ("refused" in want) return "refused" in got;
  return !("refused" in got) && got.issuerSki === want.issuerSki && got.revoked.join() === want.revoked.join();
}

describe.skipIf(!hasOpenssl)(`ward revoke --crl against openssl (WARD_CRL_SEED=${SEED})`, () => {
  const r = rng(SEED);
  const cas = makeCas(dir);
  // Mostly the usual 20-byte key identifier; the others are at and past Ward's bounds.
  const caOf = () => (chance(r, 0.7) ? cas[0]! : pick(r, cas));
  const disagreements: string[] = [];
  const unmatched: string[] = [];
  const refusedFiles: { path: string; label: string }[] = [];
  const seen = new Set<string>();

  for (let i = 0; i < CASES; i++) {
    const form = int(r, 10);
    // A change is made to a list the docs take, so that what refuses it is the change.
    const forced = FORCED[i];
    const made = forced
      ? makeCrl(r, cas[forced.ca ?? 0]!, dir, true, forced)
      : form < 3
        ? makeCrl(r, cas[0]!, dir, true)
        : makeCrl(r, caOf(), dir);
    let der = made.der;
    let label = made.recipe;
    let file: Buffer;
    let facts = { crls: 1, trailing: false };
    if (forced && !forced.mutation) file = der;
    else if (forced || form < 3) {
      const mutation = forced?.mutation ?? pick(r, MUTATIONS);
      const changed = mutate(Buffer.from(der), mutation);
      if (changed) {
        label += ` ${mutation}`;
        if (mutation === "trailing-after") facts = { crls: 1, trailing: true };
        else der = changed;
        file = changed;
      } else file = der;
    } else if (form < 5) {
      const second = makeCrl(r, caOf(), dir);
      label += ` + ${second.recipe}`;
      facts = { crls: 2, trailing: false };
      file = chance(r, 0.5) ? pemOf([der, second.der], r) : Buffer.concat([der, second.der]);
      label += file.includes("-----BEGIN") ? " (PEM)" : " (DER)";
    } else if (chance(r, 0.5)) {
      file = pemOf([der], r);
      label += " PEM";
    } else file = der;
    const text = opensslText(der);
    const reading = text === undefined ? undefined : readOpensslText(text);
    const want = expected(reading, facts);
    if ("refused" in want && want.refused.length === 1)
      for (const [name, test] of KINDS) if (test.test(want.refused[0]!)) seen.add(name);
    if (!("refused" in want)) for (const [name, test] of TAKEN) if (test.test(label)) seen.add(name);
    const got = wardReads(file);
    if (!agrees(want, got))
      disagreements.push(`#${i} ${label}\n    oracle: ${JSON.stringify(want)}\n    ward:   ${JSON.stringify(got)}`);
    // Whatever Ward imports must be what the denylist names the listed certificate by, from Cloudflare's fields.
    if (!("refused" in got) && reading && got.revoked.length === reading.entries.length) {
      reading.entries.forEach((entry, k) => {
        for (const certSerial of cloudflareSerials(entry.serial)) {
          const name = issuerSerial(got.issuerSki.toUpperCase(), certSerial);
          if (name !== got.revoked[k])
            unmatched.push(
              `#${i} ${label}: openssl ${entry.serial}, certSerial ${certSerial} is ${name}, Ward stored ${got.revoked[k]}`,
            );
        }
      });
    }
    if ("refused" in want && "refused" in got && refusedFiles.length < 12) {
      const path = join(dir, `refused-${i}.crl`);
      writeFileSync(path, file);
      refusedFiles.push({ path, label });
    }
  }

  it("covers what it means to", () => {
    const wanted = [...KINDS, ...TAKEN].map(([name]) => name);
    expect(wanted.filter((w) => !seen.has(w))).toEqual([]);
  });

  it("imports what openssl lists, in the docs' spelling, and refuses what the docs refuse", () => {
    expect(
      disagreements,
      `WARD_CRL_SEED=${SEED}: ${disagreements.length} of ${CASES}\n${disagreements.join("\n")}`,
    ).toEqual([]);
  });

  it("stores each serial as the denylist names the certificate Cloudflare reports", () => {
    expect(unmatched, `WARD_CRL_SEED=${SEED}\n${unmatched.join("\n")}`).toEqual([]);
  });

  it("`ward revoke --crl` refuses a file the oracle refuses before anything is sent", async () => {
    for (const { path, label } of refusedFiles) {
      const run = await wardLines("revoke", "--env", "production", "--crl", path, "--reason", "test", "--dry-run");
      expect({ label, status: run.status, out: run.out }).toEqual({ label, status: 1, out: [] });
      expect(run.err.join("\n"), label).toMatch(/; nothing revoked$/);
    }
  });
});
