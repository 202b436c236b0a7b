// `ward explain` on a WebSocket upgrade (--websocket, or the request's own Upgrade header with -H): the decision
// the gateway takes (policy/websocket/upgrade.ts applyUpgrade, before and after grants), so a route without
// `websocket` refuses the upgrade, another protocol is refused, a page of another origin is refused, a caller the
// policy refuses keeps the policy's reason, and an upgrade the route carries says what bounds the connection.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../scripts/cli-error.ts";
import { explainCommand } from "../../scripts/commands/explain.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-explain-ws-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = join(dir, "ws.yaml");
writeFileSync(
  POLICY,
  `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access: { teamDomain: https://team.cloudflareaccess.com, audiences: ["${"ab".repeat(32)}"] }
services:
  wiki:
    hosts: [wiki.example.com]
    origin: { tunnel: WIKI }
    owner: wiki-team@example.com
    routes:
      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: small
        methods: [GET]
        path: /small
        websocket: { maxMessageBytes: 2048, maxBytesPerSecond: 65536, idleTimeout: 30s }
        rules: [{ id: staff-small, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: sre-live
        methods: [GET]
        path: /sre-live
        websocket: true
        rules: [{ id: sre, effect: allow, principals: [{ group: sre }] }]
      - id: pages
        methods: [GET]
        pathPrefix: /
        rules: [{ id: staff-pages, effect: allow, principals: [{ emailDomain: example.com }] }]
`,
);

const GRANTS = join(dir, "grants.json");
const grant = (id: string, routes: string[]) => ({
  id,
  kind: "exception",
  principal: { email: "gina@elsewhere.example" },
  service: "wiki",
  routes,
  methods: ["GET"],
  notBefore: "2026-01-01T00:00:00Z",
  notAfter: "2027-01-01T00:00:00Z",
  status: "active",
});
writeFileSync(GRANTS, JSON.stringify([grant("exc-live", ["sre-live"]), grant("exc-pages", ["pages"])]));

async function explain(...args: string[]): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const code = await explainCommand([POLICY, "--time", "2026-06-01T00:00:00Z", ...args], {
    out: (l) => out.push(l),
    err: () => {},
  });
  return { code, text: out.join("\n") };
}

describe("ward explain: a WebSocket upgrade", () => {
  it("on a route that carries upgrades: allowed, with the connection's limits (defaults) and how it ends", async () => {
    for (const flag of [["--websocket"], ["-H", "Upgrade: websocket", "-H", "Connection: Upgrade"]]) {
      const { code, text } = await explain("--as", "ann@example.com", ...flag, "GET", "https://wiki.example.com/live");
      expect(code).toBe(EXIT.ok);
      expect(text).toMatch(/^ALLOW 200/);
      expect(text).toContain(
        "websocket relayed: messages up to 1048576 bytes (default; WEBSOCKET_MAX_MESSAGE_BYTES changes it), at most 16777216 bytes a second each way (default; WEBSOCKET_MAX_BYTES_PER_SECOND changes it), closed after 600s idle (default; WEBSOCKET_IDLE_SECONDS changes it), and with 4403 when this access ends",
      );
      // The handshake's own fields are made anew for the origin, not reported as dropped.
      expect(text).not.toMatch(/^dropped .*upgrade/m);
    }
  });

  it("with the route's own limits", async () => {
    const { text } = await explain("--as", "ann@example.com", "--websocket", "GET", "https://wiki.example.com/small");
    expect(text).toContain(
      "messages up to 2048 bytes (the route's), at most 65536 bytes a second each way (the route's), closed after 30s idle (the route's)",
    );
  });

  it("on a route without websocket: refused (upgrade-not-allowed), though the same GET is allowed", async () => {
    expect((await explain("--as", "ann@example.com", "GET", "https://wiki.example.com/page")).code).toBe(EXIT.ok);
    const { code, text } = await explain(
      "--as",
      "ann@example.com",
      "--websocket",
      "GET",
      "https://wiki.example.com/page",
    );
    expect(code).toBe(EXIT.denied);
    expect(text).toMatch(/^DENY 403/);
    expect(text).toContain("reasons   upgrade-not-allowed");
    expect(text).toContain("next step wiki/pages does not carry this upgrade");
    expect(text).not.toContain("websocket relayed");
  });

  it.each([
    ["another protocol", ["-H", "Upgrade: h2c", "-H", "Connection: Upgrade, HTTP2-Settings"], "upgrade-not-allowed"],
    ["two protocols at once", ["-H", "Upgrade: websocket, h2c"], "upgrade-not-allowed"],
    ["Connection: upgrade without Upgrade", ["-H", "Connection: upgrade"], "upgrade-not-allowed"],
    ["another site's page", ["--websocket", "-H", "Origin: https://evil.example"], "upgrade-cross-origin"],
    ["another site, by Fetch Metadata", ["--websocket", "-H", "Sec-Fetch-Site: cross-site"], "upgrade-cross-origin"],
  ])("on a route that carries upgrades, refused: %s", async (_name, flags, reason) => {
    const { code, text } = await explain("--as", "ann@example.com", ...flags, "GET", "https://wiki.example.com/live");
    expect(code).toBe(EXIT.denied);
    expect(text).toContain(`reasons   ${reason}`);
  });

  it("from the app's own page (same origin) is allowed", async () => {
    const { code } = await explain(
      "--as",
      "ann@example.com",
      "--websocket",
      "-H",
      "Origin: https://wiki.example.com",
      "-H",
      "Sec-Fetch-Site: same-origin",
      "GET",
      "https://wiki.example.com/live",
    );
    expect(code).toBe(EXIT.ok);
  });

  it("of a caller the policy refuses keeps the policy's reason", async () => {
    const { code, text } = await explain(
      "--as",
      "eve@elsewhere.example",
      "--websocket",
      "GET",
      "https://wiki.example.com/live",
    );
    expect(code).toBe(EXIT.denied);
    expect(text).toContain("reasons   no-matching-rule");
  });

  it("a grant lifts the policy's refusal on a route that carries upgrades, never the route's", async () => {
    const live = await explain(
      "--as",
      "gina@elsewhere.example",
      "--grants",
      GRANTS,
      "--websocket",
      "GET",
      "https://wiki.example.com/sre-live",
    );
    expect(live.code).toBe(EXIT.ok);
    expect(live.text).toContain("reasons   allowed-by-exception");
    expect(live.text).toContain("websocket relayed");
    const pages = await explain(
      "--as",
      "gina@elsewhere.example",
      "--grants",
      GRANTS,
      "--websocket",
      "GET",
      "https://wiki.example.com/page",
    );
    expect(pages.code).toBe(EXIT.denied);
    expect(pages.text).toContain("reasons   upgrade-not-allowed");
  });

  it("--json gives the same decision", async () => {
    const { text } = await explain(
      "--as",
      "ann@example.com",
      "--websocket",
      "--json",
      "GET",
      "https://wiki.example.com/page",
    );
    expect(JSON.parse(text)).toMatchObject({ effect: "deny", status: 403, reasons: ["upgrade-not-allowed"] });
  });
});
