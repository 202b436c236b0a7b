// For the local demo only: request.cf.tlsClientAuth as Cloudflare would fill it for the fixture
// certificates, written as `MF-CF-Blob` header files for curl (`-H @file`). Miniflare's local entry
// replaces request.cf with that header; deployed, it is just a header, and Ward strips it.
import { createHash, X509Certificate } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CERTS = fileURLToPath(new URL("../../test/fixtures/certs/", import.meta.url));
/** Subject key identifier of test/fixtures/certs/ca.pem, as pinned in policy/examples/demo.yaml. */
const CA_SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";

async function tlsClientAuth(file: string): Promise<Record<string, unknown>> {
  const pem = await readFile(join(CERTS, file), "utf8");
  const cert = new X509Certificate(pem);
  const der = cert.raw;
  return {
    certPresented: "1",
    certVerified: "SUCCESS",
    certRevoked: "0",
    certIssuerSKI: CA_SKI,
    certIssuerDNRFC2253: "O=Ward Tests,CN=Ward Test Workload CA",
    certSerial: cert.serialNumber,
    certNotBefore: cert.validFrom,
    certNotAfter: cert.validTo,
    certFingerprintSHA256: createHash("sha256").update(der).digest("hex"),
    certRFC9440: `:${der.toString("base64")}:`,
    certRFC9440TooLarge: false,
  };
}

/** Writes one header file per demo workload; returns name -> file path. */
export async function writeDemoCertificateHeaders(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const [name, file] of [["checkout", "checkout.pem"]] as const) {
    const path = join(dir, `${name}.headers`);
    await writeFile(path, `MF-CF-Blob: ${JSON.stringify({ tlsClientAuth: await tlsClientAuth(file) })}\n`);
    out[name] = path;
  }
  return out;
}
