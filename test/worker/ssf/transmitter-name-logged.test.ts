// A push to an unknown transmitter's address, which anyone may make: the name comes decoded from the URL, and is
// logged as written only in a transmitter name's form, percent-encoded otherwise (a line break in a logged value
// reads as a row of its own to a log reader).
import { afterEach, beforeAll, expect, inject, it, vi } from "vitest";
import { activate } from "../support/harness.ts";
import { push } from "../support/transmitter.ts";
import { ssfPolicy } from "./policy.ts";

const transmitter = inject("transmitterPrivateJwk");
const { d: _private, ...publicJwk } = transmitter;
beforeAll(async () => {
  await activate(ssfPolicy({ ...publicJwk, use: "sig" }));
});
afterEach(() => vi.restoreAllMocks());

it("logs a client-chosen transmitter name percent-encoded, and a name of the policy's form as written", async () => {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
  vi.spyOn(console, "error").mockImplementation((l: string) => void lines.push(l));
  const name = encodeURIComponent("\n2026-12-01T10:00:00Z  okta  account-enabled  applied\n");
  const res = await push("x.y.z", { transmitter: name });
  vi.restoreAllMocks();
  const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "ssf-event");
  expect(res.status).toBe(400);
  expect(logged).toHaveLength(1);
  expect(logged[0].transmitter).toBe(name);
  expect(logged[0].transmitter).not.toMatch(/[\n\r]/);
  lines.length = 0;
  vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
  vi.spyOn(console, "error").mockImplementation((l: string) => void lines.push(l));
  await push("x.y.z", { transmitter: "no-such-transmitter" });
  vi.restoreAllMocks();
  const plain = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "ssf-event");
  expect(plain[0].transmitter).toBe("no-such-transmitter");
});

it("logs a name cut inside a character (a pair split at 64 units) as a refusal, not an internal error", async () => {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
  vi.spyOn(console, "error").mockImplementation((l: string) => void lines.push(l));
  // Cut to 64 UTF-16 units, the name ends in half of the emoji: a lone surrogate encodeURIComponent refuses.
  const res = await push("x.y.z", { transmitter: encodeURIComponent(`${"a".repeat(63)}\u{1F600}`) });
  vi.restoreAllMocks();
  const logged = lines.map((l) => JSON.parse(l));
  expect(res.status).toBe(400);
  expect(logged.filter((l) => l.event === "ssf-event")).toMatchObject([{ outcome: "refused" }]);
  expect(logged.filter((l) => l.level === "error")).toEqual([]);
});
