// `ward revoke` and `ward quarantine` --local against a real local gateway whose policy quarantines after 3
// denied requests: each takes effect within the refresh interval, and lifting or releasing undoes it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDemoCertificateHeaders } from "../../scripts/dev/demo-certificates.ts";
import { type DemoGateway, marker, startDemoGateway } from "../support/demo-gateway.ts";
import { type Ask, send } from "../support/http-request.ts";
import { wardText } from "../support/ward-cli.ts";
import type { DenyEntry } from "../../policy/index.ts";
import { adminCall, resolveTarget } from "../../scripts/admin-client.ts";
import { wholeListing } from "../../scripts/listing-pages.ts";

const policy = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8").replace(
  "\nservices:\n",
  "\nquarantine: { deniedRequests: 3, within: 60s, for: 1h }\n\nservices:\n",
);
let demo: DemoGateway;
let port: string;
let checkoutBlob: string;
const CRL = resolve(import.meta.dirname, "../fixtures/certs/revoked.crl.pem");

/** `ward ARGS` in this process, with "PORT" standing for the local gateway's port. */
const ward = (...args: string[]) => wardText(...args.map((a) => (a === "PORT" ? port : a)));

/**
 * One request's status, once the origin's log agrees with it: a request let through (200) reached the origin
 * once, a refused one never did. Every refusal below is checked this way, wherever it is asked for.
 */
async function status(url: string, options: Ask): Promise<number> {
  const m = marker();
  const reply = await send(Number(port), `${url}?${m}`, options);
  expect(await demo.originSaw(m)).toHaveLength(reply.status === 200 ? 1 : 0);
  return reply.status;
}

async function wiki(email: string, method = "GET"): Promise<number> {
  const token = (await send(Number(port), `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=${email}`))
    .body;
  return status(`http://wiki.localhost:${port}/page`, { method, headers: { "cf-access-jwt-assertion": token } });
}

async function asCheckout(): Promise<number> {
  return status(`http://orders.localhost:${port}/v1/orders/42`, { headers: { "mf-cf-blob": checkoutBlob } });
}

/** The gateway re-reads the denylist every 2 s in the background: ask until it answers `status`. */
async function eventually(call: () => Promise<number>, status: number): Promise<number> {
  let last = await call();
  for (let i = 0; i < 30 && last !== status; i++) {
    await new Promise((r) => setTimeout(r, 200));
    last = await call();
  }
  return last;
}

beforeAll(async () => {
  demo = await startDemoGateway({ recorded: ["PAYMENTS_API", "ORDERS_API", "WIKI"], policyText: policy });
  port = String(demo.port);
  // The checkout workload's client certificate, as `npm start` prints it for curl (-H @file).
  const dir = mkdtempSync(join(tmpdir(), "ward-denylist-cli-"));
  checkoutBlob = readFileSync((await writeDemoCertificateHeaders(dir)).checkout!, "utf8")
    .replace(/^MF-CF-Blob: /, "")
    .trim();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
});

