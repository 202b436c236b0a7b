// An exception granted to an Access group is honoured where no rule of the policy names a group. The gateway
// fetches a person's groups only when the policy reads them (policy/compile.ts `needs`), and grants come and go
// without a push: so a refused request that a group grant in force may lift is identified again with the
// person's groups and decided again (worker/gateway.ts grantNeedsGroups). The stand-in directory
// (vitest.config.ts) puts sre@example.com in the group `sre`, and ann@example.com in none.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { loadPolicy } from "../../../policy/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { BOOKS, grantSreBooksWrite } from "./books-policy.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

async function write(
  email: string,
  cf?: RequestInit["cf"],
): Promise<{ status: number; seen: number; line?: Record<string, unknown>; events: string[] }> {
  const m = marker();
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line)));
  try {
    const res = await exports.default.fetch(`https://books.localhost/shelf?${m}`, {
      method: "POST",
      headers: { "cf-access-jwt-assertion": await accessToken(signing, { email, identity_nonce: `n-books-${email}` }) },
      ...(cf ? { cf } : {}),
    });
    await res.body?.cancel();
    const id = res.headers.get("ward-request-id");
    const ofRequest = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === id);
    const line = ofRequest.find((l) => l.event === "decision");
    const events = ofRequest.filter((l) => l.event !== "decision").map((l) => String(l.event));
    return { status: res.status, seen: (await originSaw(m)).length, ...(line ? { line } : {}), events };
  } finally {
    vi.restoreAllMocks();
  }
}

beforeAll(async () => {
  const loaded = await loadPolicy(BOOKS);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  expect(loaded.policy.needs.groups).toBe(false);
  await activate(BOOKS);
});

describe("an exception granted to a group no rule names", () => {
  it("lets the group's members in, and nobody else", async () => {
    expect(await write("sre@example.com")).toMatchObject({ status: 403, seen: 0 });
    await grantSreBooksWrite("OPS-7");
    const member = await write("sre@example.com");
    expect(member).toMatchObject({ status: 200, seen: 1 });
    expect(member.line).toMatchObject({ effect: "allow", reasons: ["allowed-by-exception"] });
    // Identified twice (the second time with groups): a certificate it rejects is logged once, not twice.
    const unverified = await tlsClientAuth(CERTS.checkout, {
      certVerified: "FAILED:unable to get local issuer certificate",
    });
    const withCertificate = await write("sre@example.com", { tlsClientAuth: unverified });
    expect(withCertificate).toMatchObject({ status: 200, seen: 1, events: ["client-certificate-rejected"] });
    // Not in the group: refused as before, and never forwarded.
    expect(await write("ann@example.com")).toMatchObject({ status: 403, seen: 0 });
  });
});
