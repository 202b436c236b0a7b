// `ward revoke --crl` refuses a CRL with a negative serial number (RFC 5280 4.1.2.2 forbids one): the schema's
// reader gives an INTEGER's contents, its two's complement, which was stored as a positive serial (-1 as ff),
// revoking an unrelated certificate of the CA and leaving the listed one admitted.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRevocationList } from "../../scripts/crl.ts";
import { wardLines } from "../support/ward-cli.ts";
import { changed, firstEntry, integer, SKI } from "./crl-edit.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-crl-negative-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a negative serial number", () => {
  it.each<[string, string, string]>([
    ["-1 (0xff, read as serial ff before)", "ff", "-01"],
    ["-255 (0xff01)", "ff01", "-ff"],
    ["-128 (0x80)", "80", "-80"],
  ])("refuses the whole list for an entry of %s, naming it", (_name, serial, named) => {
    const der = changed((tbs) => {
      firstEntry(tbs)[0] = integer(serial);
    });
    expect(() => readRevocationList(der)).toThrow(
      new RegExp(`^the CRL's entry for serial ${named} has a negative serial number, .*by --fingerprint instead$`),
    );
  });

  it("`ward revoke --crl` exits 1 and revokes nothing", async () => {
    const file = join(dir, "negative.crl");
    writeFileSync(
      file,
      changed((tbs) => {
        firstEntry(tbs)[0] = integer("ff");
      }),
    );
    const run = await wardLines("revoke", "--env", "production", "--crl", file, "--reason", "test", "--dry-run");
    expect({ status: run.status, out: run.out }).toEqual({ status: 1, out: [] });
    expect(run.err.join("\n")).toMatch(/entry for serial -01 has a negative serial number.*; nothing revoked$/);
  });

  it("still takes a serial whose top bit is set behind DER's zero byte", () => {
    const der = changed((tbs) => {
      firstEntry(tbs)[0] = integer("00ff");
    });
    expect(readRevocationList(der).revoked).toEqual([`${SKI}/ff`, `${SKI}/49253288284ba287bf59ac7bc875c99d4b7f9492`]);
  });
});