describe("ward revoke --local", () => {
  it("revokes a person, lists it, and lifts it", async () => {
    expect(await wiki("ann@example.com")).toBe(200);
    const run = await ward(
      "revoke",
      "--local",
      "--port",
      "PORT",
      "--email",
      "ann@example.com",
      "--reason",
      "laptop stolen",
      "--for",
      "1d",
    );
    expect(run.err).toBe("");
    const id =
      /^revoked: (rev-[0-9a-f]{8}) {2}revocation {2}email ann@example.com {2}until \S+ {2}"laptop stolen" by user:admin@example.com$/.exec(
        run.out,
      )?.[1];
    expect(id, run.out).toBeDefined();
    expect(await eventually(() => wiki("ann@example.com"), 403)).toBe(403);
    expect((await ward("revoke", "list", "--local", "--port", "PORT")).out).toContain(
      `${id}  revocation  email ann@example.com`,
    );
    expect((await ward("revoke", "lift", "--local", "--port", "PORT", id!)).out).toMatch(
      new RegExp(`^lifted: ${id} .* released by user:admin@example.com`),
    );
    expect(await eventually(() => wiki("ann@example.com"), 200)).toBe(200);
  }, 30_000);

  it("revokes a CA by its key identifier: the certificates it issued are refused until it is lifted", async () => {
    expect(await asCheckout()).toBe(200);
    // The demo CA's, as openssl prints it (policy/examples/demo.yaml pins it by the same).
    const ski = "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2";
    const run = await ward("revoke", "--local", "--port", "PORT", "--ca", ski, "--reason", "CA key leaked");
    expect(run.err).toBe("");
    const id = /^revoked: (rev-[0-9a-f]{8}) {2}revocation {2}ca 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2 /.exec(
      run.out,
    )?.[1];
    expect(id, run.out).toBeDefined();
    expect(await eventually(asCheckout, 403)).toBe(403);
    expect(await wiki("bob@example.com")).toBe(200);
    await ward("revoke", "lift", "--local", "--port", "PORT", id!);
    expect(await eventually(asCheckout, 200)).toBe(200);
  }, 30_000);

  it.each<[string, string[], number, string]>([
    ["no credential", ["--reason", "x y z"], 2, "name exactly one credential"],
    [
      "a CA named by its name",
      ["--ca", "CN=Ward Demo CA", "--reason", "leaked key"],
      1,
      "expected a CA's subject key identifier",
    ],
    [
      "two credentials",
      ["--email", "a@example.com", "--token", "t", "--reason", "x y z"],
      2,
      "name exactly one credential",
    ],
    ["no reason", ["--email", "a@example.com"], 2, "--reason is required"],
    [
      "a malformed fingerprint",
      ["--fingerprint", "abc", "--reason", "leaked key"],
      1,
      "expected the certificate's SHA-256",
    ],
    [
      "a serial without its issuer",
      ["--serial", "49253288284BA287BF59AC7BC875C99D4B7F9492", "--reason", "leaked key"],
      1,
      "expected ISSUER_SKI/SERIAL",
    ],
  ])("refuses %s and revokes nothing", async (_name, flags, status, message) => {
    const before = (await ward("revoke", "list", "--local", "--port", "PORT", "--all")).out;
    const run = await ward("revoke", "--local", "--port", "PORT", ...flags);
    expect(run.err).toContain(message);
    expect(run.status).toBe(status);
    expect((await ward("revoke", "list", "--local", "--port", "PORT", "--all")).out).toBe(before);
  });

  it("lists the denylist page by page: every entry once, in the order one answer gives them", async () => {
    for (const who of ["paged-a", "paged-b", "paged-c"]) {
      const run = await ward(
        "revoke",
        "--local",
        "--port",
        "PORT",
        "--email",
        `${who}@example.com`,
        "--reason",
        "paging",
      );
      expect(run.err).toBe("");
    }
    const lifted = /^revoked: (rev-[0-9a-f]{8})/.exec(
      (await ward("revoke", "--local", "--port", "PORT", "--email", "paged-d@example.com", "--reason", "paging")).out,
    )?.[1];
    expect((await ward("revoke", "lift", "--local", "--port", "PORT", lifted!)).status).toBe(0);
    const target = await resolveTarget({ local: true, port });
    for (const all of [false, true]) {
      const whole = await adminCall(target, "GET", `/denylist?kind=revocation${all ? "&all=1" : ""}`);
      const ids = (whole.body as { entries: DenyEntry[] }).entries.map((e) => e.id);
      expect(ids.includes(lifted!)).toBe(all);
      const path = `/denylist?kind=revocation${all ? "&all=1" : ""}`;
      const paged = await wholeListing<DenyEntry>(target, { path, member: "entries", what: "the denylist" }, 2);
      expect(paged.map((e) => e.id)).toEqual(ids);
      // And the command prints each, once.
      const out = (await ward("revoke", "list", "--local", "--port", "PORT", ...(all ? ["--all"] : []))).out;
      expect(out.split("\n").map((line) => line.split(" ")[0])).toEqual(ids);
    }
  }, 30_000);
});

