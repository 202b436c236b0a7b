// From a review: ward doctor checked that ASSERTION_ISSUER differs between environments, but nothing else they
// must not share. Production on staging's KV namespace (a copy-paste slip) passed with "ok, 0 warnings", and both
// gateways then read the same `policy:active`: a push to staging switched production's policy. Likewise
// staging's VPC service in production, one Worker name for both, one dataset, and a Durable Object binding with
// `script_name` (another Worker's objects).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { doctorCommand } from "../../scripts/commands/doctor.ts";
import { goodTomlWith } from "../support/wrangler-fixture.ts";

const TIMEOUT = 30_000;
const BOTH_SECRETS = "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK";
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-shared-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STAGING_KV = "9f3a6c1e2b7d4085a1c3e5f70b2d4e6f";
const PRODUCTION_KV = "4c1e9a7f3b2d6e80c5a7f1d3e9b2c4a6";
const STAGING_PAYMENTS = "d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64";
const PRODUCTION_PAYMENTS = "3c9e7a1f-5b2d-4f80-8a64-e1c3b9d7f205";

const goodWith = (edits: [string, string][]): string => goodTomlWith(dir, edits);

async function doctor(config: string, env: string): Promise<{ status: number; out: string[] }> {
  const out: string[] = [];
  const status = await doctorCommand(["--env", env, "--config", config, "--secrets", BOTH_SECRETS], {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  return { status, out };
}

const codes = (out: string[]) => out.flatMap((l) => /^((?:error|warning)\[[a-z-]+\])/.exec(l)?.[1] ?? []);

describe("ward doctor: state two environments must not share", () => {
  it("production on staging's KV namespace is an error, from either side", { timeout: TIMEOUT }, async () => {
    const config = goodWith([[`id = "${PRODUCTION_KV}"`, `id = "${STAGING_KV}"`]]);
    const production = await doctor(config, "production");
    expect(codes(production.out)).toEqual(["error[binding-shared]"]);
    expect(production.out[0]).toBe(
      `error[binding-shared] ${config} [env.production.kv_namespaces]: POLICY: KV namespace ${STAGING_KV} is also [env.staging]'s (POLICY): both gateways would read and write the same policy versions and \`policy:active\`: a push (or rollback) to either switches the other's policy`,
    );
    expect(production.status).toBe(EXIT.failed);
    expect(codes((await doctor(config, "staging")).out)).toEqual(["error[binding-shared]"]);
  });

  it("staging's VPC service bound in production is an error", { timeout: TIMEOUT }, async () => {
    const config = goodWith([[`service_id = "${PRODUCTION_PAYMENTS}"`, `service_id = "${STAGING_PAYMENTS}"`]]);
    const run = await doctor(config, "production");
    expect(codes(run.out)).toEqual(["error[binding-shared]"]);
    expect(run.out[0]).toContain(
      `[env.production.vpc_services]: PAYMENTS_API: VPC service ${STAGING_PAYMENTS} is also [env.staging]'s (PAYMENTS_API): production's requests, with production's assertion, would reach the origin the other gateway forwards to`,
    );
    expect(run.status).toBe(EXIT.failed);
  });

  it("one Worker name for two environments is an error, a name left to wrangler's default included", {
    timeout: TIMEOUT,
  }, async () => {
    const named = goodWith([['name = "ward-production"', 'name = "ward-staging"']]);
    const run = await doctor(named, "production");
    expect(codes(run.out)).toEqual(["error[worker-name-shared]"]);
    expect(run.out[0]).toContain(
      `[env.production]: production deploys as Worker "ward-staging", as [env.staging] does: they would be one Worker`,
    );
    expect(run.status).toBe(EXIT.failed);
    // Staging without a name deploys as "ward-staging" (the top level's name, then the environment's).
    const defaulted = goodWith([
      ['[env.staging]\nname = "ward-staging"\n', "[env.staging]\n"],
      ['name = "ward-production"', 'name = "ward-staging"'],
    ]);
    const staging = await doctor(defaulted, "staging");
    expect(codes(staging.out)).toEqual(["error[worker-name-shared]"]);
    expect(staging.out[0]).toContain(`staging deploys as Worker "ward-staging" (no name: wrangler's default)`);
  });

  it("a Durable Object binding Ward needs with a script_name (another Worker's objects) is an error", {
    timeout: TIMEOUT,
  }, async () => {
    const config = goodWith([
      [
        '[[env.production.durable_objects.bindings]]\nname = "DENYLIST"\nclass_name = "Denylist"\n',
        '[[env.production.durable_objects.bindings]]\nname = "DENYLIST"\nclass_name = "Denylist"\nscript_name = "ward-staging"\n',
      ],
    ]);
    const run = await doctor(config, "production");
    expect(codes(run.out)).toEqual(["error[binding-shared]"]);
    expect(run.out[0]).toContain(
      `[env.production.durable_objects.bindings]: DENYLIST: script_name = "ward-staging" binds another Worker's Denylist objects`,
    );
    expect(run.status).toBe(EXIT.failed);
  });

  it("one Analytics Engine dataset for two environments is an error", { timeout: TIMEOUT }, async () => {
    const config = goodWith([['dataset = "ward_decisions_production"', 'dataset = "ward_decisions_staging"']]);
    const run = await doctor(config, "production");
    expect(codes(run.out)).toEqual(["error[binding-shared]"]);
    expect(run.out[1]).toBe(
      '  fix: set `dataset = "ward_decisions_production"` in [[env.production.analytics_engine_datasets]] binding = "DECISIONS"',
    );
  });

  it("the top level counts once it has routes (a deployed Worker), not as the local one", {
    timeout: TIMEOUT,
  }, async () => {
    const local = goodWith([['id = "ward-local-policy"', `id = "${PRODUCTION_KV}"`]]);
    expect(codes((await doctor(local, "production")).out)).toEqual([]);
    const deployed = goodWith([
      ['id = "ward-local-policy"', `id = "${PRODUCTION_KV}"`],
      [
        "preview_urls = false\n",
        'preview_urls = false\nroutes = [{ pattern = "ward.example.com/*", zone_name = "example.com" }]\n',
      ],
    ]);
    const run = await doctor(deployed, "production");
    expect(codes(run.out)).toEqual(["error[binding-shared]"]);
    expect(run.out[0]).toContain("is also the top level (deployed: it has routes)'s (POLICY)");
  });
});
