// The pure part of WebSockets (policy/websocket/): which requests are upgrades, which Ward carries, the limits
// of a connection, and when an open connection's access has ended. The gateway around it is tested in workerd
// (test/worker/websocket/).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accessEnded,
  applyUpgrade,
  closeFrame,
  countsTowardQuarantine,
  evaluate,
  loadPolicy,
  nextStep,
  parseWebSocketCloseLine,
  readSetting,
  stillNamesAll,
  routeWebSocket,
  upgradeKind,
  validatePolicyText,
  websocketCloseLine,
  websocketLimits,
  type CompiledPolicy,
  type Decision,
  type Identity,
} from "../../policy/index.ts";
import { validatePolicy } from "../../policy/validate/index.ts";
import { oneServicePolicy } from "./support/one-service.ts";

const demo = readFileSync(new URL("../../policy/examples/demo.yaml", import.meta.url), "utf8");
const WITH_ROUTES = demo.replace(
  "      - id: read\n        methods: [GET, HEAD]\n        pathPrefix: /\n",
  `      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: small
        methods: [GET]
        path: /small
        websocket: { maxMessageBytes: 2048, idleTimeout: 30s }
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: metered
        methods: [GET]
        path: /metered
        websocket: { maxBytesPerSecond: 65536 }
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: off
        methods: [GET]
        path: /off
        websocket: false
        rules: [{ id: staff, effect: allow, principals: [{ emailDomain: example.com }] }]
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /
`,
);

async function compiled(text: string): Promise<CompiledPolicy> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const NOW = Date.parse("2026-12-01T12:00:00Z");
const ann = { user: { email: "ann@example.com" } };

function decide(policy: CompiledPolicy, host: string, path: string, identity: object = ann): Decision {
  return evaluate(policy, { method: "GET", host, path, identity }, NOW);
}

describe("upgradeKind", () => {
  it.each([
    ["GET", null, null, "none"],
    ["GET", null, "keep-alive", "none"],
    ["GET", "websocket", "Upgrade", "websocket"],
    ["GET", " WebSocket ", null, "websocket"],
    ["GET", "h2c", "Upgrade, HTTP2-Settings", "other"],
    ["GET", "websocket, h2c", "Upgrade", "other"],
    ["GET", "TLS/1.0", "Upgrade", "other"],
    ["GET", "", "Upgrade", "other"],
    ["GET", null, "keep-alive, Upgrade", "other"],
    ["POST", "websocket", "Upgrade", "other"],
  ] as const)("%s Upgrade: %j Connection: %j is %s", (method, upgrade, connection, kind) => {
    expect(upgradeKind(method, upgrade, connection)).toBe(kind);
  });
});

describe("routeWebSocket and websocketLimits", () => {
  it("reads each route's setting once per policy version", async () => {
    const policy = await compiled(WITH_ROUTES);
    expect(routeWebSocket(policy, "wiki/live")).toBe(true);
    expect(routeWebSocket(policy, "wiki/small")).toEqual({ maxMessageBytes: 2048, idleSeconds: 30 });
    expect(routeWebSocket(policy, "wiki/metered")).toEqual({ maxBytesPerSecond: 65_536 });
    expect(routeWebSocket(policy, "wiki/off")).toBeUndefined();
    expect(routeWebSocket(policy, "wiki/read")).toBeUndefined();
    expect(routeWebSocket(policy, undefined)).toBeUndefined();
  });

  it("takes the route's limits, else the gateway's, else the defaults, never above the caps", () => {
    const MiB = 1024 * 1024;
    expect(websocketLimits(true)).toEqual({ maxMessageBytes: MiB, maxBytesPerSecond: 16 * MiB, idleSeconds: 600 });
    const gateway = { maxMessageBytes: 4096, maxBytesPerSecond: 65_536, idleSeconds: 60 };
    expect(websocketLimits(true, gateway)).toEqual(gateway);
    expect(websocketLimits({ idleSeconds: 5, maxBytesPerSecond: 8192 }, gateway)).toEqual({
      maxMessageBytes: 4096,
      maxBytesPerSecond: 8192,
      idleSeconds: 5,
    });
    expect(websocketLimits(true, { maxMessageBytes: 1e12, maxBytesPerSecond: 1e12, idleSeconds: 1e9 })).toEqual({
      maxMessageBytes: 32 * MiB,
      maxBytesPerSecond: 128 * MiB,
      idleSeconds: 86_400,
    });
  });

  it("never budgets fewer bytes a second than the largest message the connection relays costs (its bytes and 64)", () => {
    expect(websocketLimits({ maxMessageBytes: 4096, maxBytesPerSecond: 100 }).maxBytesPerSecond).toBe(4096 + 64);
    expect(websocketLimits({ maxMessageBytes: 4096, maxBytesPerSecond: 4100 }).maxBytesPerSecond).toBe(4096 + 64);
    expect(websocketLimits(true, { maxBytesPerSecond: 100 }).maxBytesPerSecond).toBe(1024 * 1024 + 64);
    expect(websocketLimits({ maxMessageBytes: 32 * 1024 * 1024 }).maxBytesPerSecond).toBe(32 * 1024 * 1024 + 64);
  });

  it("reads WEBSOCKET_CHECK_SECONDS as a positive number from 50 ms to a minute (a timer past 2^31 ms fires at once)", () => {
    const read = [undefined, "", "0", "-3", "abc", "5", "0.5", "60", "61", "1e12", "Infinity", "0.05", "0.001", "1e-9"];
    expect(read.map((v) => readSetting("WEBSOCKET_CHECK_SECONDS", v))).toEqual([
      2, 2, 2, 2, 2, 5, 0.5, 60, 60, 60, 2, 0.05, 0.05, 0.05,
    ]);
  });
});

