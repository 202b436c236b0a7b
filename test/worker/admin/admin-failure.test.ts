// An admin call that fails after the caller was admitted (a Durable Object down or overloaded, or a fault in
// Ward's own code) tells the operator what is known: nothing changed on a read, not known on a write, and the
// request id to find in the log. The error itself stays in the log. The stores are the real ones; only the
// one call a test breaks throws, as the platform's errors do (`retryable`, `overloaded`).
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { DenyEntry } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { breakMethod, platformError } from "../support/broken-object.ts";
import { activate } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

async function admin(path: string, init: RequestInit = {}, email = "admin@example.com"): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-af-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`${ADMIN}${path}`, { ...init, headers });
}

/** The Denylist object as it is, but `method` throws `error`. */
const breakDenylist = (method: string, error: Error) => breakMethod((env as Env).DENYLIST, method, error);

/** The log lines written while `run` runs. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const spies = ["log", "warn", "error"].map((level) =>
    vi.spyOn(console, level as "log").mockImplementation((line: string) => void lines.push(line)),
  );
  try {
    const result = await run();
    return { result, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const entries = async () => ((await (await admin("/denylist?all=1")).json()) as { entries: DenyEntry[] }).entries;

beforeAll(async () => {
  await activate(demoPolicy);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("an admin call whose store fails", () => {
  it("a write the platform could not deliver: 503, the change not known, Retry-After, and the error only in the log", async () => {
    const before = (await entries()).length;
    breakDenylist("revoke", platformError("Network connection lost.", { retryable: true }));
    const { result: res, lines } = await logged(() =>
      admin("/revocations", {
        method: "POST",
        body: JSON.stringify({ match: "email", value: "leaked@example.com", reason: "token leaked" }),
      }),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    // For this admin only: no cache keyed on the URL keeps it (from a review: the failure answer had no
    // Cache-Control, though every other answer of Ward's own paths is no-store).
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { error: string; changed: string; requestId: string };
    expect(body.changed).toBe("unknown");
    expect(body.error).toMatch(/did not answer; whether the change was made is not known/);
    expect(body.error).toContain(body.requestId);
    expect(body.error).not.toContain("Network connection lost");
    expect(res.headers.get("ward-request-id")).toBe(body.requestId);
    // One line for the request, as for every unexpected failure: `internal-error` with the error, the admin.
    const line = lines.filter((l) => l.requestId === body.requestId && l.event === "decision");
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({
      level: "error",
      event: "decision",
      reasons: ["internal-error"],
      status: 503,
      principal: "user:admin@example.com",
      error: "Error: Network connection lost.",
    });
    vi.restoreAllMocks();
    expect((await entries()).length).toBe(before);
  });

  it("a read from an overloaded object: 503, nothing changed", async () => {
    breakDenylist(
      "page",
      platformError("Durable Object is overloaded. Too many requests queued.", { overloaded: true }),
    );
    const { result: res } = await logged(() => admin("/denylist"));
    expect(res.status).toBe(503);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { error: string; changed: string };
    expect(body).toMatchObject({ changed: "no" });
    expect(body.error).toMatch(/did not answer; nothing was changed/);
  });

  it("an error the platform did not mark (Ward's own, or KV's): 500, the change not known", async () => {
    breakDenylist("revoke", new TypeError("cannot read properties of undefined"));
    const { result: res, lines } = await logged(() =>
      admin("/revocations", {
        method: "POST",
        body: JSON.stringify({ match: "email", value: "leaked@example.com", reason: "token leaked" }),
      }),
    );
    expect(res.status).toBe(500);
    expect(res.headers.get("retry-after")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { error: string; changed: string; requestId: string };
    expect(body.changed).toBe("unknown");
    expect(body.error).toMatch(
      /^the call failed \(a store, or Ward itself\); whether the change was made is not known/,
    );
    expect(lines.find((l) => l.requestId === body.requestId && l.event === "decision")).toMatchObject({
      reasons: ["internal-error"],
      status: 500,
      error: "TypeError: cannot read properties of undefined",
    });
  });

  it("before the caller is admitted (the policy's authority unreadable), answers as to anyone: no word of what failed", async () => {
    breakMethod(
      (env as Env).POLICY_CONTROL,
      "authority",
      platformError("Network connection lost.", { retryable: true }),
    );
    const { result: res, lines } = await logged(() => admin("/denylist"));
    // An outage of the store the authority is read from: as when the version cannot be had (503, to retry).
    expect(res.status).toBe(503);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["error", "requestId"]);
    expect(body.error).toBe("service unavailable");
    expect(lines.filter((l) => l.requestId === body.requestId)).toHaveLength(1);
    expect(lines.find((l) => l.requestId === body.requestId)).toMatchObject({
      reasons: ["policy-unavailable"],
      status: 503,
      error: expect.stringContaining("Network connection lost."),
    });
  });

  it("before the caller is admitted, an error no platform marked is the generic 500", async () => {
    breakMethod((env as Env).POLICY_CONTROL, "authority", new Error("a defect"));
    const { result: res, lines } = await logged(() => admin("/denylist"));
    expect(res.status).toBe(500);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: "internal error", requestId: body.requestId });
    expect(lines.find((l) => l.requestId === body.requestId)).toMatchObject({
      reasons: ["internal-error"],
      status: 500,
    });
  });
});
