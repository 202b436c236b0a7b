// `ward push|rollback|history --local` against a real local gateway (workerd, the PolicyControl Durable
// Object, local KV): the diff before a push, compare-and-set, a concurrent push that loses no version,
// rollback, and the errors that leave the active policy as it was.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { startLocalGateway, type LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { ADMIN_PATH } from "../../scripts/admin-client.ts";
import { send } from "../support/http-request.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const DEMO = resolve(import.meta.dirname, "../../policy/examples/demo.yaml");
const demo = readFileSync(DEMO, "utf8");
const dir = mkdtempSync(join(tmpdir(), "ward-push-test-"));
let gateway: LocalGateway;
let port: string;

function policyFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The demo policy with another description: a new version. */
const variant = (label: string) =>
  demo.replace("description: Ward local demo", `description: Ward local demo (${label})`);

async function versionOf(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error("invalid");
  return loaded.policy.version;
}

async function activeVersion(): Promise<string> {
  const state = await ward("history", "--local", "--port", port, "--json");
  return (JSON.parse(state.out.join("\n")) as { active: string }).active;
}

beforeAll(async () => {
  const loaded = await loadPolicy(demo);
  if (!loaded.ok) throw new Error("demo invalid");
  gateway = await startLocalGateway({ policy: loaded.policy, policyText: demo, port: 0, origins: {} });
  port = gateway.url.port;
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("ward push --local", () => {
  it("shows who gains access, stops on --dry-run, then activates and records the push", async () => {
    const before = await activeVersion();
    expect(before).toBe(await versionOf(demo));
    const opened = policyFile(
      "opened.yaml",
      demo.replace("principals: [{ emailDomain: example.com }]", "principals: [{ authenticated: true }]"),
    );
    const dry = await ward("push", "--local", "--port", port, opened, "--dry-run");
    // ward diff's status: 4, access widens, so a dry run against the live version can gate CI.
    expect(dry.status).toBe(4);
    expect(dry.out).toContain("  + any-authenticated  wiki/read  GET,HEAD  by wiki/read/employees-read");
    expect(dry.out.at(-1)).toBe("dry run: nothing pushed");
    expect(await activeVersion()).toBe(before);
    const same = await ward("push", "--local", "--port", port, policyFile("same.yaml", variant("same")), "--dry-run");
    expect(same.out.slice(-2)).toEqual(["no access gained: 0 grants lost", "dry run: nothing pushed"]);
    expect(same.status).toBe(0);

    const pushed = await ward("push", "--local", "--port", port, opened, "--message", "open the wiki");
    expect(pushed.err).toEqual([]);
    expect(pushed.status).toBe(0);
    const version = await versionOf(readFileSync(opened, "utf8"));
    expect(pushed.out.at(-1)).toMatch(
      new RegExp(`^pushed: ${version.slice(0, 12)} is active \\(history #\\d+, by user:admin@example.com\\)$`),
    );
    expect(await activeVersion()).toBe(version);
    const history = await ward("history", "--local", "--port", port);
    expect(history.out[1]).toMatch(
      new RegExp(
        `^#\\d+  \\S+  push     ${version.slice(0, 12)} <- ${before.slice(0, 12)}  user:admin@example.com  "open the wiki"$`,
      ),
    );
  });

  it("takes effect: the gateway serves the pushed policy within its refresh interval", async () => {
    const token = (
      await send(Number(port), `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=someone@elsewhere.test`)
    ).body;
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (
        await send(Number(port), `http://wiki.localhost:${port}/page`, {
          headers: { "cf-access-jwt-assertion": token },
        })
      ).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200); // only the pushed policy lets any authenticated caller read the wiki
  });

  it("rolls back to the version before, after showing who loses access, and history shows both", async () => {
    const active = await activeVersion();
    const earlier = await versionOf(demo);
    const wikiRead = "any-authenticated  wiki/read  GET,HEAD  by wiki/read/employees-read";
    const dry = await ward("rollback", "--local", "--port", port, "--dry-run");
    expect(dry.out[0]).toMatch(new RegExp(`active ${active.slice(0, 12)}, rolling back to ${earlier.slice(0, 12)}$`));
    expect(dry.out).toContain(`  - ${wikiRead}`);
    // The active version named any authenticated caller where the earlier one named a domain: that domain's
    // grant comes back, which is a widening as far as ward diff can tell (it does not weigh one against the other).
    expect(dry.out.slice(-2)).toEqual(["access widened: 1 grant gained, 1 lost", "dry run: nothing rolled back"]);
    expect(dry.status).toBe(4);
    expect(await activeVersion()).toBe(active);

    const rolled = await ward("rollback", "--local", "--port", port, "--message", "too open");
    expect(rolled.err).toEqual([]);
    expect(rolled.status).toBe(0);
    expect(rolled.out).toContain(`  - ${wikiRead}`);
    expect(rolled.out.at(-1)).toBe(
      `rolled back: ${earlier.slice(0, 12)} is active again (was ${active.slice(0, 12)}, history #${rolled.out.at(-1)!.match(/#(\d+)/)![1]})`,
    );
    expect(await activeVersion()).toBe(earlier);

    // Rolling forward again re-opens the wiki: a dry run says so with ward diff's status, and changes nothing.
    // By the 12 digits ward history shows (from a walk of the docs: --to took the full hash only).
    const reopen = await ward("rollback", "--local", "--port", port, "--to", active.slice(0, 12), "--dry-run");
    expect(reopen.out).toContain(`  + ${wikiRead}`);
    expect(reopen.status).toBe(4);
    expect(await activeVersion()).toBe(earlier);
    const same = await ward("rollback", "--local", "--port", port, "--to", earlier);
    expect(same.err.join("\n")).toContain(`version ${earlier.slice(0, 12)} is already active: nothing to roll back`);
    expect(same.status).toBe(1);
    const missing = await ward("rollback", "--local", "--port", port, "--to", "ab".repeat(32));
    expect(missing.err.join("\n")).toContain(
      `version ${"ab".repeat(6)} is not stored or does not load: nothing changed`,
    );
    expect(missing.status).toBe(1);
    const unknown = await ward("rollback", "--local", "--port", port, "--to", "abababab");
    expect(unknown.err.join("\n")).toContain("--to abababab: no version of the recent history starts so");
    expect(unknown.status).toBe(1);
    expect(await activeVersion()).toBe(earlier);

    // Going to the version pushed since is rolling forward, and says so; then back again for the tests after.
    const forward = await ward("rollback", "--local", "--port", port, "--to", active.slice(0, 12));
    expect(forward.status).toBe(0);
    expect(forward.out[0]).toMatch(
      new RegExp(`active ${earlier.slice(0, 12)}, rolling forward to ${active.slice(0, 12)}$`),
    );
    expect(forward.out.at(-1)).toMatch(
      new RegExp(
        `^rolled forward: ${active.slice(0, 12)} is active again \\(was ${earlier.slice(0, 12)}, history #\\d+\\)$`,
      ),
    );
    const back = await ward("rollback", "--local", "--port", port, "--to", earlier.slice(0, 12));
    expect(back.out.at(-1)).toMatch(new RegExp(`^rolled back: ${earlier.slice(0, 12)} is active again`));
    expect(await activeVersion()).toBe(earlier);
  });

  it("two concurrent pushes: each either lands after the other or is told, and no version is lost", async () => {
    const start = await activeVersion();
    const texts = [variant("A"), variant("B")];
    const files = texts.map((text, i) => policyFile(`concurrent-${i}.yaml`, text));
    const runs = await Promise.all(
      files.map((file, i) => ward("push", "--local", "--port", port, file, "--message", `push ${i}`)),
    );
    const state = JSON.parse((await ward("history", "--local", "--port", port, "--json")).out.join("\n")) as {
      active: string;
      history: { version: string; previous: string; message: string }[];
    };
    const landed = runs.filter((r) => r.status === 0).length;
    expect(landed).toBeGreaterThanOrEqual(1);
    // The history is one chain: every entry moved from the version the one before it activated.
    const recent = state.history.slice(0, landed).reverse();
    expect(recent[0]!.previous).toBe(start);
    for (let i = 1; i < recent.length; i++) expect(recent[i]!.previous).toBe(recent[i - 1]!.version);
    for (const [i, run] of runs.entries()) {
      const version = await versionOf(texts[i]!);
      if (run.status === 0) {
        expect(state.history.some((e) => e.version === version && e.message === `push ${i}`)).toBe(true);
      } else {
        expect(run.status).toBe(1);
        // Refused by the one writer (stored), or before the store: admitted by a version no longer active.
        expect(run.err.join("\n")).toMatch(
          new RegExp(
            `while you pushed: nothing changed\\. Your version (is stored as ${version.slice(0, 12)}|was not stored)`,
          ),
        );
      }
      // Whatever happened, the file still diffs against the active version.
      const stored = await ward("push", "--local", "--port", port, files[i]!, "--dry-run");
      expect(stored.status).toBe(0);
    }
  });

  it.each<[string, string[], number, string]>([
    [
      "an invalid policy",
      ["push", "--local", "PORT", "FILE:version: 1\nservices: {}\n"],
      1,
      "is not a valid policy: nothing pushed",
    ],
    [
      "a policy for another environment",
      ["push", "--local", "PORT", `FILE:${demo.replace("environment: dev", "environment: staging")}`],
      1,
      'is for environment "staging"; the local gateway on 127.0.0.1:PORTNUM as admin@example.com serves "dev": nothing pushed',
    ],
    [
      "the wrong environment named",
      ["history", "--local", "PORT", "--env", "production"],
      1,
      'serves environment "dev", not "production": nothing done',
    ],
    [
      "a caller who is no admin",
      ["history", "--local", "PORT", "--as", "ann@example.com", "--groups", ""],
      1,
      "refused these credentials (403)",
    ],
    ["no environment", ["history"], 2, "name the environment with --env ENV (or --local"],
    [
      "an environment without a URL",
      ["history", "--env", "production"],
      2,
      "--env production: set WARD_URL (or --url)",
    ],
    [
      "a plain-http URL for an environment",
      ["history", "--env", "production", "--url", "http://ward.example.com"],
      2,
      "a deployed gateway is reached over https only",
    ],
    ["no gateway on the port", ["history", "--local", "--port", "1"], 1, "no local gateway on 127.0.0.1:1"],
  ])("refuses %s and changes nothing", async (_name, args, status, message) => {
    const before = await activeVersion();
    const expanded = args.flatMap((a) =>
      a === "PORT" ? ["--port", port] : a.startsWith("FILE:") ? [policyFile("case.yaml", a.slice(5))] : [a],
    );
    const run = await ward(...expanded);
    expect(run.err.join("\n")).toContain(message.replace("PORTNUM", port));
    expect(run.status).toBe(status);
    expect(await activeVersion()).toBe(before);
  });

  it("prints the bootstrap commands for a new environment's first version, with the content hash", async () => {
    const run = await ward("push", "--env", "dev", DEMO, "--bootstrap");
    const version = await versionOf(demo);
    expect(run.status).toBe(0);
    expect(run.out).toEqual([
      `# the first version of dev: ${version}`,
      "# run once, when the environment has no policy; every later push goes through ward push",
      `npx wrangler kv key put --remote --env dev --binding POLICY "policy:v:${version}" --path ${DEMO}`,
      `npx wrangler kv key put --remote --env dev --binding POLICY policy:active ${version}`,
    ]);
    const wrongEnv = await ward("push", "--env", "production", DEMO, "--bootstrap");
    expect(wrongEnv.status).toBe(1);
    expect(wrongEnv.err.join("\n")).toContain('is for environment "dev", not "production"');
    // From a walk of the deployment guide: the policy ward init wrote, its placeholders still in it, was
    // printed for storing; the operators would have been anonymous to the gateway, and locked out.
    const started = await ward(
      "push",
      "--env",
      "staging",
      resolve(import.meta.dirname, "../../policy/staging.yaml"),
      "--bootstrap",
    );
    expect(started.status).toBe(1);
    expect(started.out).toEqual([]);
    expect(started.err.join("\n")).toContain(
      "still holds placeholders (identity.access.teamDomain, identity.access.audiences[0]",
    );
    expect(started.err.join("\n")).toContain("npm run ward -- doctor --env staging says with what");
  });

  it("runs a candidate in shadow, shows it in history, and promotes it", async () => {
    const active = await activeVersion();
    // A candidate that opens the wiki: promoting it would widen access, and a dry run says so with exit 4.
    const opening = policyFile(
      "opening-candidate.yaml",
      demo.replace("principals: [{ emailDomain: example.com }]", "principals: [{ authenticated: true }]"),
    );
    expect((await ward("shadow", "set", "--local", "--port", port, opening)).status).toBe(0);
    const widening = await ward("shadow", "promote", "--local", "--port", port, "--dry-run");
    expect(widening.out).toContain("  + any-authenticated  wiki/read  GET,HEAD  by wiki/read/employees-read");
    expect(widening.out.at(-1)).toBe("dry run: nothing promoted");
    expect(widening.status).toBe(4);
    expect(await activeVersion()).toBe(active);
    const candidate = policyFile("candidate.yaml", variant("candidate"));
    const set = await ward("shadow", "set", "--local", "--port", port, candidate, "--message", "try it");
    expect(set.status).toBe(0);
    const version = await versionOf(readFileSync(candidate, "utf8"));
    expect(set.out).toEqual([
      `shadow ${version.slice(0, 12)} runs beside active ${active.slice(0, 12)}: every decision now logs what it would decide (ward shadow report)`,
    ]);
    const history = await ward("history", "--local", "--port", port);
    expect(history.out[0]).toContain(`active ${active.slice(0, 12)}, shadow ${version.slice(0, 12)}`);
    expect(await activeVersion()).toBe(active); // a shadow never changes what is enforced
    // --candidate names what was reviewed: another candidate is not promoted unseen.
    const unreviewed = await ward("shadow", "promote", "--local", "--port", port, "--candidate", "deadbeef");
    expect(unreviewed.status).toBe(1);
    expect(unreviewed.err.join("\n")).toContain(
      `the shadow candidate is ${version.slice(0, 12)}, not deadbeef: nothing changed`,
    );
    expect(await activeVersion()).toBe(active);
    // A dry run shows what the promotion changes for every request (here: nothing but the description).
    const dry = await ward("shadow", "promote", "--local", "--port", port, "--dry-run");
    expect(dry.out).toEqual([
      `the local gateway on 127.0.0.1:${port} as admin@example.com: active ${active.slice(0, 12)}, promoting shadow ${version.slice(0, 12)}`,
      "no access gained: 0 grants lost",
      "dry run: nothing promoted",
    ]);
    expect(dry.status).toBe(0);
    expect(await activeVersion()).toBe(active);
    const promoted = await ward("shadow", "promote", "--local", "--port", port, "--candidate", version.slice(0, 12));
    expect(promoted.status).toBe(0);
    expect(promoted.out.at(-1)).toMatch(
      new RegExp(`^promoted: ${version.slice(0, 12)} is active \\(was ${active.slice(0, 12)}, history #\\d+\\)$`),
    );
    expect(await activeVersion()).toBe(version);
    const again = await ward("shadow", "promote", "--local", "--port", port);
    expect(again.status).toBe(1);
    expect(again.err.join("\n")).toContain("has no shadow candidate: nothing to promote");
  });

  it("clears a candidate once: a clear with none set says so and adds nothing to the history", async () => {
    const candidate = policyFile("cleared.yaml", variant("cleared"));
    expect((await ward("shadow", "set", "--local", "--port", port, candidate)).status).toBe(0);
    const cleared = await ward("shadow", "clear", "--local", "--port", port);
    expect(cleared.out).toEqual([`shadow cleared (was ${(await versionOf(variant("cleared"))).slice(0, 12)})`]);
    const history = async () =>
      (JSON.parse((await ward("history", "--local", "--port", port, "--json")).out.join("\n")) as { history: [] })
        .history;
    const before = await history();
    const again = await ward("shadow", "clear", "--local", "--port", port);
    expect(again.out).toEqual(["no shadow candidate: nothing to clear"]);
    expect(again.status).toBe(0);
    expect(await history()).toEqual(before);
  });

  it("pushes a YAML file past 768 KiB in its JSON form: the same version, active, its JSON in history", async () => {
    const before = await activeVersion();
    const large = `${variant("large")}\n# ${"x".repeat(800 * 1024)}\n`;
    const file = policyFile("large.yaml", large);
    const pushed = await ward("push", "--local", "--port", port, file, "--message", "a large policy");
    expect(pushed.err).toEqual([]);
    expect(pushed.status).toBe(0);
    expect(pushed.out.join("\n")).toContain(
      "over the 768 KiB the gateway parses as YAML: the gateway is given its JSON form",
    );
    const version = await versionOf(large);
    expect(await activeVersion()).toBe(version);
    expect(version).not.toBe(before);
    const stored = await send(Number(port), `http://ward.localhost:${port}${ADMIN_PATH}/policy/versions/${version}`, {
      headers: {
        "cf-access-jwt-assertion": (
          await send(Number(port), `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=admin@example.com`)
        ).body,
      },
    });
    expect(stored.body.startsWith("{")).toBe(true);
    expect(stored.body).not.toContain("xxxxxxxx");
  });

  it("answers the admin API only to admins, on hosts no service names, and on no service's host", async () => {
    const anonymous = await send(Number(port), `http://ward.localhost:${port}${ADMIN_PATH}/policy`);
    expect(anonymous.status).toBe(401);
    const onWiki = await send(Number(port), `http://wiki.localhost:${port}${ADMIN_PATH}/policy`);
    expect(onWiki.status).toBe(404);
  });
});