describe("applyUpgrade", () => {
  it("leaves a request that asks for no upgrade, and a denial, as they are", async () => {
    const policy = await compiled(WITH_ROUTES);
    const allowed = decide(policy, "wiki.localhost", "/page");
    expect(applyUpgrade(policy, allowed, "none", () => true)).toBe(allowed);
    const denied = decide(policy, "wiki.localhost", "/live", {});
    expect(denied.reasons).toEqual(["unauthenticated"]);
    expect(applyUpgrade(policy, denied, "other", () => true)).toBe(denied);
  });

  it("carries a same-origin WebSocket upgrade on a route with websocket", async () => {
    const policy = await compiled(WITH_ROUTES);
    const allowed = decide(policy, "wiki.localhost", "/live");
    expect(applyUpgrade(policy, allowed, "websocket", () => false)).toBe(allowed);
  });

  it("refuses any other upgrade of an allowed request with 403, naming no rule and keeping no obligation", async () => {
    const policy = await compiled(WITH_ROUTES);
    for (const [path, kind] of [
      ["/page", "websocket"],
      ["/off", "websocket"],
      ["/live", "other"],
    ] as const) {
      const refused = applyUpgrade(policy, decide(policy, "wiki.localhost", path), kind, () => false);
      expect(refused, path).toMatchObject({
        effect: "deny",
        status: 403,
        reasons: ["upgrade-not-allowed"],
        obligations: { rateLimits: [], headers: {} },
      });
      expect(refused.rule).toBeUndefined();
    }
  });

  it("refuses a WebSocket upgrade another origin's page made (cross-site WebSocket hijacking)", async () => {
    const policy = await compiled(WITH_ROUTES);
    const refused = applyUpgrade(policy, decide(policy, "wiki.localhost", "/live"), "websocket", () => true);
    expect(refused).toMatchObject({ effect: "deny", status: 403, reasons: ["upgrade-cross-origin"] });
  });

  it("answers 404 on a hidden service, and refuses in audit mode too", async () => {
    const policy = await compiled(
      WITH_ROUTES.replace(
        "    owner: orders-team@example.com\n",
        "    owner: orders-team@example.com\n    mode: audit\n",
      ),
    );
    const health = decide(policy, "payments.localhost", "/healthz", {});
    expect(applyUpgrade(policy, health, "websocket", () => false)).toMatchObject({ status: 404 });
    const audited = decide(policy, "orders.localhost", "/v1/orders/1", ann);
    expect(audited).toMatchObject({ effect: "allow", reasons: ["audit-would-deny", "no-matching-rule"] });
    const refused = applyUpgrade(policy, audited, "other", () => false);
    expect(refused).toMatchObject({ effect: "deny", reasons: ["upgrade-not-allowed"] });
    expect(refused.wouldDeny).toBeUndefined();
  });

  it("is not counted towards quarantine: a misconfigured app retrying its socket is not lateral movement", async () => {
    const policy = await compiled(WITH_ROUTES);
    const refused = applyUpgrade(policy, decide(policy, "wiki.localhost", "/page"), "websocket", () => false);
    expect(countsTowardQuarantine(refused, () => false)).toBe(false);
    expect(countsTowardQuarantine(decide(policy, "orders.localhost", "/v1/orders/1"), () => false)).toBe(true);
  });

  it("gives a next step that names the setting, not the caller's access", async () => {
    const policy = await compiled(WITH_ROUTES);
    const refused = applyUpgrade(policy, decide(policy, "wiki.localhost", "/page"), "websocket", () => false);
    expect(nextStep(refused, { owner: "wiki-team" })).toMatch(/websocket: true.*wiki-team/);
    const crossed = applyUpgrade(policy, decide(policy, "wiki.localhost", "/live"), "websocket", () => true);
    expect(nextStep(crossed)).toMatch(/app's own origin/);
  });
});

describe("accessEnded", () => {
  const allow = { effect: "allow", reasons: ["allowed-by-rule"], route: "wiki/live" } as Decision;
  const deny = (reason: string, route = "wiki/live") =>
    ({ effect: "deny", reasons: [reason], route }) as unknown as Decision;
  const grant = {
    id: "g-1",
    kind: "exception",
    notBefore: "2026-12-01T11:00:00Z",
    notAfter: "2026-12-01T12:00:10Z",
  } as const;
  const wouldDeny = { status: 403, reasons: ["no-matching-rule"] };

  it("holds while the same request is allowed, audit mode's allow included", () => {
    expect(accessEnded(allow, {}, NOW)).toBeUndefined();
    const audited = { ...allow, reasons: ["audit-would-deny", "no-matching-rule"], wouldDeny } as Decision;
    expect(accessEnded(audited, { wouldDeny: "no-matching-rule" }, NOW)).toBeUndefined();
  });

  // From a review: the origin judged the upgrade's assertion once, and is told (origin-assertion.md) that one
  // that must never serve would-deny requests refuses them; the socket must not go on serving one.
  it("ends when the same request would now carry a ward_would_deny the upgrade's assertion did not", () => {
    const onTrial = {
      ...allow,
      reasons: ["allowed-by-rule", "audit-would-deny"],
      wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "wiki/live/no-ann" },
    } as Decision;
    // A deny rule on trial (mode: audit) that now matches the caller.
    expect(accessEnded(onTrial, {}, NOW)).toBe("policy");
    // The service switched to audit mode, and no rule allows the caller any more.
    const audited = { ...allow, reasons: ["audit-would-deny", "no-matching-rule"], wouldDeny } as Decision;
    expect(accessEnded(audited, {}, NOW)).toBe("policy");
    // Another would-deny than the one the origin accepted.
    expect(accessEnded(onTrial, { wouldDeny: "no-matching-rule" }, NOW)).toBe("policy");
    // The same one holds, and one that is gone tells the origin less, not more.
    expect(accessEnded(onTrial, { wouldDeny: "wiki/live/no-ann" }, NOW)).toBeUndefined();
    expect(accessEnded(allow, { wouldDeny: "wiki/live/no-ann" }, NOW)).toBeUndefined();
  });

  it("ends when only a grant allows the same request now (ward_exception), where a rule allowed the upgrade", () => {
    const byGrant = { ...allow, reasons: ["allowed-by-exception"], exception: grant } as Decision;
    expect(accessEnded(byGrant, { route: "wiki/live" }, NOW)).toBe("policy");
    const breakGlass = { ...byGrant, exception: { ...grant, kind: "break-glass" } } as Decision;
    expect(accessEnded(breakGlass, { route: "wiki/live" }, NOW)).toBe("policy");
  });

  it("holds while the upgrade's grant allows it; another grant's name ends it as that grant's end would", () => {
    const opened = { grant, route: "wiki/live" };
    const byGrant = { ...allow, reasons: ["allowed-by-exception"], exception: grant } as Decision;
    expect(accessEnded(byGrant, opened, NOW)).toBeUndefined();
    // A rule allows it now: the origin is told less than at the upgrade.
    expect(accessEnded(allow, opened, NOW)).toBeUndefined();
    const byAnother = { ...byGrant, exception: { ...grant, id: "g-2" } } as Decision;
    expect(accessEnded(byAnother, opened, NOW)).toBe("grant-revoked");
    expect(accessEnded(byAnother, opened, Date.parse(grant.notAfter))).toBe("grant-expired");
    expect(accessEnded(byAnother, opened, NOW, "unreadable")).toBe("check-failed");
    // The upgrade's grant, used up by this connection, still holds for it.
    const usedUp = [
      {
        id: grant.id,
        kind: "exception" as const,
        principal: { email: "ann@example.com" },
        service: "wiki",
        routes: "*" as const,
        methods: "*" as const,
        notBefore: NOW - 1000,
        notAfter: Date.parse(grant.notAfter),
        maxUses: 1,
        usedUp: true as const,
      },
    ];
    expect(accessEnded(byAnother, opened, NOW, usedUp)).toBeUndefined();
  });

  it("ends when the same request is allowed now by another service (its host moved): not this connection's origin", () => {
    const opened = { service: "wiki" };
    expect(accessEnded({ ...allow, service: "wiki" }, opened, NOW)).toBeUndefined();
    expect(accessEnded({ ...allow, service: "chat", route: "chat/live" }, opened, NOW)).toBe("policy");
  });

  it("ends with the credential at its instant, whatever else holds", () => {
    expect(accessEnded(allow, { credentialExpiresAt: NOW + 1 }, NOW)).toBeUndefined();
    expect(accessEnded(allow, { credentialExpiresAt: NOW }, NOW)).toBe("credential-expired");
    expect(accessEnded(deny("revoked"), { credentialExpiresAt: NOW - 1 }, NOW)).toBe("credential-expired");
  });

  it("names the denylist's reasons, and the policy for any other refusal", () => {
    for (const reason of ["revoked", "quarantined", "denylist-unavailable"])
      expect(accessEnded(deny(reason), {}, NOW)).toBe(reason);
    for (const reason of ["no-matching-rule", "denied-by-rule", "upgrade-not-allowed", "host-not-found"])
      expect(accessEnded(deny(reason), {}, NOW)).toBe("policy");
  });

  it("tells a grant that ran out from one revoked; a rule that now refuses is the policy's doing", () => {
    const opened = { grant, route: "wiki/live" };
    expect(accessEnded(deny("no-matching-rule"), opened, Date.parse(grant.notAfter))).toBe("grant-expired");
    expect(accessEnded(deny("no-matching-rule"), opened, NOW)).toBe("grant-revoked");
    expect(accessEnded(deny("denied-by-rule"), opened, NOW)).toBe("policy");
  });

  /** A connection a grant of one use let through, and that grant as the service's grants hold it once used up. */
  const opened = { grant: { ...grant, maxUses: 1 }, route: "wiki/live" };
  const usedUp = [
    {
      id: grant.id,
      kind: "exception" as const,
      principal: { email: "ann@example.com" },
      service: "wiki",
      routes: "*" as const,
      methods: "*" as const,
      notBefore: NOW - 1000,
      notAfter: Date.parse(grant.notAfter),
      maxUses: 1,
      usedUp: true as const,
    },
  ];

  it("keeps a connection that spent the last use of a limited grant (used up, honoured no more) until notAfter", () => {
    expect(accessEnded(deny("no-matching-rule"), opened, NOW, usedUp)).toBeUndefined();
    expect(accessEnded(deny("no-matching-rule", "wiki/other"), opened, NOW, usedUp)).toBe("grant-revoked");
    expect(accessEnded(deny("no-matching-rule"), opened, Date.parse(grant.notAfter), usedUp)).toBe("grant-expired");
    // Revoked (from a review): gone from the service's grants, used up or not, and the connection ends.
    expect(accessEnded(deny("no-matching-rule"), opened, NOW, [])).toBe("grant-revoked");
    expect(accessEnded(deny("no-matching-rule"), opened, NOW, [{ ...usedUp[0]!, id: "another" }])).toBe(
      "grant-revoked",
    );
    // Grants that could not be read are unknown, not revoked: the connection ends as unchecked, and a grant
    // that has run out still says so (its end needs no copy).
    expect(accessEnded(deny("no-matching-rule"), opened, NOW, "unreadable")).toBe("check-failed");
    expect(accessEnded(deny("no-matching-rule"), opened, Date.parse(grant.notAfter), "unreadable")).toBe(
      "grant-expired",
    );
    expect(accessEnded(deny("denied-by-rule"), opened, NOW, "unreadable")).toBe("policy");
  });

  it("in audit mode too: a used-up grant's connection lasts, an unread one is unchecked (from a review)", () => {
    // Audit mode allows what no rule does, saying so (ward_would_deny: no-matching-rule), where enforce refuses.
    const audit = { ...allow, reasons: ["audit-would-deny", "no-matching-rule"], wouldDeny } as Decision;
    expect(accessEnded(audit, opened, NOW, usedUp)).toBeUndefined();
    expect(accessEnded(audit, opened, NOW, "unreadable")).toBe("check-failed");
    expect(accessEnded(audit, opened, NOW, [])).toBe("grant-revoked");
    expect(accessEnded(audit, opened, Date.parse(grant.notAfter), "unreadable")).toBe("grant-expired");
    // A deny rule on trial naming the caller is the policy's, grant or not.
    const trial = { ...allow, wouldDeny: { status: 403, reasons: ["denied-by-rule"], rule: "wiki/live/no-ann" } };
    expect(accessEnded(trial as Decision, opened, NOW, usedUp)).toBe("policy");
  });
});

