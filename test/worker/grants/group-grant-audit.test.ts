// A grant to an Access group at a service in audit mode, where no rule names a group: audit mode lets the
// request through anyway, and the grant turns its would-deny into an allow by exception, as a grant to the
// person's e-mail does. The person's groups were fetched only for a refused request (worker/gateway.ts
// grantNeedsGroups), so the group grant never applied there: the origin was told `ward_would_deny` (which an
// origin that refuses would-denies refuses) instead of the grant.
import { exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { BOOKS, grantSreBooksWrite } from "./books-policy.ts";

const signing = inject("accessPrivateJwk");

const AUDITED = (() => {
  const doc = parse(BOOKS);
  doc.services.books.mode = "audit";
  return stringify(doc);
})();

async function write(email: string) {
  const m = marker();
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line)));
  try {
    const res = await exports.default.fetch(`https://books.localhost/shelf?${m}`, {
      method: "POST",
      headers: { "cf-access-jwt-assertion": await accessToken(signing, { email, identity_nonce: `n-audit-${email}` }) },
    });
    await res.body?.cancel();
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision");
    const seen = await originSaw(m);
    const assertion = seen[0]?.headers["ward-assertion"];
    const claims = assertion
      ? (JSON.parse(atob(String(assertion).split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as Record<
          string,
          unknown
        >)
      : undefined;
    return { status: res.status, seen: seen.length, line, claims };
  } finally {
    vi.restoreAllMocks();
  }
}

beforeAll(async () => {
  await activate(AUDITED);
});

it("lifts the would-deny of the group's members, as a grant to one of them would", async () => {
  const grantId = await grantSreBooksWrite("OPS-8");
  const member = await write("sre@example.com");
  expect(member).toMatchObject({ status: 200, seen: 1 });
  expect(member.line).toMatchObject({ effect: "allow", reasons: ["allowed-by-exception"] });
  expect(member.claims).toMatchObject({ ward_exception: `exception:${grantId}` });
  expect(member.claims?.ward_would_deny).toBeUndefined();
  // Not in the group: audit mode lets it through as a would-deny, as before.
  const other = await write("ann@example.com");
  expect(other).toMatchObject({ status: 200, seen: 1 });
  expect(other.line).toMatchObject({ reasons: ["audit-would-deny", "no-matching-rule"] });
  expect(other.claims).toMatchObject({ ward_would_deny: "no-matching-rule" });
});
