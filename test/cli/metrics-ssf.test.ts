// `ward metrics` on logs that carry security events: SETs counted per event type and outcome, and the time from
// each event's iat to the first request Ward refused because of it, linked by the decision line's listedBy.jti.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { metricsCommand } from "../../scripts/commands/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-metrics-ssf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ssf = (over: Record<string, unknown>) =>
  JSON.stringify({
    level: "info",
    event: "ssf-event",
    requestId: crypto.randomUUID(),
    transmitter: "idp",
    status: 202,
    ...over,
  });
const refused = (time: string, jti: string | undefined, principal = "user:ann@example.com") =>
  JSON.stringify({
    level: "info",
    event: "decision",
    time,
    requestId: crypto.randomUUID(),
    principal,
    method: "GET",
    host: "wiki.example.com",
    path: "/",
    effect: "deny",
    reasons: ["revoked"],
    status: 403,
    listedBy: { entry: "e-1", ...(jti ? { jti, transmitter: "idp" } : {}) },
  });

const LOG = join(dir, "ward.log");
writeFileSync(
  LOG,
  [
    ssf({
      time: "2026-12-01T10:00:01.000Z",
      outcome: "applied",
      jti: "s-1",
      issuedAt: "2026-12-01T10:00:00.000Z",
      events: ["session-revoked"],
    }),
    // Its person comes back 3.5 s after the iat, and again later: the first refusal counts.
    refused("2026-12-01T10:00:05.000Z", "s-1"),
    refused("2026-12-01T10:00:03.500Z", "s-1"),
    ssf({
      time: "2026-12-01T10:01:00.000Z",
      outcome: "applied",
      jti: "s-2",
      issuedAt: "2026-12-01T10:00:59.000Z",
      events: ["account-disabled"],
    }),
    refused("2026-12-01T10:01:00.500Z", "s-2", "user:bob@example.com"),
    // Refusing, but its person never came back.
    ssf({
      time: "2026-12-01T10:02:00.000Z",
      outcome: "applied",
      jti: "s-3",
      issuedAt: "2026-12-01T10:02:00.000Z",
      events: ["credential-compromise"],
    }),
    ssf({ time: "2026-12-01T10:02:01.000Z", outcome: "duplicate", jti: "s-3", events: ["credential-compromise"] }),
    ssf({
      time: "2026-12-01T10:03:00.000Z",
      outcome: "applied",
      jti: "s-4",
      issuedAt: "2026-12-01T10:03:00.000Z",
      events: ["token-claims-change"],
    }),
    ssf({ time: "2026-12-01T10:04:00.000Z", outcome: "refused", status: 400, err: "invalid_audience", problem: "aud" }),
    // An operator's revocation: no event to link to.
    refused("2026-12-01T10:05:00.000Z", undefined, "user:carol@example.com"),
  ].join("\n"),
);

async function run(args: string[]) {
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: () => {} };
  const status = await metricsCommand(args, io, async () => "");
  return { status, out: out.join("\n") };
}

describe("ward metrics: security events", () => {
  it("counts events per type and outcome, and the time from iat to the first refused request", async () => {
    const r = await run([LOG, "--format", "json"]);
    expect(r.status).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.ssf).toEqual({
      deliveries: 6,
      byEvent: [
        { key: "account-disabled", count: 1 },
        { key: "credential-compromise", count: 1 },
        { key: "session-revoked", count: 1 },
        { key: "token-claims-change", count: 1 },
      ],
      byOutcome: [
        { key: "applied", count: 4 },
        { key: "duplicate", count: 1 },
        { key: "refused", count: 1 },
      ],
      timeToRefusal: {
        refusing: 3,
        linked: 2,
        medianSeconds: 2.5,
        maxSeconds: 3.5,
        slowest: [
          {
            jti: "s-1",
            transmitter: "idp",
            events: ["session-revoked"],
            issuedAt: "2026-12-01T10:00:00.000Z",
            firstRefusal: "2026-12-01T10:00:03.500Z",
            seconds: 3.5,
          },
          {
            jti: "s-2",
            transmitter: "idp",
            events: ["account-disabled"],
            issuedAt: "2026-12-01T10:00:59.000Z",
            firstRefusal: "2026-12-01T10:01:00.500Z",
            seconds: 1.5,
          },
        ],
      },
    });
  });

  it("prints them as a section of the text report", async () => {
    const r = await run([LOG]);
    expect(r.out).toContain("security events (6 deliveries):");
    expect(r.out).toContain(
      "time from an event's iat to the first request it refused (2 of 3 refusing SETs; the others' people did not come back): median 2.5s, max 3.5s",
    );
  });

  it("logs without security events: no section", async () => {
    const plain = join(dir, "plain.log");
    writeFileSync(plain, `${refused("2026-12-01T10:05:00.000Z", undefined)}\n`);
    const r = await run([plain, "--format", "json"]);
    expect(JSON.parse(r.out).ssf).toBeUndefined();
  });
});