describe("closing", () => {
  it("tells both sides 4403 'access ended' for every access cause, and nothing about which", () => {
    for (const cause of [
      "revoked",
      "quarantined",
      "denylist-unavailable",
      "policy",
      "grant-expired",
      "grant-revoked",
      "credential-expired",
      "check-failed",
    ] as const)
      expect(closeFrame(cause)).toEqual({ code: 4403, reason: "access ended" });
    expect(closeFrame("idle")).toEqual({ code: 1001, reason: "idle timeout" });
    expect(closeFrame("message-too-large")).toEqual({ code: 1009, reason: "message too large" });
    expect(closeFrame("rate-exceeded")).toEqual({ code: 1008, reason: "message rate too high" });
  });

  it("writes a close line the reader reads back, with the duration", () => {
    const line = websocketCloseLine({
      requestId: "r-1",
      principal: "user:ann@example.com",
      service: "wiki",
      route: "wiki/live",
      cause: "revoked",
      code: 4403,
      openedAt: NOW,
      closedAt: NOW + 2500,
      messagesFromClient: 3,
      messagesFromOrigin: 4,
    });
    expect(line).toEqual({
      level: "info",
      event: "websocket-closed",
      time: "2026-12-01T12:00:02.500Z",
      requestId: "r-1",
      principal: "user:ann@example.com",
      service: "wiki",
      route: "wiki/live",
      cause: "revoked",
      code: 4403,
      durationMs: 2500,
      messagesFromClient: 3,
      messagesFromOrigin: 4,
    });
    expect(parseWebSocketCloseLine(JSON.stringify(line))).toEqual(line);
    expect(parseWebSocketCloseLine('{"event":"decision"}')).toBeUndefined();
    expect(parseWebSocketCloseLine("not json")).toBeUndefined();
  });
});

