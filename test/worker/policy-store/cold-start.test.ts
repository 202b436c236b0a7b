// A cold isolate: the policy is loaded from the validated document stored beside its source (JSON.parse, not
// the YAML parser that was most of a cold start), from the source when there is no usable document (and the
// document is then stored), and a burst of requests compiles it once for the isolate, not once per request.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { ACTIVE_KEY, canonicalJson, documentKey, loadPolicy, sha256Hex, versionKey } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { resetAccessVerifiers } from "../../../worker/identity/verifiers.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const bindings = env as unknown as Env;
let version: string;

beforeAll(async () => {
  version = await activate(demoPolicy);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Console lines of the events named, while `run` runs. */
async function logged(events: string[], run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  await run();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => events.includes(l.event as string));
}

async function healthz(): Promise<{ status: number; seen: number }> {
  const m = marker();
  const res = await exports.default.fetch(`https://payments.localhost/healthz?${m}`);
  return { status: res.status, seen: (await originSaw(m)).length };
}

it("a burst of requests on a cold isolate: all answered, the policy compiled once", async () => {
  const events = await logged(["policy-loaded"], async () => {
    resetPolicyCache();
    const m = marker();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => exports.default.fetch(`https://payments.localhost/healthz?${m}`)),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(await originSaw(m)).toHaveLength(8);
  });
  expect(events).toEqual([{ level: "info", event: "policy-loaded", version }]);
});

it("a burst of signed-in people on a cold isolate (no key set, no denylist, no policy yet): every one answered", async () => {
  const signing = inject("accessPrivateJwk");
  const tokens = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      accessToken(signing, { email: `p${i}@example.com`, identity_nonce: `n-cold-${i}` }),
    ),
  );
  resetPolicyCache();
  resetDenylistCache();
  resetAccessVerifiers();
  const m = marker();
  // Each request waits for the same first key-set fetch: none may be left hanging or be refused for it.
  const answers = await Promise.all(
    tokens.map((token) =>
      exports.default.fetch(`https://wiki.localhost/page?${m}`, { headers: { "cf-access-jwt-assertion": token } }),
    ),
  );
  expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
  expect(await originSaw(m)).toHaveLength(8);
});

describe("where a version is loaded from", () => {
  it("its stored document, without reading the source", async () => {
    const read = vi.spyOn(bindings.POLICY, "get");
    resetPolicyCache();
    expect(await healthz()).toEqual({ status: 200, seen: 1 });
    const keys = read.mock.calls.map((call) => call[0]);
    expect(keys).toContain(documentKey(version));
    expect(keys).not.toContain(versionKey(version));
  });

  it("its source, for a version stored without a document (bootstrapped, or an older push), which then gets its document", async () => {
    await bindings.POLICY.delete(documentKey(version));
    resetPolicyCache();
    const events = await logged(
      ["policy-loaded", "policy-version-invalid", "policy-version-hash-mismatch"],
      async () => {
        expect(await healthz()).toEqual({ status: 200, seen: 1 });
      },
    );
    expect(events).toEqual([{ level: "info", event: "policy-loaded", version }]);
    // Stored off the request's path: the bytes hash to the version, and the next cold isolate reads them.
    let healed: string | null = null;
    for (let i = 0; i < 40 && healed === null; i++) {
      healed = await bindings.POLICY.get(documentKey(version));
      if (healed === null) await new Promise((r) => setTimeout(r, 25));
    }
    expect(healed).not.toBeNull();
    expect(await sha256Hex(healed!)).toBe(version);
    const read = vi.spyOn(bindings.POLICY, "get");
    resetPolicyCache();
    expect(await healthz()).toEqual({ status: 200, seen: 1 });
    expect(read.mock.calls.map((call) => call[0])).not.toContain(versionKey(version));
  });

  it.each<[string, (good: string) => Promise<string>]>([
    ["not JSON", async () => "{ not json"],
    [
      "another version's document (tampered or mis-stored)",
      async (good) => {
        const other = await loadPolicy(
          good.replace("principals: [{ public: true }]", "principals: [{ authenticated: true }]"),
        );
        if (!other.ok) throw new Error("test policy invalid");
        return canonicalJson(other.policy.document);
      },
    ],
  ])("a damaged document (%s): never used; the source serves, and the damage is logged", async (_name, damaged) => {
    await bindings.POLICY.put(documentKey(version), await damaged(demoPolicy));
    resetPolicyCache();
    const events = await logged(
      ["policy-loaded", "policy-version-invalid", "policy-version-hash-mismatch"],
      async () => {
        expect(await healthz()).toEqual({ status: 200, seen: 1 });
      },
    );
    expect(events.map((e) => [e.event, e.from ?? null])).toEqual([
      [expect.stringMatching(/^policy-version-(invalid|hash-mismatch)$/), "document"],
      ["policy-loaded", null],
    ]);
    // The public healthz route shows the source's policy decided, not the damaged document's (authenticated only).
    await activate(demoPolicy);
  });

  it("a document stored by an older Ward (without a default this one fills in), with no source: loads under its own name", async () => {
    const loaded = await loadPolicy(demoPolicy);
    if (!loaded.ok) throw new Error("demo invalid");
    const older = JSON.parse(canonicalJson(loaded.policy.document)) as { services: Record<string, { hide?: boolean }> };
    for (const service of Object.values(older.services)) delete service.hide;
    const text = canonicalJson(older);
    const name = await sha256Hex(text);
    await bindings.POLICY.put(documentKey(name), text);
    await bindings.POLICY.put(ACTIVE_KEY, name);
    resetPolicyCache();
    const events = await logged(
      ["policy-loaded", "policy-version-invalid", "policy-version-hash-mismatch"],
      async () => {
        expect(await healthz()).toEqual({ status: 200, seen: 1 });
      },
    );
    expect(events).toEqual([{ level: "info", event: "policy-loaded", version: name }]);
    await bindings.POLICY.put(ACTIVE_KEY, version);
  });

  it("a damaged document and no source: 503, nothing forwarded", async () => {
    const bad = "d".repeat(64);
    await bindings.POLICY.put(documentKey(bad), "[]");
    await bindings.POLICY.put(ACTIVE_KEY, bad);
    resetPolicyCache();
    expect(await healthz()).toEqual({ status: 503, seen: 0 });
    await bindings.POLICY.put(ACTIVE_KEY, version);
  });
});
