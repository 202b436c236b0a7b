// A shadow candidate never answers, so it must not make live traffic wait: when it reads a person's groups and
// the active policy does not, they are fetched from Access's get-identity off the request path, and the decision
// line (with the candidate's decision) is written once they are. Here the directory answers 1.5 s late (a
// request that waited for it could only be answered after that): the response comes back first, and the line
// follows the directory's answer.
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { loadPolicy, SHADOW_KEY } from "../../../policy/index.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
// Active: no rule reads a group. Candidate: wiki editors may edit.
const active = demoPolicy
  .replace("principals: [{ group: wiki-editors }]", "principals: [{ email: nobody@example.com }]")
  .replace("    - group: sre\n", "    - email: sre@example.com\n");
const candidate = active.replace(
  "principals: [{ email: nobody@example.com }]",
  "principals: [{ group: wiki-editors }]",
);

describe("a shadow candidate that reads groups the active policy does not", () => {
  it("answers without waiting for the directory, and logs the candidate's decision once it has the groups", async () => {
    const loadedActive = await loadPolicy(active);
    const loaded = await loadPolicy(candidate);
    if (!loadedActive.ok || !loaded.ok) throw new Error("policies");
    expect(loadedActive.policy.needs.groups).toBe(false);
    expect(loaded.policy.needs.groups).toBe(true);
    await activate(active);
    await storeVersion(env.POLICY, loaded.policy, candidate);
    await env.POLICY.put(SHADOW_KEY, loaded.policy.version);

    const real = globalThis.fetch;
    const events: string[] = [];
    const lines: string[] = [];
    const spies = [
      vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (!url.endsWith("/cdn-cgi/access/get-identity")) return real(input as RequestInfo, init);
        events.push("directory asked");
        return new Promise<Response>((resolve) =>
          setTimeout(() => {
            events.push("directory answered");
            resolve(real(input as RequestInfo, init));
          }, 1500),
        );
      }),
      vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line))),
      vi.spyOn(console, "warn").mockImplementation(() => {}),
    ];
    try {
      const token = await accessToken(signing, { email: "editor@example.com", identity_nonce: "n-shadow-off-path" });
      const unverified = await tlsClientAuth(CERTS.checkout, { certVerified: "FAILED:certificate has expired" });
      const lineOf = (id: string | null) =>
        lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.event === "decision" && l.requestId === id);
      // Until the isolate has the candidate (the pointer is re-read every 0.05 s here), no lookup is asked for.
      let id: string | null = null;
      for (let i = 0; i < 40 && !events.includes("directory asked"); i++) {
        events.length = 0;
        const m = marker();
        const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
          method: "POST",
          headers: { "cf-access-jwt-assertion": token },
          // A certificate Ward rejects: identified again for the candidate, its event is still logged once.
          cf: { tlsClientAuth: unverified },
        });
        await res.body?.cancel();
        events.push("answered");
        // Answered by the active policy: no editor may edit there.
        expect(res.status).toBe(403);
        expect(await originSaw(m)).toEqual([]);
        id = res.headers.get("ward-request-id");
        if (!events.includes("directory asked")) await new Promise((r) => setTimeout(r, 25));
      }
      // Answered while the directory had not: what matters is "answered" before "directory answered".
      expect(events).toContain("directory asked");
      expect(events).not.toContain("directory answered");
      for (let j = 0; j < 300 && !lineOf(id); j++) await new Promise((r) => setTimeout(r, 10));
      expect(events.filter((e) => e !== "directory asked")).toEqual(["answered", "directory answered"]);
      expect(lineOf(id)?.shadow).toMatchObject({
        version: loaded.policy.version,
        effect: "allow",
        rule: "wiki/edit/editors",
      });
      const rejected = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.event === "client-certificate-rejected" && l.requestId === id);
      expect(rejected).toHaveLength(1);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await env.POLICY.delete(SHADOW_KEY);
    }
  });
});
