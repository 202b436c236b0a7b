// The CLI reads the denylist page by page (scripts/listing-pages.ts), against a stand-in gateway that answers
// pages as a gateway of this release does, or, in the middle of a deployment, as one of the release before (its
// whole list, no `next`, whatever was asked). Whole or nothing: no entry listed twice, no part taken for the whole.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { DenyEntry } from "../../policy/index.ts";
import { type StandInRequest, standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const CRL = resolve(import.meta.dirname, "../fixtures/certs/revoked.crl.pem");
const SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";

const entry = (id: string, match: DenyEntry["match"], value: string): DenyEntry => ({
  id,
  kind: "revocation",
  match,
  value,
  reason: "paged",
  createdAt: 0,
  createdBy: "user:admin@example.com",
  expiresAt: null,
  releasedAt: null,
  releasedBy: null,
});

/** What the stand-in answers the first page (no `after`) and each later one; and every call it was sent. */
let first: unknown;
let later: (after: string) => { status?: number; json: unknown };
const calls: StandInRequest[] = [];
const now = () => new Date().toISOString();

const gateway = standInGateway({
  "/policy": { environment: "dev", active: "a".repeat(64), shadow: null, history: [] },
  "/denylist?*": (r) => {
    calls.push(r);
    const after = new URL(r.url, "http://x").searchParams.get("after");
    return after === null ? { json: first } : later(after);
  },
  "POST /revocations": (r) => {
    calls.push(r);
    const { value } = JSON.parse(r.body) as { value: string };
    return { status: 201, json: { entry: entry("rev-new", "serial", value) } };
  },
});

const run = async (...args: string[]) => {
  calls.length = 0;
  return ward(...args, "--local", "--port", gateway.port);
};
const posts = () => calls.filter((c) => c.method === "POST");

describe("ward revoke list, page by page", () => {
  it("lists every page's entries once, in order, asking each page after the last", async () => {
    first = { now: now(), entries: [entry("rev-1", "email", "a@example.com")], next: "7" };
    later = (after) =>
      after === "7"
        ? { json: { now: now(), entries: [entry("rev-2", "email", "b@example.com")], next: "9" } }
        : { json: { now: now(), entries: [entry("rev-3", "email", "c@example.com")], next: null } };
    const listed = await run("revoke", "list", "--all");
    expect(listed.status, listed.output).toBe(0);
    expect(listed.out.map((l) => l.split(" ")[0])).toEqual(["rev-1", "rev-2", "rev-3"]);
    expect(calls.map((c) => new URL(c.url, "http://x").search)).toEqual([
      "?kind=revocation&all=1&limit=1000",
      "?kind=revocation&all=1&limit=1000&after=7",
      "?kind=revocation&all=1&limit=1000&after=9",
    ]);
  });

  it("a gateway of the release before answering a later page with its whole list: nothing listed, exit 1", async () => {
    first = { now: now(), entries: [entry("rev-1", "email", "a@example.com")], next: "1" };
    later = () => ({
      json: {
        now: now(),
        entries: [entry("rev-1", "email", "a@example.com"), entry("rev-2", "email", "b@example.com")],
      },
    });
    const listed = await run("revoke", "list");
    expect(listed.status).toBe(1);
    expect(listed.out).toEqual([]);
    expect(listed.err.join("\n")).toContain("the denylist: a later page came back as the whole list");
  });

  it("the whole list from such a gateway at once is listed as it is", async () => {
    first = { now: now(), entries: [entry("rev-1", "email", "a@example.com")] };
    const listed = await run("revoke", "list");
    expect(listed.status, listed.output).toBe(0);
    expect(listed.out.map((l) => l.split(" ")[0])).toEqual(["rev-1"]);
  });

  it.each<[string, () => { status?: number; json: unknown }, string]>([
    ["fails", () => ({ status: 418, json: { error: "no" } }), "unexpected answer 418"],
    [
      "names no later page",
      () => ({ json: { now: now(), entries: [entry("rev-2", "email", "b")], next: "5" } }),
      "no later page",
    ],
    ["names a later page but holds nothing", () => ({ json: { now: now(), entries: [], next: "6" } }), "no later page"],
    ["holds no entries", () => ({ json: { now: now(), next: null } }), "without entries"],
  ])("a later page that %s: nothing listed, exit 1", async (_name, answer, message) => {
    first = { now: now(), entries: [entry("rev-1", "email", "a@example.com")], next: "5" };
    later = answer;
    const listed = await run("revoke", "list");
    expect(listed.status).toBe(1);
    expect(listed.out).toEqual([]);
    expect(listed.err.join("\n")).toContain(message);
    // Asked once more at most: a page that named itself again is not followed.
    expect(calls.length).toBeLessThanOrEqual(2);
  });
});

describe("ward revoke --crl, with the revocations in force on two pages", () => {
  it("skips a certificate revoked on the second page, and revokes the rest", async () => {
    first = { now: now(), entries: [entry("rev-1", "email", "a@example.com")], next: "3" };
    later = () => ({ json: { now: now(), entries: [entry("rev-2", "serial", `${SKI}/a1b2`)], next: null } });
    const revoked = await run("revoke", "--crl", CRL, "--reason", "the CA revoked them");
    expect(revoked.status, revoked.output).toBe(0);
    expect(posts().map((p) => (JSON.parse(p.body) as { value: string }).value)).toEqual([
      `${SKI}/49253288284ba287bf59ac7bc875c99d4b7f9492`,
    ]);
    expect(revoked.out.at(-1)).toMatch(/2 listed, 1 revoked now, 1 already revoked$/);
  });

  it("revokes nothing when the second page fails", async () => {
    first = { now: now(), entries: [entry("rev-1", "serial", `${SKI}/a1b2`)], next: "3" };
    later = () => ({ status: 418, json: { error: "no" } });
    const revoked = await run("revoke", "--crl", CRL, "--reason", "the CA revoked them");
    expect(revoked.status).toBe(1);
    expect(revoked.err.join("\n")).toContain("nothing revoked");
    expect(posts()).toEqual([]);
  });
});
