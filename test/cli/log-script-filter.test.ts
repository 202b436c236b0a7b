// `--script NAME` on the log readers (scripts/logs/script-flag.ts): an export of the whole account holds other
// Workers' lines too, and a Worker that logs what a client sent as its one argument writes a line the readers
// cannot tell from Ward's. With the flag only what an export says Ward's Worker wrote is read: Logpush's
// `ScriptName`, a Tail Worker's (or `wrangler tail`'s) `scriptName`, Workers Logs' `$workers.scriptName`.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDecisionLog, websocketClosesIn } from "../../scripts/logs/parse.ts";
import { ssfEventLines } from "../../scripts/ssf/delivered.ts";
import { wardText } from "../support/ward-cli.ts";

const VERSION = "b".repeat(64);
function decision(requestId: string, principal: string, effect: "allow" | "deny") {
  return {
    level: "info",
    event: "decision",
    time: "2026-11-24T08:00:00.000Z",
    requestId,
    principal,
    method: "GET",
    host: "wiki.example.com",
    path: "/",
    service: "wiki",
    route: "wiki/read",
    rule: "wiki/read/r",
    effect,
    mode: "enforce",
    reasons: effect === "deny" ? ["no-matching-rule"] : [],
    wouldDeny: null,
    status: effect === "deny" ? 403 : 200,
    policyVersion: VERSION,
    latencyMs: 2,
    credential: null,
    exception: null,
  };
}
const ssfLine = (requestId: string) => ({
  level: "info",
  event: "ssf-event",
  time: "2026-11-24T08:00:00.000Z",
  requestId,
  transmitter: "idp",
  status: 202,
  outcome: "applied",
  jti: `j-${requestId}`,
  events: ["session-revoked"],
  facts: [],
});
const closeLine = (requestId: string) => ({
  level: "info",
  event: "websocket-closed",
  time: "2026-11-24T08:00:00.000Z",
  requestId,
  principal: "user:carol@example.com",
  service: "wiki",
  route: "wiki/read",
  cause: "revoked",
  code: 4403,
  durationMs: 5,
  messagesFromClient: 0,
  messagesFromOrigin: 0,
});
const arg = (line: object) => [JSON.stringify(line)];

/** One export of the account: Ward's lines and the shop Worker's, which logged a client's note as its argument. */
const mixed = [
  {
    ScriptName: "ward",
    Outcome: "ok",
    Logs: [{ Level: "log", Message: arg(decision("ward-1", "user:carol@example.com", "allow")) }],
  },
  {
    ScriptName: "shop",
    Outcome: "ok",
    Logs: [{ Level: "log", Message: arg(decision("shop-1", "user:ceo@example.com", "deny")) }],
  },
  {
    scriptName: "ward",
    outcome: "ok",
    event: { request: {} },
    logs: [{ level: "log", message: arg(decision("ward-2", "user:carol@example.com", "allow")) }],
  },
  {
    scriptName: "shop",
    outcome: "ok",
    event: { request: {} },
    logs: [{ level: "log", message: arg(decision("shop-2", "user:ceo@example.com", "deny")) }],
  },
  { source: decision("ward-3", "user:carol@example.com", "allow"), $workers: { scriptName: "ward" }, $metadata: {} },
  { source: decision("shop-3", "user:ceo@example.com", "deny"), $workers: { scriptName: "shop" }, $metadata: {} },
  { $metadata: { service: "ward", message: JSON.stringify(decision("ward-4", "user:carol@example.com", "allow")) } },
  // A bare line names no Worker: read without the flag, never with it.
  decision("bare-1", "user:ceo@example.com", "deny"),
  // A wrapper that names no Worker, and one whose name is no string.
  { logs: [{ message: arg(decision("unnamed-1", "user:ceo@example.com", "deny")) }] },
  { ScriptName: ["ward"], Logs: [{ Message: arg(decision("odd-1", "user:ceo@example.com", "deny")) }] },
  { ScriptName: "ward", Logs: [{ Message: arg(ssfLine("ssf-ward")) }, { Message: arg(closeLine("ward-1")) }] },
  { ScriptName: "shop", Logs: [{ Message: arg(ssfLine("ssf-shop")) }, { Message: arg(closeLine("shop-1")) }] },
]
  .map((l) => JSON.stringify(l))
  .join("\n");

const ids = (text: string, script?: string) => parseDecisionLog(text, script).records.map((r) => r.requestId);

describe("log readers with --script", () => {
  it("read only the lines an export says Ward's Worker wrote", () => {
    expect(ids(mixed, "ward")).toEqual(["ward-1", "ward-2", "ward-3", "ward-4"]);
    expect(ssfEventLines([mixed], "ward").map((l) => l.requestId)).toEqual(["ssf-ward"]);
    expect(websocketClosesIn(mixed, "ward").map((l) => l.requestId)).toEqual(["ward-1"]);
    // Another name reads that Worker's lines alone.
    expect(ids(mixed, "shop")).toEqual(["shop-1", "shop-2", "shop-3"]);
  });

  it("without it read every Worker's, as before (the reason for the flag)", () => {
    expect(ids(mixed)).toEqual(
      expect.arrayContaining(["ward-1", "shop-1", "shop-2", "shop-3", "bare-1", "unnamed-1", "odd-1"]),
    );
  });

  it("in ward metrics, ward why, ward shadow report and ward ssf delivered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ward-script-"));
    const log = join(dir, "export.jsonl");
    writeFileSync(log, `${mixed}\n`);

    const metrics = JSON.parse((await wardText("metrics", log, "--script", "ward", "--format", "json")).out);
    expect(metrics.totals).toMatchObject({ decisions: 4, denied: 0 });
    const all = JSON.parse((await wardText("metrics", log, "--format", "json")).out);
    expect(all.totals.denied).toBeGreaterThan(0);

    const why = await wardText("why", "shop-1", log, "--script", "ward");
    expect(why.status).toBe(1);
    expect(why.err).toContain("no decision with request id shop-1");
    expect((await wardText("why", "ward-1", log, "--script", "ward")).status).toBe(0);

    const delivered = await wardText("ssf", "delivered", log, "--script", "ward");
    expect(delivered.out).toContain("idp");
    expect(delivered.out).not.toContain("j-ssf-shop");
    expect(delivered.out).toContain("j-ssf-ward");

    const shadow = await wardText("shadow", "report", log, "--script", "shop", "--format", "json");
    expect(shadow.status).toBe(0);
    expect(JSON.stringify(JSON.parse(shadow.out))).not.toContain("carol");
  });

  it("refuse a name no Worker can have, before reading anything", async () => {
    for (const name of ["", "ward prod", "ward\n", "wärd", "a".repeat(256)]) {
      const run = await wardText("metrics", "/nonexistent.jsonl", "--script", name);
      expect(run.status, name).toBe(2);
      expect(run.err).toContain("--script");
    }
  });
});