describe("the route's websocket field", () => {
  const withSetting = (setting: string) =>
    WITH_ROUTES.replace("websocket: { maxMessageBytes: 2048, idleTimeout: 30s }", `websocket: ${setting}`);

  it.each([
    ["{ maxMessageBytes: 0 }", "out-of-range"],
    ["{ maxMessageBytes: 33554433 }", "out-of-range"],
    ["{ maxBytesPerSecond: 0 }", "out-of-range"],
    ["{ maxBytesPerSecond: 134217729 }", "out-of-range"],
    // A wrong type at a field of the object form, as anywhere else: invalid-type (it was invalid-value, the union's).
    ["{ maxBytesPerSecond: 1.5 }", "invalid-type"],
    ["{ maxMessageBytes: '30' }", "invalid-type"],
    // From a generated review: past its bound it was invalid-value, where every other duration's is out-of-range.
    ["{ idleTimeout: 2d }", "out-of-range"],
    ["{ idleTimeout: 86401s }", "out-of-range"],
    ["{ idleTimeout: 30 }", "invalid-type"],
    ["{ maxMesageBytes: 10 }", "unknown-field"],
    ["yes", "invalid-value"],
  ])("refuses websocket: %s (%s)", (setting, code) => {
    const result = validatePolicyText(withSetting(setting));
    expect(result.ok).toBe(false);
    expect(result.issues.map((i) => i.code)).toContain(code);
    expect(result.issues[0]!.path).toMatch(/^services\.wiki\.routes\[\d+\]\.websocket/);
  });

  it("accepts true, false and limits within the caps", () => {
    for (const setting of [
      "true",
      "false",
      "{}",
      "{ maxMessageBytes: 33554432, idleTimeout: 24h }",
      "{ maxBytesPerSecond: 134217728 }",
    ])
      expect(validatePolicyText(withSetting(setting)).ok, setting).toBe(true);
  });
});

