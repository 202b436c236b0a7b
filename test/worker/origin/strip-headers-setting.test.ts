// STRIP_HEADERS as an operator may write it in the dashboard or in wrangler.toml. Names separated by spaces or
// semicolons were read as one name no header has: nothing stripped, nothing said (the origin got the header the
// deployment meant to keep from it). A JSON array (wrangler passes a JSON var on as it is) threw
// `list.split is not a function` on every allowed request: a 500 whose log line did not name the var.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const bindings = env as unknown as Record<string, unknown>;
const configured = (env as unknown as Env).STRIP_HEADERS;

// The demo's payments service forwards X-Tenant-Override: only STRIP_HEADERS keeps it from the origin.
const policy = demoPolicy.replace(
  "    owner: payments-team@example.com\n",
  "    owner: payments-team@example.com\n    forwardHeaders: [X-Tenant-Id, x-tenant-override]\n",
);

beforeAll(async () => {
  await activate(policy);
});
afterEach(() => {
  bindings.STRIP_HEADERS = configured;
  vi.restoreAllMocks();
});

async function send() {
  const lines: string[] = [];
  for (const level of ["log", "error"] as const)
    vi.spyOn(console, level).mockImplementation((line: string) => void lines.push(line));
  const m = marker();
  const res = await exports.default.fetch(`https://payments.localhost/healthz?${m}`, {
    headers: { "X-Tenant-Override": "evil", "X-Tenant-Id": "acme" },
  });
  await res.arrayBuffer();
  vi.restoreAllMocks();
  return { res, seen: await originSaw(m), lines };
}

describe("STRIP_HEADERS as written", () => {
  it.each([
    ["spaces", "x-internal-debug x-tenant-override"],
    ["semicolons", "x-internal-debug; X-Tenant-Override"],
    ["tabs and commas", "x-internal-debug,\tx-tenant-override ,"],
    ["a JSON array", ["x-internal-debug", "x-tenant-override"]],
  ])("names separated by %s are each stripped", async (_, value) => {
    bindings.STRIP_HEADERS = value;
    const { res, seen } = await send();
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers["x-tenant-override"]).toBeUndefined();
    expect(seen[0]!.headers["x-tenant-id"]).toBe("acme");
  });

  it.each([
    ["a number", 5],
    ["an object", { names: ["x-tenant-override"] }],
    ["an array holding a number", ["x-tenant-override", 5]],
  ])("as %s is refused, the log naming the var, and the origin is never called", async (_, value) => {
    bindings.STRIP_HEADERS = value;
    const { res, seen, lines } = await send();
    expect(res.status).toBe(500);
    expect(seen).toHaveLength(0);
    expect(lines.join("\n")).toContain("STRIP_HEADERS");
  });
});
