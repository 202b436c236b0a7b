// `ward explain` decides on the facts as the gateway reads them: Cloudflare's country XX (no country known) is
// no country, so a deny rule on countries holds for it (policy/country.ts, worker/gateway.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { explainCommand } from "../../scripts/commands/explain.ts";
import { EXIT } from "../../scripts/cli-error.ts";
import { countryOf, evaluate, loadPolicy } from "../../policy/index.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-explain-facts-"));
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
          - { id: not-from-ru, effect: deny, principals: [{ authenticated: true }], when: { country: [RU] } }
          - { id: staff, effect: allow, principals: [{ emailDomain: example.com }], when: { time: { hours: { from: "08:00", to: "18:00" } } } }
`;
writeFileSync(POLICY, TEXT);

async function explain(...args: string[]): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const code = await explainCommand([POLICY, ...args], { out: (l) => out.push(l), err: () => {} });
  return { code, text: out.join("\n") };
}

describe("ward explain reads the facts as the gateway does", () => {
  it("--country XX is an unknown country, as the gateway reads it: the deny on RU holds", async () => {
    const loaded = await loadPolicy(TEXT);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const at = Date.parse("2026-03-02T10:00:00Z");
    // What the gateway decides for a request whose request.cf.country is "XX".
    const gateway = evaluate(
      loaded.policy,
      {
        method: "GET",
        host: "app.example.com",
        path: "/",
        identity: { user: { email: "ann@example.com", groups: [] } },
        country: countryOf("XX"),
      },
      at,
    );
    expect(gateway.effect).toBe("deny");
    const run = await explain(
      "--as",
      "ann@example.com",
      "--country",
      "XX",
      "--time",
      "2026-03-02T10:00:00Z",
      "GET",
      "https://app.example.com/",
    );
    expect(run.text).toContain("DENY");
    expect(run.code).toBe(EXIT.denied);
  });
});