describe("stillNamesAll: whether an open connection, re-identified after a policy change, is still its caller", () => {
  const workload = { id: "spiffe://prod.example.com/ns/a/sa/b" } as Identity["workload"];
  const user = { email: "ann@example.com", sub: "s-1", groups: ["sre"] };
  const token = {
    issuer: "k8s",
    kind: "kubernetes",
    subject: "system:serviceaccount:a:b",
    claims: {},
  } as unknown as NonNullable<Identity["workloadToken"]>;

  it("holds when every credential verifies as the same caller with the same scopes (groups not asked again)", () => {
    const opened: Identity = { workload, user, claims: { a: 1 }, workloadToken: token, scopes: ["read", "write"] };
    const fresh: Identity = {
      workload,
      user: { email: "ann@example.com", sub: "s-1" },
      claims: { a: 1 },
      workloadToken: token,
      scopes: ["write", "read"],
    };
    expect(stillNamesAll(opened, fresh)).toBe(true);
  });

  it("fails when a credential no longer verifies, names someone else, or grants other scopes", () => {
    const opened: Identity = { workload, user, workloadToken: token, scopes: ["read"] };
    expect(stillNamesAll(opened, {})).toBe(false);
    expect(stillNamesAll(opened, { workload, user, scopes: ["read"] })).toBe(false);
    expect(
      stillNamesAll(opened, {
        workload,
        user: { email: "ann@example.com", sub: "s-2" },
        workloadToken: token,
        scopes: ["read"],
      }),
    ).toBe(false);
    expect(stillNamesAll(opened, { workload, user, workloadToken: token, scopes: ["read", "admin"] })).toBe(false);
    expect(
      stillNamesAll(opened, { workload, user, workloadToken: { ...token, subject: "other" }, scopes: ["read"] }),
    ).toBe(false);
    expect(stillNamesAll({ serviceToken: { clientId: "x" } }, { serviceToken: { clientId: "y" } })).toBe(false);
    expect(stillNamesAll({ user: { email: "a@example.com" } }, {})).toBe(false);
  });
});

