// A service token is known by its client id, as Cloudflare makes them: the shape is checked where a policy, a
// grant or a revocation names one and where a token's common_name is read (test/worker/identity/access-jwt.test.ts).
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../policy/hash.ts";
import { loadStoredDocument, validatePolicyText } from "../../policy/load.ts";
import { isServiceTokenId } from "../../policy/service-token-id.ts";
import { validatePolicy } from "../../policy/validate/index.ts";
import type { DenyEntry } from "../../policy/denylist.ts";
import { policyPlaceholders } from "../../scripts/doctor/placeholders.ts";
import { denyLine } from "../../scripts/grants/deny-format.ts";
import { grantLine } from "../../scripts/grants/format.ts";
import type { GrantRecord } from "../../policy/grant-records.ts";

// From Cloudflare's documentation: the application token of a service token (`common_name`), and the API
// schema's example client id (an older account's, with the team's domain after `.access`).
const DOCUMENTED = ["e367826f93b8d71185e03fe518aff3b4.access", "88bf3b6d86161464f6509f7219099e57.access.example.com"];

describe("isServiceTokenId", () => {
  it.each(DOCUMENTED)("takes Cloudflare's example %s", (id) => expect(isServiceTokenId(id)).toBe(true));

  it.each([
    ["a name", "ci-bot"],
    ["a name with .access", "ci.access"],
    ["short hex", "3c1f0a.access"],
    ["33 hex digits", `${"a".repeat(33)}.access`],
    ["upper-case hex", "E367826F93B8D71185E03FE518AFF3B4.access"],
    ["no .access", "e367826f93b8d71185e03fe518aff3b4"],
    ["a certificate's CN", "checkout.payments.svc.cluster.local"],
    ["a trailing dot", "e367826f93b8d71185e03fe518aff3b4.access."],
    ["an empty label", "e367826f93b8d71185e03fe518aff3b4.access..example.com"],
    ["an upper-case domain", "e367826f93b8d71185e03fe518aff3b4.access.Example.com"],
    ["a label ending in -", "e367826f93b8d71185e03fe518aff3b4.access.example-.com"],
    ["white space", " e367826f93b8d71185e03fe518aff3b4.access"],
    ["a line feed", "e367826f93b8d71185e03fe518aff3b4.access\n"],
    ["a NUL", "e367826f93b8d71185e03fe518aff3b4.access\u0000"],
    ["a wildcard", "*.access"],
  ])("refuses %s", (_, id) => expect(isServiceTokenId(id)).toBe(false));

  it("is bounded: a domain part of many labels is refused before it grows", () => {
    const labels = Array.from({ length: 9 }, (_, i) => `l${i}`).join(".");
    expect(isServiceTokenId(`e367826f93b8d71185e03fe518aff3b4.access.${labels}`)).toBe(false);
    expect(isServiceTokenId(`e367826f93b8d71185e03fe518aff3b4.access.${"a".repeat(250)}`)).toBe(false);
  });
});

const policy = (serviceToken: string) => `
version: 1
metadata: { environment: staging, owners: [sec@example.com] }
identity:
  access:
    teamDomain: https://example.cloudflareaccess.com
    audiences: ["${"a".repeat(64)}"]
admin:
  principals: [{ serviceToken: ${JSON.stringify(serviceToken)} }]
services:
  api:
    hosts: [api.example.com]
    origin: { tunnel: API }
    owner: api-team@example.com
    routes:
      - id: all
        methods: [GET]
        pathPrefix: /
        rules: [{ id: bots, effect: allow, principals: [{ serviceToken: ${JSON.stringify(serviceToken)} }] }]
`;

describe("a policy's serviceToken matcher", () => {
  it("takes a client id, in rules and in admin.principals", () => {
    for (const id of DOCUMENTED) {
      const result = validatePolicyText(policy(id));
      expect(result.issues, id).toEqual([]);
    }
  });

  it("refuses any other name as written, wherever it is, and says what a client id looks like", () => {
    const result = validatePolicyText(policy("ci-bot.access"));
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([
      ["invalid-service-token-id", "admin.principals[0]"],
      ["invalid-service-token-id", "services.api.routes[0].rules[0].principals[0]"],
    ]);
    expect(result.issues[0]!.hint).toMatch(/32 lower-case hex digits then \.access/);
  });

  it("a version stored before the check still loads: an upgrade never stops the gateway loading what it runs", () => {
    const written = validatePolicyText(policy(DOCUMENTED[0]!));
    expect(written.ok).toBe(true);
    const doc = structuredClone(written.ok ? written.policy : undefined) as any;
    doc.services.api.routes[0].rules[0].principals = [{ serviceToken: "ci-bot.access" }];
    expect(validatePolicy(doc).ok).toBe(false);
    const stored = loadStoredDocument(canonicalJson(doc), "v");
    expect(stored.ok).toBe(true);
  });
});

