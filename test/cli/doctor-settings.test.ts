// ward doctor says where a numeric var is not read as written (scripts/doctor/settings.ts): the Worker reads a
// value it cannot use as the default, and one past a bound as the bound, silently. `WEBSOCKET_CHECK_SECONDS = "0"`
// meant something; the Worker checks every 2 s. STRIP_HEADERS that is no list of names refuses every forward.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { doctorCommand } from "../../scripts/commands/doctor.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "ward-doctor-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function doctorWith(vars: string): Promise<{ status: number; out: string }> {
  const toml = readFileSync(join(ROOT, "test/fixtures/wrangler/good.toml"), "utf8");
  const from = 'ASSERTION_ISSUER = "ward-staging"';
  expect(toml).toContain(from);
  const config = join(dir, `${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(config, toml.replace(from, `${from}\n${vars}`));
  const out: string[] = [];
  const status = await doctorCommand(
    ["--env", "staging", "--config", config, "--secrets", "ASSERTION_SIGNING_KEYS,NOTIFY_WEBHOOK", "--offline"],
    { out: (l) => out.push(l), err: (l) => out.push(l) },
  );
  return { status, out: out.join("\n") };
}

describe("ward doctor and numeric vars", () => {
  it("warns of each value read otherwise, and says what it is read as", { timeout: 30_000 }, async () => {
    const run = await doctorWith(
      [
        'WEBSOCKET_CHECK_SECONDS = "0"',
        'ORIGIN_TIMEOUT_MS = "30s"',
        "GRANTS_REFRESH_SECONDS = 60",
        'WEBSOCKET_IDLE_SECONDS = ""',
        'DENYLIST_REFRESH_SECONDS = "0"',
        "WEBSOCKET_MAX_MESSAGE_BYTES = 4096",
      ].join("\n"),
    );
    const warnings = run.out.split("\n").filter((l) => l.startsWith("warning[setting-read-otherwise]"));
    expect(warnings, run.out).toHaveLength(4);
    // Past the bound: a denylist copy counts for a minute, so its refresh is at most 30 s.
    const denylist = await doctorWith('DENYLIST_REFRESH_SECONDS = "300"');
    expect(denylist.out).toContain(
      'DENYLIST_REFRESH_SECONDS = "300" is read as 30 s: the Worker takes a number from 0 to 30 (s)',
    );
    expect(run.out).toContain(
      'WEBSOCKET_CHECK_SECONDS = "0" is read as 2 s (the default): the Worker takes a number from 0.05 to 60 (s)',
    );
    expect(run.out).toContain('ORIGIN_TIMEOUT_MS = "30s" is read as 30000 ms (the default)');
    expect(run.out).toContain("GRANTS_REFRESH_SECONDS = 60 is read as 15 s");
    expect(run.out).toContain('WEBSOCKET_IDLE_SECONDS = "" is read as unset');
    // 0 is a refresh interval's value (re-read on every request), and 4096 a limit as written.
    expect(run.out).not.toContain("DENYLIST_REFRESH_SECONDS =");
    expect(run.out).not.toContain("WEBSOCKET_MAX_MESSAGE_BYTES =");
  });

  it("errs on a STRIP_HEADERS that is no list of names, and takes an array of them", { timeout: 30_000 }, async () => {
    const run = await doctorWith("STRIP_HEADERS = 5");
    expect(run.out).toContain("error[setting-unusable]");
    expect(run.out).toContain("STRIP_HEADERS = 5 is no list of header names");
    const array = await doctorWith('STRIP_HEADERS = ["referer", "x-debug"]');
    expect(array.out).not.toContain("setting-unusable");
  });

  it("says nothing of the shipped configuration's values", { timeout: 30_000 }, async () => {
    const run = await doctorWith('WEBSOCKET_CHECK_SECONDS = "0.5"\nORIGIN_TIMEOUT_MS = 5000');
    expect(run.out).not.toContain("setting-read-otherwise");
  });
});
