// A shadow candidate is decided on the facts the active decision had: when this request asked Access's directory
// (the active policy reads groups) and the lookup failed, the candidate is not given groups fetched again later
// (identical rules would show as a difference in the shadow report, and a failing directory be asked twice).
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { loadPolicy, SHADOW_KEY } from "../../../policy/index.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const active = demoPolicy; // reads the wiki-editors group
// The same rules, another version (a comment changes the text, and a description the document).
const candidate = demoPolicy.replace("description: Ward local demo", "description: Ward local demo (candidate)");

describe("a shadow candidate with the same rules, while get-identity fails", () => {
  it("is decided on the same facts as the active policy", async () => {
    const loadedActive = await loadPolicy(active);
    const loaded = await loadPolicy(candidate);
    if (!loadedActive.ok || !loaded.ok) throw new Error("policies");
    expect(loadedActive.policy.needs.groups).toBe(true);
    await activate(active);
    await storeVersion(env.POLICY, loaded.policy, candidate);
    await env.POLICY.put(SHADOW_KEY, loaded.policy.version);
    expect(loaded.policy.version).not.toBe(loadedActive.policy.version);

    const real = globalThis.fetch;
    let asked = 0;
    const lines: string[] = [];
    const spies = [
      vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (!url.endsWith("/cdn-cgi/access/get-identity")) return real(input as RequestInfo, init);
        // A blip: the first lookup of each request fails, a second one would answer.
        asked++;
        if (asked % 2 === 1) return Promise.resolve(new Response("unavailable", { status: 503 }));
        return real(input as RequestInfo, init);
      }),
      vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line))),
      vi.spyOn(console, "warn").mockImplementation(() => {}),
    ];
    try {
      const lineOf = (id: string | null) =>
        lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.event === "decision" && l.requestId === id);
      let line: Record<string, unknown> | undefined;
      for (let i = 0; i < 40 && !line?.shadow; i++) {
        asked = 0;
        // A fresh nonce each time: no cached answer.
        const token = await accessToken(signing, { email: "editor@example.com", identity_nonce: `n-blip-${i}` });
        const m = marker();
        const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
          method: "POST",
          headers: { "cf-access-jwt-assertion": token },
        });
        await res.body?.cancel();
        // Refused by the active policy (no editor may edit there), and never forwarded.
        expect(res.status).toBe(403);
        expect(await originSaw(m)).toEqual([]);
        const id = res.headers.get("ward-request-id");
        for (let j = 0; j < 100 && !lineOf(id); j++) await new Promise((r) => setTimeout(r, 10));
        line = lineOf(id);
        if (!line?.shadow) await new Promise((r) => setTimeout(r, 25));
      }
      expect(line?.shadow).toBeDefined();
      // Same rules, same request: the same effect.
      expect({
        active: line?.effect,
        shadow: (line?.shadow as { effect?: string } | undefined)?.effect,
        asked,
      }).toEqual({
        active: "deny",
        shadow: "deny",
        asked: 1,
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
      await env.POLICY.delete(SHADOW_KEY);
    }
  });
});
