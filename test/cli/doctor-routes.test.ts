// ward doctor reads `route` / `routes` as wrangler deploys them (scripts/doctor/deployed-routes.ts): each key
// inherited on its own, `route = ""` dropped, `routes ?? [route]`; and a policy's wildcard host as routed only
// by a route that covers every host it stands for. Each case is one a review found doctor calling ok.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { hostsNotRouted } from "../../scripts/doctor/routes.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-routes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const STAGING_ROUTES = 'routes = [{ pattern = "*.staging.internal.example.com/*", zone_name = "example.com" }]';

async function doctor(config: string, policy?: string) {
  const out: string[] = [];
  const status = await doctorCommand(
    [
      "--env",
      "staging",
      "--config",
      config,
      ...(policy ? ["--policy", policy] : []),
      "--secrets",
      "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK",
      "--offline",
    ],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  return { status, out: out.join("\n"), codes: out.flatMap((l) => /^error\[([a-z-]+)\]/.exec(l)?.[1] ?? []) };
}

function stagingPolicy(): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8")
      .replace(/^ {2}environment: dev$/m, "  environment: staging")
      .replaceAll(".localhost]", ".staging.internal.example.com]"),
  );
  return file;
}

describe("ward doctor: the routes wrangler deploys", () => {
  it("an environment's `route` under a top-level `routes` is never deployed: route-ignored", {
    timeout: 30_000,
  }, async () => {
    // The top level's routes happen to cover staging's hosts: nothing is unrouted, but staging's own route is
    // not what wrangler deploys, and a deploy of staging takes the top level's routes over.
    const config = goodTomlWith(dir, [
      ["preview_urls = false\n", 'preview_urls = false\nroutes = ["*.staging.internal.example.com/*"]\n'],
      [STAGING_ROUTES, 'route = "*.staging.internal.example.com/*"'],
    ]);
    const run = await doctor(config, stagingPolicy());
    expect(run.codes, run.out).toEqual(["route-ignored"]);
    expect(run.status).toBe(1);
  });

  it('`route = ""` is no route (wrangler drops it): routes-missing', { timeout: 30_000 }, async () => {
    const run = await doctor(goodTomlWith(dir, [[STAGING_ROUTES, 'route = ""']]));
    expect(run.codes, run.out).toEqual(["routes-missing"]);
  });

  it('`route = ""` beside `routes` is no conflict (wrangler drops it first)', { timeout: 30_000 }, async () => {
    const run = await doctor(goodTomlWith(dir, [[STAGING_ROUTES, `${STAGING_ROUTES}\nroute = ""`]]), stagingPolicy());
    expect(run.codes, run.out).toEqual([]);
    expect(run.status).toBe(0);
  });
});

describe("ward doctor: ASSERTION_ISSUER against a deployed top level", () => {
  // The top level with routes of its own is a gateway too (shared-state.ts): an issuer shared with it is shared.
  const TOP_ROUTES: [string, string] = [
    "preview_urls = false\n",
    'preview_urls = false\nroutes = [{ pattern = "legacy.example.com/*", zone_name = "example.com" }]\n',
  ];
  it("one the top level signs with too (it sets none: ward) is shared", { timeout: 30_000 }, async () => {
    const config = goodTomlWith(dir, [TOP_ROUTES, ['ASSERTION_ISSUER = "ward-staging"', 'ASSERTION_ISSUER = "ward"']]);
    const run = await doctor(config);
    expect(run.codes, run.out).toContain("assertion-issuer-shared");
    expect(run.out).toContain("the top level (deployed: it has routes)'s");
  });
  it("a top level without routes is no gateway: nothing shared", { timeout: 30_000 }, async () => {
    const config = goodTomlWith(dir, [['ASSERTION_ISSUER = "ward-staging"', 'ASSERTION_ISSUER = "ward"']]);
    expect((await doctor(config)).codes).not.toContain("assertion-issuer-shared");
  });
});

describe("hostsNotRouted: a wildcard service host", () => {
  const env = (routes: unknown[]) => ({ routes });
  const host = "*.wiki.example.com";
  it.each([["*.example.com/*"], ["*.wiki.example.com/*"], ["*wiki.example.com/*"], ["*/*"]])(
    "is routed by %s (every L.wiki.example.com matches it)",
    (pattern) => {
      expect(hostsNotRouted({}, env([pattern]), [host])).toEqual([]);
    },
  );
  it.each([
    ["x.wiki.example.com/*"],
    ["a*.wiki.example.com/*"],
    ["*.wiki.example.com/api/*"],
    ["*.wiki.example.com"],
    ["*.other.example.com/*"],
  ])("is not routed by %s alone", (pattern) => {
    expect(hostsNotRouted({}, env([pattern]), [host])).toEqual([host]);
  });
  it("is not routed by a custom domain (Custom Domains take no wildcard)", () => {
    expect(hostsNotRouted({}, env([{ pattern: host, custom_domain: true }]), [host])).toEqual([host]);
    expect(hostsNotRouted({}, env([{ pattern: "x.wiki.example.com", custom_domain: true }]), [host])).toEqual([host]);
  });
  it("a custom domain with `enabled = false` routes nothing (it serves no production request)", () => {
    const domain = { pattern: "payments.example.com", custom_domain: true };
    expect(hostsNotRouted({}, env([domain]), ["payments.example.com"])).toEqual([]);
    expect(hostsNotRouted({}, env([{ ...domain, enabled: false }]), ["payments.example.com"])).toEqual([
      "payments.example.com",
    ]);
  });
  it("a route written with its scheme routes as without it", () => {
    expect(hostsNotRouted({}, env(["https://*.wiki.example.com/*"]), [host])).toEqual([]);
  });
  it("a table `route` routes as a string one does", () => {
    const route = { pattern: "*.example.com/*", zone_name: "example.com" };
    expect(hostsNotRouted({}, { route }, [host, "payments.example.com"])).toEqual([]);
  });
});
