// The gateway with the demo policy's workload CA pinned by its certificate rather than its SKI: the checkout
// workload is forwarded; a certificate that a look-alike CA (the workload CA's SKI and DN, another key) signed is
// refused as no identity, the origin never called, the client told nothing, operators told why.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import caPem from "../../fixtures/certs/ca.pem?raw";
import forgedCheckoutPem from "../../fixtures/certs/issuer-keys/forged-checkout.pem?raw";
import { activate, originSaw } from "../support/harness.ts";
import { CA_DN, CA_SKI, CERTS, tlsClientAuth } from "../support/client-certs.ts";

const SKI_PIN = '- ski: "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2" # test/fixtures/certs/ca.pem';

beforeAll(async () => {
  const pinned = demoPolicy.replace(SKI_PIN, `- certificate: ${JSON.stringify(caPem)}`);
  if (pinned === demoPolicy) throw new Error("the demo policy's workload CA pin changed");
  await activate(pinned);
});

async function call(tlsClientAuth: Record<string, unknown>) {
  const m = `m-${crypto.randomUUID()}`;
  const res = await exports.default.fetch(`https://orders.localhost/v1/orders/42?${m}`, { cf: { tlsClientAuth } });
  return { res, seen: await originSaw(m) };
}

describe("gateway with the workload CA pinned by its certificate", () => {
  it("forwards the checkout workload, whose certificate the pinned CA signed", async () => {
    const { res, seen } = await call(await tlsClientAuth(CERTS.checkout));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it("refuses a look-alike CA's certificate as no identity and never calls the origin", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const forged = await tlsClientAuth(forgedCheckoutPem, {
      certIssuerSKI: CA_SKI.replace(/:/g, "").toLowerCase(),
      certIssuerDNRFC2253: CA_DN,
    });
    const { res, seen } = await call(forged);
    spy.mockRestore();
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
    expect(await res.text()).not.toContain("signature");
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((l) => l.event === "client-certificate-rejected")).toMatchObject({
      level: "warn",
      problem: "issuer-signature-invalid",
    });
  });
});