describe("an identityBindings pair's access side", () => {
  const withBinding = (access: string) =>
    policy(DOCUMENTED[0]!).replace(
      "services:\n",
      `identityBindings:\n  pay:\n    - { workload: spiffe://td.example/ci, access: ${JSON.stringify(access)} }\nservices:\n`,
    );

  it("takes an e-mail or a client id", () => {
    for (const access of ["ops@example.com", ...DOCUMENTED])
      expect(validatePolicyText(withBinding(access)).issues, access).toEqual([]);
  });

  it("refuses anything else as written, and loads it stored", () => {
    const result = validatePolicyText(withBinding("ops-bot.access"));
    expect(result.issues.map((i) => [i.code, i.path])).toEqual([
      ["invalid-service-token-id", "identityBindings.pay[0].access"],
    ]);
    const doc = validatePolicyText(withBinding("ops@example.com"));
    const stored = structuredClone(doc.ok ? doc.policy : undefined) as any;
    stored.identityBindings.pay[0].access = "ops-bot.access";
    expect(loadStoredDocument(canonicalJson(stored), "v").ok).toBe(true);
  });
});

describe("ward doctor's placeholder for the operators' token", () => {
  const placeholders = (id: string) => {
    const result = validatePolicyText(policy(id));
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return policyPlaceholders(result.policy)
      .map((p) => p.path)
      .filter((path) => path.startsWith("admin."));
  };

  it("finds ward init's placeholder, with or without a team's domain after it, and not a real id", () => {
    expect(placeholders(`${"0".repeat(32)}.access`)).toEqual(["admin.principals[0].serviceToken"]);
    // The domain's letters are hex digits too (a, c, e): only the id's own 32 digits are read.
    expect(placeholders(`${"0".repeat(32)}.access.example.com`)).toEqual(["admin.principals[0].serviceToken"]);
    expect(placeholders(DOCUMENTED[1]!)).toEqual([]);
  });
});

describe("ward revoke list and ward quarantine list: entries made for a name no token is read as any more", () => {
  const entry = (over: Partial<DenyEntry>): DenyEntry => ({
    id: "rev-1",
    kind: "revocation",
    match: "token",
    value: DOCUMENTED[0]!,
    reason: "leaked",
    createdAt: 0,
    createdBy: "user:ops@example.com",
    expiresAt: null,
    releasedAt: null,
    releasedBy: null,
    ...over,
  });
  const flagged = (e: DenyEntry) => denyLine(e, 0).includes("(matches no one");

  it("says a token revocation of a certificate's CN matches no one, and what to revoke instead", () => {
    expect(denyLine(entry({ value: "checkout.shop.svc" }), 0)).toMatch(
      /token checkout\.shop\.svc .*\(matches no one: .*revoke the caller by --fingerprint, --serial or --spiffe\)$/,
    );
    expect(flagged(entry({}))).toBe(false);
  });

  it("reads a quarantine's key for its token part only", () => {
    const q = (value: string) => entry({ kind: "quarantine", match: "principal", value });
    expect(flagged(q("workload:spiffe://td.example/ci+token:checkout.shop.svc"))).toBe(true);
    expect(flagged(q("token:checkout.shop.svc+subject:gh/repo:a"))).toBe(true);
    expect(flagged(q(`workload:spiffe://td.example/ci+token:${DOCUMENTED[0]}`))).toBe(false);
    expect(flagged(q(`token:${DOCUMENTED[0]}+subject:gh/repo:a`))).toBe(false);
    expect(flagged(q("user:ann+tag@example.com"))).toBe(false);
    expect(flagged(q("workload:spiffe://td.example/ci"))).toBe(false);
  });
});

describe("ward exceptions list: a grant to a name no token is read as any more", () => {
  const grant = (serviceToken: string): GrantRecord => ({
    id: "exc-1",
    kind: "exception",
    principal: { serviceToken },
    service: "wiki",
    routes: "*",
    methods: "*",
    notBefore: 0,
    notAfter: 3_600_000,
    reason: "on call",
    ticket: "OPS-1",
    requestedBy: "ann@example.com",
    approvedBy: "bob@example.com",
    uses: 0,
    status: "active",
    createdAt: 0,
    createdBy: "user:ann@example.com",
  });

  it("says it applies to no one, and what to grant instead; a client id's grant reads as before", () => {
    expect(grantLine(grant("checkout.shop.svc"), 0)).toMatch(
      /token:checkout\.shop\.svc -> .*\(applies to no one: .*grant the caller's spiffe:\/\/ ID\)$/,
    );
    expect(grantLine(grant(DOCUMENTED[0]!), 0)).not.toContain("applies to no one");
  });
});
