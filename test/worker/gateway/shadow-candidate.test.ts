// The shadow candidate is logged as deciding what it decides once promoted (the same request, the same caller):
// `ward shadow report` counts would-be denials and allows from that field. Two cases where it did not: a group
// only the candidate reads (the gateway fetched only what the active policy needs), and a WebSocket route the
// candidate no longer carries (the upgrade check ran for the active policy only).
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { asDecisionLine, loadPolicy, SHADOW_KEY } from "../../../policy/index.ts";
import { shadowReport } from "../../../scripts/shadow/report.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { Client, WS_POLICY } from "../websocket/support.ts";

const signing = inject("accessPrivateJwk");

async function setShadow(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  await storeVersion(env.POLICY, loaded.policy, text);
  await env.POLICY.put(SHADOW_KEY, loaded.policy.version);
  return loaded.policy.version;
}

/** Runs `call` with console.log captured; the decision lines it wrote. */
async function decisionsOf<T>(call: () => Promise<T>): Promise<{ value: T; decisions: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line)));
  const spyE = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(String(line)));
  const spyW = vi.spyOn(console, "warn").mockImplementation((line: string) => void lines.push(String(line)));
  try {
    const value = await call();
    return {
      value,
      decisions: lines
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        })
        .filter((l) => l.event === "decision"),
    };
  } finally {
    spy.mockRestore();
    spyE.mockRestore();
    spyW.mockRestore();
  }
}

/** Repeats `call` until its decision line was decided by `active` with the shadow `candidate`. */
async function withShadowLine(
  active: string,
  candidate: string | undefined,
  call: () => Promise<Response>,
): Promise<{ res: Response; line: Record<string, unknown> }> {
  for (let i = 0; i < 80; i++) {
    const { value: res, decisions } = await decisionsOf(call);
    const line = decisions.find(
      (d) =>
        d.policyVersion === active &&
        (candidate === undefined ? d.shadow === undefined : (d.shadow as { version?: string })?.version === candidate),
    );
    if (line) return { res, line };
    res.webSocket?.accept();
    res.webSocket?.close(1000);
    await new Promise((r) => setTimeout(r, 25));
  }
  const { decisions } = await decisionsOf(call);
  throw new Error(`no decision line by that active version and candidate: ${JSON.stringify(decisions)}`);
}

const token = (email: string) => accessToken(signing, { email, identity_nonce: `n-shadow-candidate-${email}` });

describe("shadow: groups the active policy does not fetch", () => {
  // Active: nobody edits the wiki, and no rule reads a group (so the gateway does not fetch groups).
  const active = demoPolicy
    .replace("principals: [{ group: wiki-editors }]", "principals: [{ email: nobody@example.com }]")
    .replace("    - group: sre\n", "    - email: sre@example.com\n");
  // Candidate: wiki editors may edit.
  const candidate = active.replace(
    "principals: [{ email: nobody@example.com }]",
    "principals: [{ group: wiki-editors }]",
  );

  it("logs the candidate's decision for an editor as the candidate decides it once promoted", async () => {
    expect(active).not.toBe(demoPolicy);
    expect(candidate).not.toBe(active);
    const activeVersion = await activate(active);
    const candidateVersion = await setShadow(candidate);
    const edit = async () => {
      const m = marker();
      const res = await exports.default.fetch(`https://wiki.localhost/page?${m}`, {
        method: "POST",
        headers: { "cf-access-jwt-assertion": await token("editor@example.com") },
      });
      return Object.assign(res, { m });
    };
    const { res, line } = await withShadowLine(activeVersion, candidateVersion, edit);
    expect(res.status).toBe(403); // enforced: the active policy
    expect(await originSaw((res as Response & { m: string }).m)).toEqual([]);

    // What the candidate decides for this very request once it is active.
    await env.POLICY.delete(SHADOW_KEY);
    await activate(candidate);
    const after = await withShadowLine(candidateVersion, undefined, edit);
    expect(after.res.status).toBe(200);
    expect(after.line).toMatchObject({ effect: "allow", rule: "wiki/edit/editors" });

    // The report read from the shadow line must say the editor would newly be allowed.
    const report = shadowReport([asDecisionLine(line)!]);
    expect({ shadow: line.shadow, newlyAllowed: report.newlyAllowed.requests }).toMatchObject({
      shadow: { effect: "allow", rule: "wiki/edit/editors" },
      newlyAllowed: 1,
    });
  });
});

describe("shadow: a WebSocket route the candidate no longer carries", () => {
  const candidate = WS_POLICY.replace("        path: /live\n        websocket: true\n", "        path: /live\n");

  it("reports the upgrade the candidate would refuse as newly denied", async () => {
    expect(candidate).not.toBe(WS_POLICY);
    const activeVersion = await activate(WS_POLICY);
    const candidateVersion = await setShadow(candidate);
    // Wait (with plain reads) until the isolate evaluates the candidate beside the active version.
    await withShadowLine(activeVersion, candidateVersion, async () =>
      exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
        headers: { "cf-access-jwt-assertion": await token("ann@example.com") },
      }),
    );
    const live = async () =>
      exports.default.fetch(`https://wiki.localhost/live?${marker()}`, {
        headers: { upgrade: "websocket", "cf-access-jwt-assertion": await token("ann@example.com") },
      });
    const { res, line } = await withShadowLine(activeVersion, candidateVersion, live);
    expect(res.status).toBe(101); // the active policy carries it
    new Client(res.webSocket!).socket.close(1000);

    // Promoted, the candidate refuses this very request.
    await env.POLICY.delete(SHADOW_KEY);
    await activate(candidate);
    await withShadowLine(candidateVersion, undefined, async () =>
      exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
        headers: { "cf-access-jwt-assertion": await token("ann@example.com") },
      }),
    );
    const m = marker();
    const after = await exports.default.fetch(`https://wiki.localhost/live?${m}`, {
      headers: { upgrade: "websocket", "cf-access-jwt-assertion": await token("ann@example.com") },
    });
    expect(after.status).toBe(403);
    expect(await originSaw(m)).toEqual([]);

    const report = shadowReport([asDecisionLine(line)!]);
    expect({ shadow: (line.shadow as { effect: string }).effect, newlyDenied: report.newlyDenied.requests }).toEqual({
      shadow: "deny",
      newlyDenied: 1,
    });
  });
});
