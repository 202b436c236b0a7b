// A cold isolate hit by a burst: every request answers, and the policy is read and compiled for the isolate,
// not once per waiting request (a 1,000-route policy takes ~100 ms of CPU to compile, all on one thread).
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, expect, it, vi } from "vitest";
import demoPolicy from "../../policy/examples/demo.yaml?raw";
import { resetPolicyCache } from "../../worker/policy-store.ts";
import { activate, marker, originSaw } from "./harness.ts";

let version: string;
beforeAll(async () => {
  version = await activate(demoPolicy);
});

afterEach(() => {
  vi.restoreAllMocks();
});

it("a burst of requests on a cold isolate: all answered, the policy compiled once", async () => {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  resetPolicyCache();
  const m = marker();
  const answers = await Promise.all(Array.from({ length: 8 }, () => exports.default.fetch(`https://payments.localhost/healthz?${m}`)));
  expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
  expect(await originSaw(m)).toHaveLength(8);
  const loaded = lines.map((l) => JSON.parse(l) as { event: string; version?: string }).filter((l) => l.event === "policy-loaded");
  expect(loaded).toEqual([{ level: "info", event: "policy-loaded", version }]);
});
