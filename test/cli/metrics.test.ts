// `ward metrics` on hand-written decision logs (wrapped lines, foreign events, text, an old-format line):
// exact figures, the baseline rules, the time filter and the errors.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError } from "../../scripts/cli-error.ts";
import { metricsCommand } from "../../scripts/commands/metrics.ts";

const LOGS = resolve(import.meta.dirname, "../fixtures/logs");
const LOG = `${LOGS}/decisions.jsonl`;

async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  try {
    const status = await metricsCommand(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { status, out: out.join("\n"), err: "" };
  } catch (error) {
    if (error instanceof CliError) return { status: error.exitCode, out: out.join("\n"), err: error.message };
    throw error;
  }
}

describe("ward metrics", () => {
  it("reports every figure from the log, with the first half of the window as the baseline", async () => {
    const r = await run(LOG, "--now", "2026-11-23T12:00:00Z");
    expect(r.out).toBe(`window 2026-11-23T10:00:00.000Z .. 2026-11-23T10:10:00.000Z
decisions 11: allowed 6, denied 5, audit would-deny 1; lines skipped 2

denied attempts by identity (unauthenticated 401s: 1, not listed):
  2  workload:spiffe://td/ns/shop/sa/checkout
  1  token:ci.access
  1  user:old@example.com
denied attempts by target:
  2  orders/admin
  1  api.example.com/x (no route)
  1  wiki/read

exceptions used:
  exc-7  2 uses  age 1.1d, 22h left  (2026-11-23T10:05:00.000Z .. 2026-11-23T10:10:00.000Z)

credential lifetimes seen (as issued):
  access-jwt  median 8h, max 1d  (7 requests)
  client-certificate  median 90d, max 90d  (2 requests)

new call paths (identity -> route, allowed; baseline: first half of the window):
  2  user:ann@example.com -> wiki/edit
  1  user:bob@example.com -> wiki/read
  1  user:eve@example.com -> grafana/ui`);
    expect(r.status).toBe(0);
  });

  it("takes a baseline log: paths it has are not new, and the whole window is compared", async () => {
    const r = await run(LOG, "--baseline", `${LOGS}/baseline.jsonl`, "--format", "json");
    const m = JSON.parse(r.out) as { newCallPaths: { baseline: string; paths: { key: string; count: number }[] } };
    expect(m.newCallPaths).toEqual({
      baseline: "file",
      paths: [
        { key: "user:ann@example.com -> wiki/edit", count: 2 },
        { key: "user:eve@example.com -> grafana/ui", count: 1 },
      ],
    });
  });

  it("keeps only decisions inside --since/--until (lines without a time drop out), and ages from the latest time", async () => {
    const r = await run(LOG, "--since", "2026-11-23T10:02:00Z", "--until", "2026-11-23T10:06:00Z", "--format", "json");
    const m = JSON.parse(r.out) as { window: unknown; totals: unknown; exceptions: { ageSeconds: number; secondsLeft: number }[]; denied: { byIdentity: unknown } };
    expect(m.window).toEqual({ from: "2026-11-23T10:02:00.000Z", to: "2026-11-23T10:05:00.000Z", now: "2026-11-23T10:05:00.000Z" });
    expect(m.totals).toEqual({ decisions: 4, allowed: 1, denied: 3, auditWouldDeny: 0, linesSkipped: 2 });
    expect(m.exceptions[0]).toMatchObject({ ageSeconds: 24 * 3600 + 300, secondsLeft: 24 * 3600 - 300 });
    expect(m.denied.byIdentity).toEqual([
      { key: "workload:spiffe://td/ns/shop/sa/checkout", count: 2 },
      { key: "token:ci.access", count: 1 },
    ]);
  });

  it("--top limits every list", async () => {
    const r = await run(LOG, "--top", "1", "--format", "json");
    const m = JSON.parse(r.out) as { denied: { byIdentity: unknown[]; byTarget: unknown[] }; newCallPaths: { paths: unknown[] } };
    expect([m.denied.byIdentity.length, m.denied.byTarget.length, m.newCallPaths.paths.length]).toEqual([1, 1, 1]);
  });

  it.each<[string, string[], number, string]>([
    ["a missing log", [`${LOGS}/missing.jsonl`], 1, `cannot read ${LOGS}/missing.jsonl: ENOENT`],
    ["no log", [], 2, "name at least one decision log"],
    ["a bad time", [LOG, "--since", "yesterday"], 2, "--since yesterday: expected an ISO 8601 instant"],
    ["a bad --top", [LOG, "--top", "0"], 2, "--top 0: expected a positive whole number"],
  ])("%s: exit %i with a clear message", async (_name, args, status, message) => {
    const r = await run(...args);
    expect(r.err).toContain(message);
    expect(r.status).toBe(status);
  });
});
