// A command refuses an argument it has no place for (exit 2), rather than acting on the rest: `ward validate a.yaml
// b.yaml` would otherwise report a.yaml clean and never read b.yaml, and a quoting slip in `ward exceptions grant`
// would grant without the words that fell out of their flag. Nothing is read or sent before the refusal. A
// --for past any date is told as such too.
import { describe, expect, it } from "vitest";
import { wardLines } from "../support/ward-cli.ts";

const DEMO = "policy/examples/demo.yaml";
// Port 9 (discard) on 127.0.0.1: nothing answers there, so a command that went on would fail otherwise.
const NOWHERE = ["--local", "--port", "9"];

describe("arguments a command has no place for", () => {
  it.each([
    ["validate", DEMO, "policy/examples/grafana-sre.yaml"],
    ["explain", DEMO, "--as", "email:ann@example.com", "GET", "https://wiki.localhost/", "extra"],
    ["exceptions", "list", ...NOWHERE, "payments"],
    ["exceptions", "revoke", "payments/exc-1", "exc-2", ...NOWHERE],
    [
      "exceptions",
      "grant",
      ...NOWHERE,
      "--service",
      "payments",
      "--principal",
      "email:ann@example.com",
      "--for",
      "1h",
      "--reason",
      "incident",
      "4711",
    ],
  ])("ward %s ... is refused as usage", async (...args) => {
    const run = await wardLines(...args);
    expect(run.status, run.output).toBe(2);
    expect(run.out).toEqual([]);
    expect(run.err[0]).toMatch(/^ward \w+: (unexpected \S+|expected FILE METHOD URL)/);
  });

  it("still takes what each command has a place for", async () => {
    const run = await wardLines("validate", DEMO);
    expect(run.status, run.output).toBe(0);
  });

  it("says a --for past any date is too long, rather than failing with a RangeError", async () => {
    const run = await wardLines(
      "exceptions",
      "grant",
      ...NOWHERE,
      "--service",
      "payments",
      "--principal",
      "ann@example.com",
      "--for",
      "99999999999999999d",
      "--reason",
      "incident",
      "--ticket",
      "T-1",
      "--requested-by",
      "ann",
      "--approved-by",
      "bob",
    );
    expect(run.status, run.output).toBe(2);
    expect(run.err[0]).toMatch(/^ward exceptions: --for 99999999999999999d: longer than any grant may be/);
  });

  it("says so for ward revoke too (from a review: it threw a RangeError)", async () => {
    const run = await wardLines(
      "revoke",
      ...NOWHERE,
      "--email",
      "ann@example.com",
      "--reason",
      "incident",
      "--for",
      "99999999999999999d",
    );
    expect(run.status, run.output).toBe(2);
    expect(run.err[0]).toMatch(/^ward revoke: --for 99999999999999999d: longer than any revocation may be/);
  });
});
