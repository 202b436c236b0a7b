// The grant and revocation commands read instants as every other command does (scripts/instant.ts): a date-time
// without an offset would be read in the laptop's time zone (at UTC+9 a revocation "--until 2030-01-01T12:00"
// would end at 03:00Z, nine hours early), so it is refused, and nothing is sent.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines } from "../support/ward-cli.ts";

const sent: { path: string; body: any }[] = [];
const previousTz = process.env.TZ;

// A stand-in for the `ward dev` gateway: its local sign-in and the admin endpoints these commands call.
const gateway = standInGateway({
  "GET /policy": { environment: "dev", active: "a".repeat(64), shadow: null, history: [] },
  "POST /revocations": ({ url, body: text }) => {
    const body = JSON.parse(text);
    sent.push({ path: url, body });
    return {
      status: 201,
      json: {
        entry: {
          id: "rev-1",
          kind: "revocation",
          match: body.match,
          value: body.value,
          reason: body.reason,
          createdAt: Date.now(),
          createdBy: "user:admin@example.com",
          expiresAt: body.until ? Date.parse(body.until) : null,
          releasedAt: null,
          releasedBy: null,
        },
      },
    };
  },
  "POST /exceptions": ({ url, body: text }) => {
    const body = JSON.parse(text);
    sent.push({ path: url, body });
    return {
      status: 201,
      json: {
        grant: {
          ...body,
          id: "exc-1",
          kind: "exception",
          status: "active",
          uses: 0,
          createdBy: "user:admin@example.com",
          notBefore: Date.parse(body.notBefore ?? new Date().toISOString()),
          notAfter: Date.parse(body.notAfter),
        },
      },
    };
  },
});

afterAll(() => {
  if (previousTz === undefined) delete process.env.TZ;
  else process.env.TZ = previousTz;
});

beforeEach(() => {
  sent.length = 0;
});

describe("instants without an offset on the grant and revocation commands", () => {
  const revoke = (until: string) =>
    wardLines(
      "revoke",
      "--local",
      "--port",
      gateway.port,
      "--email",
      "ann@example.com",
      "--reason",
      "laptop stolen",
      "--until",
      until,
    );
  const grant = (...when: string[]) =>
    wardLines(
      "exceptions",
      "grant",
      "--local",
      "--port",
      gateway.port,
      "--service",
      "orders",
      "--principal",
      "spiffe://prod.example.com/ns/shop/sa/checkout",
      ...when,
      "--reason",
      "receipts",
      "--ticket",
      "SHOP-7",
      "--requested-by",
      "checkout-team@example.com",
      "--approved-by",
      "orders-team@example.com",
    );

  it("ward revoke --until without an offset is refused on a UTC+9 machine, and nothing is sent", async () => {
    process.env.TZ = "Asia/Tokyo";
    const run = await revoke("2030-01-01T12:00");
    expect(run.status).toBe(2);
    expect(run.err.join("\n")).toContain("--until 2030-01-01T12:00: give the offset (Z for UTC, or +01:00)");
    expect(sent).toEqual([]);
    expect((await revoke("2030-01-01T12:00Z")).status).toBe(0);
    expect(sent.map((s) => s.body.until)).toEqual(["2030-01-01T12:00:00.000Z"]);
  });

  it("ward exceptions grant --until and --not-before without an offset are refused on a UTC-5 machine", async () => {
    process.env.TZ = "America/New_York";
    for (const when of [
      ["--until", "2030-01-01T12:00"],
      ["--until", "2030-01-01T12:00Z", "--not-before", "2030-01-01T08:00"],
    ]) {
      const run = await grant(...when);
      expect(run.status, run.output).toBe(2);
      expect(run.err.join("\n")).toContain("give the offset (Z for UTC, or +01:00)");
    }
    expect(sent).toEqual([]);
    expect((await grant("--until", "2030-01-01T12:00Z", "--not-before", "2030-01-01T08:00+01:00")).status).toBe(0);
    expect(sent.map((s) => [s.body.notBefore, s.body.notAfter])).toEqual([
      ["2030-01-01T07:00:00.000Z", "2030-01-01T12:00:00.000Z"],
    ]);
  });

  it("ward exceptions grant --for counts from --not-before, not from now", async () => {
    expect((await grant("--for", "3d", "--not-before", "2030-01-01T08:00Z")).status).toBe(0);
    expect(sent.map((s) => [s.body.notBefore, s.body.notAfter])).toEqual([
      ["2030-01-01T08:00:00.000Z", "2030-01-04T08:00:00.000Z"],
    ]);
  });
});
