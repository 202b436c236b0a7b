// `ward explain --posture` as docs/policy.md gives it: the checks named pass, and without one a check does not
// (reported failed, as Access reports it). Since a check Access leaves out is unknown, which holds in a deny rule,
// explain left every unnamed check unknown and refused where the gateway admits (from a review).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { explainCommand } from "../../scripts/commands/explain.ts";
import { EXIT } from "../../scripts/cli-error.ts";
import { evaluate, loadPolicy } from "../../policy/index.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-explain-posture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = join(dir, "policy.yaml");
const TEXT = `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://ward.cloudflareaccess.com
    audiences: ["${"a".repeat(64)}"]
services:
  app:
    hosts: [app.example.com]
    origin: { tunnel: APP }
    owner: app-team@example.com
    routes:
      - id: all
        methods: ["*"]
        pathPrefix: /
        rules:
          - { id: no-rooted, effect: deny, principals: [{ authenticated: true }], when: { devicePosture: [rooted-device] } }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }], when: { devicePosture: [managed-device] } }
`;
writeFileSync(POLICY, TEXT);

async function explain(...args: string[]): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const code = await explainCommand([POLICY, ...args], { out: (l) => out.push(l), err: () => {} });
  return { code, text: out.join("\n") };
}

/** What the gateway decides for Ann with Access reporting these results. */
async function gateway(devicePosture: Record<string, boolean>): Promise<string> {
  const loaded = await loadPolicy(TEXT);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const identity = { user: { email: "ann@example.com", groups: [], devicePosture } };
  const facts = { method: "GET", host: "app.example.com", path: "/", query: "", identity };
  return evaluate(loaded.policy, facts, Date.parse("2026-03-02T10:00:00Z")).effect;
}

describe("ward explain --posture", () => {
  it("admits a person passing the allow's check and not named for the deny's, as the gateway does", async () => {
    const { code, text } = await explain(
      "--as",
      "ann@example.com",
      "--posture",
      "managed-device",
      "GET",
      "https://app.example.com/",
    );
    expect(await gateway({ "managed-device": true, "rooted-device": false })).toBe("allow");
    expect(text).toMatch(/^ALLOW/m);
    expect(code).toBe(0);
  });

  it("refuses once the deny's check is named as passing", async () => {
    const { code, text } = await explain(
      "--as",
      "ann@example.com",
      "--posture",
      "managed-device",
      "--posture",
      "rooted-device",
      "GET",
      "https://app.example.com/",
    );
    expect(await gateway({ "managed-device": true, "rooted-device": true })).toBe("deny");
    expect(text).toMatch(/^DENY/m);
    expect(text).toContain("no-rooted");
    expect(code).toBe(EXIT.denied);
  });

  it("without --posture no check passes: the allow's condition fails, the deny's does not apply", async () => {
    const { text } = await explain("--as", "ann@example.com", "GET", "https://app.example.com/");
    expect(await gateway({ "managed-device": false, "rooted-device": false })).toBe("deny");
    expect(text).toMatch(/^DENY/m);
    expect(text).toContain("device posture managed-device not passing");
    expect(text).not.toMatch(/no-rooted \(deny\): applies/);
  });
});