describe("websocket-rate-below-message", () => {
  const warned = (websocket: unknown) =>
    validatePolicy(
      oneServicePolicy([
        {
          id: "live",
          methods: ["GET"],
          path: "/live",
          rules: [{ id: "all", effect: "allow", principals: [{ authenticated: true }] }],
          websocket,
        },
      ]),
    ).issues.filter((i) => i.code === "websocket-rate-below-message");

  it("compares a byte budget with the route's largest message, or the default one when it sets none", () => {
    expect(warned({ maxBytesPerSecond: 65_536 }).map((i) => i.message)).toEqual([
      "route live allows messages of 1048576 bytes (the default) but 65536 bytes a second: Ward applies 1048640 a second (a message counts 64 bytes besides its own), so that one such message can pass",
    ]);
    expect(warned({ maxBytesPerSecond: 65_536, maxMessageBytes: 4096 })).toEqual([]);
    expect(warned({ maxBytesPerSecond: 4100, maxMessageBytes: 4096 }).map((i) => i.hint)).toEqual([
      "set maxBytesPerSecond to at least 4160, or lower maxMessageBytes",
    ]);
    expect(warned({ maxBytesPerSecond: 4160, maxMessageBytes: 4096 })).toEqual([]);
    expect(warned({ maxBytesPerSecond: 2_097_152 })).toEqual([]);
    expect(warned(true)).toEqual([]);
  });
});
