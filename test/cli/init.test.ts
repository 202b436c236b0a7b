// ward init: the command function with a collecting Io, on copies of the project's wrangler.toml and on small
// configs written per test. What it writes is read back with wrangler's own parser.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { CliError, EXIT } from "../../scripts/cli-error.ts";
import { initCommand } from "../../scripts/commands/init.ts";
import { readWranglerConfig, tables } from "../../scripts/doctor/config.ts";
import type { Ask } from "../../scripts/init/prompts.ts";
import { scanToml, stringValue } from "../../scripts/init/toml-document.ts";

const ROOT = resolve(import.meta.dirname, "../..");
// The first call imports wrangler's bundle (over a second); later calls are fast.
const TIMEOUT = 30_000;
const dir = mkdtempSync(join(tmpdir(), "ward-init-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A project directory with `wrangler.toml` (the project's own, or `text`) and, if asked, its policies. */
function project(text?: string, policies = false): { root: string; config: string } {
  const root = join(dir, `p${++n}`);
  mkdirSync(join(root, "policy"), { recursive: true });
  const config = join(root, "wrangler.toml");
  if (text === undefined) copyFileSync(join(ROOT, "wrangler.toml"), config);
  else writeFileSync(config, text);
  if (policies)
    for (const env of ["staging", "production"])
      copyFileSync(join(ROOT, "policy", `${env}.yaml`), join(root, "policy", `${env}.yaml`));
  return { root, config };
}

async function init(args: string[], ask?: Ask): Promise<{ status: number; out: string[] }> {
  const out: string[] = [];
  const status = await initCommand(args, { out: (l) => out.push(l), err: (l) => out.push(l) }, ask);
  return { status, out };
}

async function initFails(args: string[]): Promise<CliError> {
  const error = await init(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

const QA = ["--env", "qa", "--route", "*.qa.example.com/*", "--zone", "example.com"];

describe("ward init: a new environment", () => {
  it("adds [env.qa] after everything else, leaving every other line as it was, and a valid policy", {
    timeout: TIMEOUT,
  }, async () => {
    const { root, config } = project();
    const before = readFileSync(config, "utf8");
    const run = await init([
      ...QA,
      "--config",
      config,
      "--origin",
      "PAYMENTS_API=payments.internal:8443",
      "--origin",
      "WIKI",
    ]);
    expect(run.status).toBe(EXIT.ok);
    const after = readFileSync(config, "utf8");
    expect(after.startsWith(`${before.trimEnd()}\n\n# ---- qa ----`)).toBe(true);

    const { environments } = await readWranglerConfig(config);
    const qa = environments.qa!;
    expect(qa).toMatchObject({
      name: "ward-qa",
      workers_dev: false,
      preview_urls: false,
      routes: [{ pattern: "*.qa.example.com/*", zone_name: "example.com" }],
      secrets: { required: ["ASSERTION_SIGNING_KEYS", "NOTIFY_WEBHOOK"] },
      vars: { WARD_ENV: "qa", ASSERTION_ISSUER: "ward-qa", POLICY_REFRESH_SECONDS: "5" },
      kv_namespaces: [{ binding: "POLICY", id: "00000000000000000000000000000000" }],
      analytics_engine_datasets: [{ binding: "DECISIONS", dataset: "ward_decisions_qa" }],
      vpc_services: [
        { binding: "PAYMENTS_API", service_id: "00000000-0000-0000-0000-000000000000", remote: true },
        { binding: "WIKI", service_id: "00000000-0000-0000-0000-000000000000", remote: true },
      ],
    });
    // Every Durable Object of the top level, by the same class.
    const top = (await readWranglerConfig(config)).top;
    expect(tables((qa.durable_objects as { bindings: unknown }).bindings)).toEqual(
      tables((top.durable_objects as { bindings: unknown }).bindings),
    );
    // Not production unless asked.
    expect((qa.vars as Record<string, unknown>).WARD_PRODUCTION).toBeUndefined();
    // The other environments, as wrangler reads them, did not change either.
    const original = join(dir, `original-${n}.toml`);
    writeFileSync(original, before);
    const was = await readWranglerConfig(original);
    expect(environments.staging).toEqual(was.environments.staging);
    expect(environments.production).toEqual(was.environments.production);

    const policy = readFileSync(join(root, "policy/qa.yaml"), "utf8");
    const loaded = await loadPolicy(policy);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.policy.document.metadata.environment).toBe("qa");
    expect(Object.keys(loaded.policy.document.services)).toEqual(["payments-api", "wiki"]);
    expect(loaded.policy.document.services["payments-api"]!.hosts).toEqual(["payments-api.qa.example.com"]);
    expect(loaded.policy.document.services.wiki!.origin).toEqual({ tunnel: "WIKI" });
    // Workloads and people side by side, in every service.
    expect(loaded.policy.document.services.wiki!.routes[0]!.rules.map((r) => r.id)).toEqual(["workloads", "people"]);
    // One audience per service host, then the operators' host's (WARD_URL): from a review, without it the
    // operators' service token was refused there and nobody could push after the bootstrap.
    expect(loaded.policy.document.identity.access!.audiences).toHaveLength(3);
    expect(policy).toMatch(
      /- "0{63}3" # placeholder: the AUD tag of the operators' host's Access application \(WARD_URL\)/,
    );
    expect(run.out.map((l) => l.trim())).toContain(
      "identity.access.audiences[2]: the AUD tag of the Access application named beside it (a service host's, or the operators' host's: WARD_URL), from Access > Applications > the app > Overview",
    );

    expect(run.out).toContain(`${config} [env.qa]: 18 changes`);
    expect(run.out).toContain(
      "  2. npx wrangler vpc service create ward-qa-payments-api --type http --tunnel-id <tunnel id> --hostname payments.internal --https-port 8443 --cert-verification-mode verify_full",
    );
    expect(run.out).toContain(
      "  3. npx wrangler vpc service create ward-qa-wiki --type http --tunnel-id <tunnel id> --hostname <origin host> --https-port <origin's HTTPS port> --cert-verification-mode verify_full",
    );
    expect(run.out.at(-1)).toMatch(
      /\d+\. npm run ward -- push --env qa .*policy\/qa\.yaml --bootstrap|then run the two/,
    );
  });

  it("re-run with the same flags changes nothing; with ids, only the placeholders, and the steps shrink", {
    timeout: TIMEOUT,
  }, async () => {
    const { root, config } = project();
    const origin = ["--config", config, "--origin", "PAYMENTS_API=payments.internal:8443"];
    await init([...QA, ...origin]);
    const first = readFileSync(config, "utf8");
    const policy = readFileSync(join(root, "policy/qa.yaml"), "utf8");

    const again = await init([...QA, ...origin]);
    expect(again.out.slice(0, 2)).toEqual([
      `${config} [env.qa]: already as ward init would write it, nothing changed`,
      `${join(root, "policy/qa.yaml")}: exists, left as it is`,
    ]);
    expect(readFileSync(config, "utf8")).toBe(first);
    expect(readFileSync(join(root, "policy/qa.yaml"), "utf8")).toBe(policy);

    // The routes are there now: the ids alone are enough.
    const ids = await init([
      "--env",
      "qa",
      "--config",
      config,
      "--kv-id",
      "9f3a6c1e2b7d4085a1c3e5f70b2d4e6f",
      "--vpc-service",
      "PAYMENTS_API=d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64",
    ]);
    expect(ids.out.slice(0, 3)).toEqual([
      `${config} [env.qa]: 2 changes`,
      '  changed [[env.qa.kv_namespaces]] binding = "POLICY" id',
      '  changed [[env.qa.vpc_services]] binding = "PAYMENTS_API" service_id',
    ]);
    const filled = readFileSync(config, "utf8");
    // Two lines changed, and their "placeholder" notes went with the placeholders.
    const changed = filled.split("\n").filter((line, i) => line !== first.split("\n")[i]);
    expect(changed).toEqual([
      'id = "9f3a6c1e2b7d4085a1c3e5f70b2d4e6f"',
      'service_id = "d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64"',
    ]);
    expect(ids.out.some((l) => l.includes("kv namespace create") || l.includes("vpc service create"))).toBe(false);
    expect(ids.out.some((l) => l.includes("secret put ASSERTION_SIGNING_KEYS"))).toBe(true);
  });

  it("--production marks the environment for doctor, with a note", { timeout: TIMEOUT }, async () => {
    const { config } = project();
    await init([...QA, "--config", config, "--production"]);
    const { environments } = await readWranglerConfig(config);
    expect((environments.qa!.vars as Record<string, unknown>).WARD_PRODUCTION).toBe("true");
    expect(readFileSync(config, "utf8")).toContain(
      'WARD_PRODUCTION = "true"  # ward doctor holds this environment to production\'s rules',
    );
  });

  it("asks, with a terminal, for what neither the flags nor the config say", { timeout: TIMEOUT }, async () => {
    const { config } = project();
    const questions: string[] = [];
    const answers = [
      "*.qa.example.com/*",
      "example.com",
      "WIKI",
      "wiki.internal:9443",
      "6f2c0a4e-1b7d-4c39-9d8e-2a6f0c1e5b74",
    ];
    const ask: Ask = async (question) => {
      questions.push(question);
      return answers.shift() ?? "";
    };
    const run = await init(["--env", "qa", "--config", config], ask);
    expect(questions).toEqual([
      "Route for qa (a pattern such as *.qa.example.com/*)",
      "Zone of that route (such as example.com)",
      "Origins: Worker binding names, comma-separated",
      "Where does cloudflared reach WIKI? HOST:PORT of its HTTPS (Enter to skip)",
      "Tunnel id for the VPC services (cloudflared tunnel list; Enter to skip)",
    ]);
    const { environments } = await readWranglerConfig(config);
    expect(environments.qa!.routes).toEqual([{ pattern: "*.qa.example.com/*", zone_name: "example.com" }]);
    expect(run.out).toContain(
      "  2. npx wrangler vpc service create ward-qa-wiki --type http --tunnel-id 6f2c0a4e-1b7d-4c39-9d8e-2a6f0c1e5b74 --hostname wiki.internal --https-port 9443 --cert-verification-mode verify_full",
    );
  });
});

describe("ward init: an environment that is there already", () => {
  it("the project's own staging and production are what init writes: re-running changes nothing", {
    timeout: TIMEOUT,
  }, async () => {
    const { root, config } = project(undefined, true);
    const before = readFileSync(config, "utf8");
    const staging = await init(["--env", "staging", "--config", config]);
    const production = await init(["--env", "production", "--config", config, "--production"]);
    expect(staging.out[0]).toBe(`${config} [env.staging]: already as ward init would write it, nothing changed`);
    expect(production.out[0]).toBe(`${config} [env.production]: already as ward init would write it, nothing changed`);
    expect(readFileSync(config, "utf8")).toBe(before);
    for (const env of ["staging", "production"])
      expect(readFileSync(join(root, "policy", `${env}.yaml`), "utf8")).toBe(
        readFileSync(join(ROOT, "policy", `${env}.yaml`), "utf8"),
      );
  });

  it("fixes what is wrong in place: each line keeps its key and the operator's comment", {
    timeout: TIMEOUT,
  }, async () => {
    const text = [
      'name = "ward"',
      'main = "worker/index.ts"',
      "workers_dev = false",
      "preview_urls = false",
      "",
      "[vars]",
      'POLICY_REFRESH_SECONDS = "5"',
      "",
      "# Ours: staging as we set it up by hand.",
      "[env.staging]",
      'name = "gateway-staging" # the name our dashboards use',
      "workers_dev = true # TEMPORARY, for a demo",
      "routes = [",
      '  { pattern = "*.staging.example.com/*", zone_name = "example.com" }, # [not] a "string" # here',
      "]",
      "",
      "[env.staging.vars]",
      'WARD_ENV = "prod"',
      'TEAM_NOTE = "kept"',
      "",
      "[[env.staging.kv_namespaces]]",
      'binding = "POLICY"',
      'id = "00000000000000000000000000000001" # replace: wrangler kv namespace create',
      "",
      "# The end.",
      "",
    ].join("\n");
    const { config } = project(text);
    const run = await init(["--env", "staging", "--config", config, "--kv-id", "9f3a6c1e2b7d4085a1c3e5f70b2d4e6f"]);
    expect(run.status).toBe(EXIT.ok);
    const after = readFileSync(config, "utf8");
    // What was right stays as written, comments included; what was wrong is replaced on its own line.
    expect(after).toContain('name = "gateway-staging" # the name our dashboards use');
    expect(after).toContain("workers_dev = false # TEMPORARY, for a demo");
    expect(after).toContain(
      '  { pattern = "*.staging.example.com/*", zone_name = "example.com" }, # [not] a "string" # here\n]',
    );
    expect(after).toContain('WARD_ENV = "staging"\nTEAM_NOTE = "kept"');
    expect(after).toContain('id = "9f3a6c1e2b7d4085a1c3e5f70b2d4e6f"\n');
    expect(after).toContain("# Ours: staging as we set it up by hand.\n[env.staging]");
    // New tables go after the environment's last one: a comment that ends the file still ends it.
    expect(after.trimEnd().endsWith("# The end.")).toBe(true);
    expect(after.indexOf("[[env.staging.analytics_engine_datasets]]")).toBeGreaterThan(
      after.indexOf("[[env.staging.kv_namespaces]]"),
    );
    expect(after.indexOf("[[env.staging.analytics_engine_datasets]]")).toBeLessThan(after.indexOf("# The end."));
    const { environments } = await readWranglerConfig(config);
    expect(environments.staging).toMatchObject({
      name: "gateway-staging",
      workers_dev: false,
      preview_urls: false,
      vars: { WARD_ENV: "staging", TEAM_NOTE: "kept", ASSERTION_ISSUER: "ward-staging", POLICY_REFRESH_SECONDS: "5" },
    });
  });

  it("refuses a section written in a form it does not edit, and writes nothing", { timeout: TIMEOUT }, async () => {
    const text = [
      'name = "ward"',
      "workers_dev = false",
      "preview_urls = false",
      "",
      "[env.staging]",
      'routes = [{ pattern = "*.staging.example.com/*", zone_name = "example.com" }]',
      'vars = { WARD_ENV = "staging" }',
      "",
    ].join("\n");
    const { config } = project(text);
    const error = await initFails(["--env", "staging", "--config", config]);
    expect(error.exitCode).toBe(EXIT.failed);
    expect(error.message).toMatch(/^the edited .* would not parse|^cannot update \[env\.staging\] in .* in place/);
    expect(readFileSync(config, "utf8")).toBe(text);
  });
});

describe("ward init: flags", () => {
  it("refuses malformed values before reading anything", async () => {
    const { config } = project();
    const cases: [string[], RegExp][] = [
      [["--config", config], /^--env ENV is required/],
      [["--env", "Prod", "--config", config], /^--env "Prod": lower-case/],
      [[...QA, "--config", config, "--kv-id", "abc"], /^--kv-id "abc": the id `wrangler kv namespace create` printed/],
      [["--env", "qa", "--route", "*.qa.example.com/*", "--config", config], /^--route needs --zone/],
      [
        [...QA, "--config", config, "--origin", "payments"],
        /^--origin "payments": the binding is a Worker binding name/,
      ],
      [
        [...QA, "--config", config, "--origin", "WIKI=wiki.internal:99999"],
        /PORT is the port where the origin serves HTTPS/,
      ],
      [
        [...QA, "--config", config, "--vpc-service", "WIKI=nope"],
        /^--vpc-service "nope": the id `wrangler vpc service create` printed/,
      ],
      [[...QA, "--config", "wrangler.json"], /ward init edits TOML configs only/],
      // A name no Access token is read as (policy/service-token-id.ts): the policy would not validate.
      [
        [...QA, "--config", config, "--admin-token", "ops-bot.access"],
        /^--admin-token "ops-bot.access": the operators' service token's client id/,
      ],
      // Of the shape label by label, but longer than any name (255 characters).
      [
        [...QA, "--config", config, "--admin-token", `${"a".repeat(32)}.access${`.${"b".repeat(63)}`.repeat(4)}`],
        /^--admin-token "a{32}\.access(\.b{63}){4}": the operators' service token's client id/,
      ],
    ];
    for (const [args, message] of cases) {
      const error = await initFails(args);
      expect(error.exitCode, args.join(" ")).toBe(EXIT.usage);
      expect(error.message, args.join(" ")).toMatch(message);
    }
  });

  it("--ca-cert pins the workload CA by its certificate; a leaf, an unreadable file or both pins are refused", {
    timeout: TIMEOUT,
  }, async () => {
    const { root, config } = project();
    const ca = join(ROOT, "test/fixtures/certs/ca.pem");
    const run = await init([...QA, "--config", config, "--ca-cert", ca]);
    expect(run.status).toBe(EXIT.ok);
    const text = readFileSync(join(root, "policy/qa.yaml"), "utf8");
    expect(text).toContain("      - certificate: | # Ward checks that this CA's key signed each client certificate\n");
    const loaded = await loadPolicy(text);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    expect(loaded.policy.document.identity.mtls?.issuers[0]).toEqual({
      certificate: `${readFileSync(ca, "utf8").trim()}\n`,
      trustDomains: [expect.any(String)],
    });
    // Nothing left for the operator to replace in the pin: no placeholder step names it.
    expect(run.out.some((l) => l.includes("identity.mtls.issuers[0]"))).toBe(false);
    // Re-run with the same CA: nothing to say. With another: the policy is left as it is, and that is said.
    const same = await init([...QA, "--config", config, "--ca-cert", ca]);
    expect(same.out.some((l) => l.includes("does not pin"))).toBe(false);
    const other = await init([
      ...QA,
      "--config",
      config,
      "--ca-cert",
      join(ROOT, "test/fixtures/certs/partner-ca.pem"),
    ]);
    expect(other.out).toContain(
      `${join(root, "policy/qa.yaml")}: does not pin the CA of --ca-cert (SKI a6e23ae88e991eb3ffea09ff61040fd8807363d7), and ward init leaves an existing policy as it is: add it under identity.mtls.issuers yourself`,
    );
    expect(readFileSync(join(root, "policy/qa.yaml"), "utf8")).toBe(text);
    // The CA pinned by its certificate is pinned under its SKI too.
    const sameSki = await init([
      ...QA,
      "--config",
      config,
      "--ca-ski",
      "3A:45:F8:48:C6:05:0C:D8:6D:58:FE:6D:A7:72:C4:F3:C3:CE:F5:C2",
    ]);
    expect(sameSki.out.some((l) => l.includes("does not pin"))).toBe(false);
    const ski = await init([...QA, "--config", config, "--ca-ski", "3A:45:F8"]);
    expect(ski.out.some((l) => l.includes("does not pin the CA of --ca-ski (3A:45:F8)"))).toBe(true);

    const leaf = await initFails([
      ...QA,
      "--config",
      config,
      "--ca-cert",
      join(ROOT, "test/fixtures/certs/checkout.pem"),
    ]);
    expect(leaf.message).toMatch(/^--ca-cert .*checkout\.pem: the certificate is not a CA's certificate/);
    expect(leaf.exitCode).toBe(EXIT.failed);
    const absent = await initFails([...QA, "--config", config, "--ca-cert", join(root, "absent.pem")]);
    expect(absent.message).toMatch(/absent\.pem: cannot read it: ENOENT$/);
    const both = await initFails([...QA, "--config", config, "--ca-cert", ca, "--ca-ski", "3A:45"]);
    expect(both.message).toContain("--ca-cert and --ca-ski both pin the workload CA");
  });

  it("a new environment needs a route, and an id needs its origin", { timeout: TIMEOUT }, async () => {
    const { root, config } = project();
    const noRoute = await initFails(["--env", "qa", "--config", config]);
    expect(noRoute.message).toMatch(/^\[env\.qa\] has no routes: give --route PATTERN --zone ZONE/);
    const unknown = await initFails([
      ...QA,
      "--config",
      config,
      "--origin",
      "WIKI",
      "--vpc-service",
      "OTHER=d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64",
    ]);
    expect(unknown.message).toBe("--vpc-service OTHER: no origin OTHER (add --origin OTHER)");
    // A binding's name cut short, or misspelt, is named (from a walk of the deployment guide).
    const short = await initFails([
      ...QA,
      "--config",
      config,
      "--origin",
      "PAYMENTS_API",
      "--vpc-service",
      "PAYMENTS=d3b1a7e2-6c4f-4a19-8e52-7f0c9b3d1a64",
    ]);
    expect(short.message).toBe(
      "--vpc-service PAYMENTS: no origin PAYMENTS (did you mean PAYMENTS_API? or add --origin PAYMENTS)",
    );
    expect(existsSync(join(root, "policy/qa.yaml"))).toBe(false);
  });
});

describe("toml-document: what the in-place editor reads", () => {
  it("finds each key's whole value: arrays over lines, brackets and # in strings, multi-line strings", () => {
    const lines = [
      'a = "x # not a comment [" # a comment',
      "b = [",
      "  1, # one",
      '  "]",',
      "] # after",
      'c = """',
      "line ] # still the string",
      '"""',
      "[t]",
      "d = 'lit'",
      "[[arr]]",
      'e."f g" = true',
    ];
    const tables = scanToml(lines);
    expect(tables.map((t) => [t.path, t.array, t.header])).toEqual([
      [[], false, -1],
      [["t"], false, 8],
      [["arr"], true, 10],
    ]);
    const [a, b, c] = tables[0]!.keys;
    expect([a!.value, a!.comment, a!.first, a!.last]).toEqual(['"x # not a comment ["', " # a comment", 0, 0]);
    expect([b!.first, b!.last, b!.comment]).toEqual([1, 4, " # after"]);
    expect([c!.first, c!.last]).toEqual([5, 7]);
    expect(tables[1]!.keys[0]!.value).toBe("'lit'");
    expect(tables[2]!.keys[0]!.key).toEqual(["e", "f g"]);
    expect(stringValue('"a\\"b"')).toBe('a"b');
    expect(stringValue("'a'")).toBe("a");
    expect(stringValue("[1]")).toBeUndefined();
  });
});