describe("ward revoke --crl --local", () => {
  it("revokes every certificate a CRL lists, skips those already revoked, and each can be lifted", async () => {
    expect(await asCheckout()).toBe(200);
    const dry = await ward(
      "revoke",
      "--local",
      "--port",
      "PORT",
      "--crl",
      CRL,
      "--reason",
      "the CA revoked them",
      "--dry-run",
    );
    expect(dry.out).toBe(
      [
        "would revoke: serial 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2/a1b2",
        "would revoke: serial 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2/49253288284ba287bf59ac7bc875c99d4b7f9492",
        `${CRL}: issuer 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2: 2 listed, 2 would be revoked, 0 already revoked (dry run: nothing changed)`,
      ].join("\n"),
    );
    expect((await ward("revoke", "list", "--local", "--port", "PORT")).out).not.toContain("serial");
    const run = await ward("revoke", "--local", "--port", "PORT", "--crl", CRL, "--reason", "the CA revoked them");
    expect(run.status, run.err).toBe(0);
    const ids = [
      ...run.out.matchAll(
        /^revoked: (rev-[0-9a-f]{8}) {2}revocation {2}serial 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2\/[0-9a-f]+ {2}until lifted {2}"the CA revoked them"/gm,
      ),
    ].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    expect(run.out).toContain(
      `${CRL}: issuer 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2: 2 listed, 2 revoked now, 0 already revoked`,
    );
    expect(await eventually(asCheckout, 403)).toBe(403);
    // A newer CRL is imported the same way: what is already revoked is not revoked twice.
    const again = await ward("revoke", "--local", "--port", "PORT", "--crl", CRL, "--reason", "the CA revoked them");
    expect(again.out).toBe(
      `${CRL}: issuer 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2: 2 listed, 0 revoked now, 2 already revoked`,
    );
    for (const id of ids) expect((await ward("revoke", "lift", "--local", "--port", "PORT", id)).status).toBe(0);
    expect(await eventually(asCheckout, 200)).toBe(200);
  }, 30_000);

  it("revokes for good a listed certificate that was only cut off for a while", async () => {
    const SERIAL = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2/49253288284ba287bf59ac7bc875c99d4b7f9492";
    const cut = await ward(
      "revoke",
      "--local",
      "--port",
      "PORT",
      "--serial",
      SERIAL,
      "--reason",
      "looking",
      "--for",
      "1h",
    );
    expect(cut.status, cut.err).toBe(0);
    const run = await ward("revoke", "--local", "--port", "PORT", "--crl", CRL, "--reason", "the CA revoked them");
    expect(run.status, run.err).toBe(0);
    // The hour-long revocation does not count as the CA's: once it ended, the certificate would be admitted.
    expect(run.out).toContain(
      `${CRL}: issuer 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2: 2 listed, 2 revoked now, 0 already revoked`,
    );
    const ids = [
      ...(await ward("revoke", "list", "--local", "--port", "PORT")).out.matchAll(/^(rev-[0-9a-f]{8})/gm),
    ].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const id of ids) expect((await ward("revoke", "lift", "--local", "--port", "PORT", id)).status).toBe(0);
    expect(await eventually(asCheckout, 200)).toBe(200);
  }, 30_000);

  it.each<[string, string[], number, string]>([
    [
      "a certificate given as a CRL",
      ["--crl", resolve(import.meta.dirname, "../fixtures/certs/checkout.pem")],
      1,
      "not a CRL",
    ],
    [
      "a CRL that does not name its issuer's key",
      ["--crl", resolve(import.meta.dirname, "../fixtures/certs/no-aki.crl.pem")],
      1,
      "names no issuer key identifier",
    ],
    [
      // Its second entry is another CA's certificate that shares checkout.pem's serial: filing it under this CA's
      // key would revoke checkout and leave the other admitted.
      "an indirect CRL",
      ["--crl", resolve(import.meta.dirname, "../fixtures/certs/crl/indirect.crl.pem")],
      1,
      "is an indirect CRL",
    ],
    ["a CRL and a credential", ["--crl", CRL, "--email", "a@example.com"], 2, "name exactly one credential"],
    ["--dry-run without a CRL", ["--email", "a@example.com", "--dry-run"], 2, "--dry-run goes with --crl"],
  ])("refuses %s and revokes nothing", async (_name, flags, status, message) => {
    const before = (await ward("revoke", "list", "--local", "--port", "PORT", "--all")).out;
    const run = await ward("revoke", "--local", "--port", "PORT", ...flags, "--reason", "the CA revoked them");
    expect(run.err).toContain(message);
    expect(run.status).toBe(status);
    expect((await ward("revoke", "list", "--local", "--port", "PORT", "--all")).out).toBe(before);
  });
});

describe("ward quarantine --local", () => {
  it("lists an identity quarantined after 3 denials, and releases it", async () => {
    expect((await ward("quarantine", "list", "--local", "--port", "PORT")).out).toBe("none");
    for (let i = 0; i < 3; i++) expect(await wiki("prober@example.com", "POST")).toBe(403);
    expect(await eventually(() => wiki("prober@example.com"), 403)).toBe(403);
    const listed = (await ward("quarantine", "list", "--local", "--port", "PORT")).out;
    const id =
      /^(q-[0-9a-f]{8}) {2}quarantine {2}principal user:prober@example.com {2}until \S+ {2}"3 denied requests within 60s" by ward \(quarantine\)$/.exec(
        listed,
      )?.[1];
    expect(id, listed).toBeDefined();
    expect((await ward("quarantine", "release", "--local", "--port", "PORT", id!)).status).toBe(0);
    expect(await eventually(() => wiki("prober@example.com"), 200)).toBe(200);
  }, 30_000);
});
