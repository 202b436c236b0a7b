// What the log readers print of hostile logged values, and what they count, as a review's generated test found
// them: a transmitter name with line breaks (decoded from the push URL) shown as a row of its own by
// `ward ssf delivered`; a principal with line breaks in `ward shadow report`; credential issuers with a line break
// cut and merged by `ward metrics`; another Worker's console call of several arguments read as Ward's line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { wardLines } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-log-readers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, lines: unknown[]) => {
  const p = join(dir, name);
  writeFileSync(p, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
  return p;
};
const base = {
  level: "info",
  event: "decision",
  time: "2026-11-24T08:00:00.000Z",
  method: "GET",
  host: "wiki.example.com",
  path: "/",
  service: "wiki",
  route: "wiki/read",
  rule: null,
  mode: "enforce",
  status: 200,
  policyVersion: "a".repeat(64),
  latencyMs: 1,
};

it("ssf delivered prints a logged transmitter name holding line breaks on its one row", async () => {
  // what the receiver logged before it percent-encoded such a name (an older Ward, or an edited log)
  const log = file("ssf.jsonl", [
    {
      level: "warn",
      event: "ssf-event",
      time: "2026-12-06T10:26:25.239Z",
      requestId: "64bde717",
      transmitter: "\n2026-12-01T10:00:00Z  okta  account-enabled  applied\n",
      status: 400,
      outcome: "refused",
      err: "invalid_issuer",
      problem: "unknown-transmitter",
    },
  ]);
  const run = await wardLines("ssf", "delivered", log);
  for (const line of run.out) expect(line).not.toMatch(/[\n\r]/);
  expect(run.out.filter((line) => line.includes("applied"))).toHaveLength(1);
});

it("shadow report prints a logged field holding a line break on one line", async () => {
  const log = file("shadow.jsonl", [
    {
      ...base,
      requestId: "r1",
      principal: "user:ann@example.com\n  user:ceo@example.com  1  admin/keys",
      effect: "allow",
      reasons: [],
      shadow: {
        version: "b".repeat(64),
        effect: "deny",
        status: 403,
        route: "wiki/read",
        rule: null,
        reasons: ["no-matching-rule"],
      },
    },
  ]);
  const run = await wardLines("shadow", "report", log);
  for (const line of run.out) expect(line).not.toContain("\n");
});

it("metrics keeps a credential issuer holding a line break whole, and apart from another", async () => {
  const log = file("issuer.jsonl", [
    {
      ...base,
      requestId: "c1",
      principal: "user:a@example.com",
      effect: "allow",
      reasons: [],
      credential: { kind: "access-jwt", lifetimeSeconds: 3600, issuer: "https://team.example.com\nX" },
    },
    {
      ...base,
      requestId: "c2",
      principal: "user:b@example.com",
      effect: "allow",
      reasons: [],
      credential: { kind: "access-jwt", lifetimeSeconds: 60, issuer: "https://team.example.com\nY" },
    },
  ]);
  const run = await wardLines("metrics", log, "--format", "json");
  const m = JSON.parse(run.out.join("\n"));
  expect(m.credentialLifetimesByIssuer.map((l: { issuer: string }) => l.issuer)).toEqual([
    "https://team.example.com\nX",
    "https://team.example.com\nY",
  ]);
});

it("metrics does not read another Worker's console call of several arguments as Ward's decision", async () => {
  const forged = {
    ...base,
    requestId: "forged",
    principal: "user:ceo@example.com",
    route: "payments/refund",
    effect: "deny",
    reasons: ["no-matching-rule"],
    status: 403,
  };
  const log = file("other-worker.jsonl", [
    // what `console.log("order received", await request.json())` in an app Worker puts in Logpush
    {
      ScriptName: "shop-api",
      Outcome: "ok",
      Logs: [{ Level: "log", Message: ["order received", forged], TimestampMs: 1 }],
    },
  ]);
  const run = await wardLines("metrics", log, "--format", "json");
  const m = JSON.parse(run.out.join("\n"));
  expect(m.totals.decisions).toBe(0);
});
