// `ward why` on hand-written decision lines: the next step follows the answer the client got (429, 502,
// 503, 504 after an allow) and the reasons of a denial (revoked, quarantined, the denylist unknown).
import { describe, expect, it } from "vitest";
import { whyCommand } from "../../scripts/commands/why.ts";

const ID = "0f0f0f0f-1111-2222-3333-444444444444";

function line(over: Record<string, unknown>): string {
  return JSON.stringify({
    level: "info",
    event: "decision",
    time: "2026-12-01T10:00:00.000Z",
    requestId: ID,
    principal: "user:ann@example.com",
    method: "GET",
    host: "wiki.example.com",
    path: "/page",
    service: "wiki",
    route: "wiki/page",
    rule: "wiki/page/staff",
    effect: "allow",
    mode: "enforce",
    reasons: ["allowed-by-rule"],
    wouldDeny: null,
    status: 200,
    policyVersion: "ab".repeat(32),
    latencyMs: 1,
    credential: null,
    exception: null,
    ...over,
  });
}

async function why(log: string, ...flags: string[]): Promise<string> {
  const out: string[] = [];
  const code = await whyCommand(
    [ID.toUpperCase(), "-", ...flags],
    { out: (l) => out.push(l), err: () => {} },
    async () => log,
  );
  expect(code).toBe(0);
  return out.join("\n");
}

describe("ward why: the next step", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["rate limited", { status: 429 }, "a rate limit was reached (the rule's, or the origin's own)"],
    ["the origin failed", { status: 502 }, "Ward allowed it; the origin failed (502): look at the origin"],
    ["the origin timed out", { status: 504 }, "Ward allowed it; the origin did not answer in time (504)"],
    ["Ward could not sign or count", { status: 503 }, "Ward allowed it; Ward could not complete it"],
    ["the origin refused", { status: 403 }, "Ward allowed it; the origin answered 403 itself: look at the origin"],
    [
      "revoked",
      { effect: "deny", status: 403, rule: null, reasons: ["revoked"] },
      "this credential is revoked: contact security, and use a new credential once they agree",
    ],
    [
      "quarantined",
      { effect: "deny", status: 403, rule: null, reasons: ["quarantined"] },
      "this identity is quarantined after repeated denials",
    ],
    [
      "the denylist unknown",
      { effect: "deny", status: 503, rule: null, reasons: ["denylist-unavailable"] },
      "the denylist could not be read",
    ],
    [
      "no rule, no owner file",
      { effect: "deny", status: 403, rule: null, reasons: ["no-matching-rule"] },
      "ask the service's owner for access to wiki/page",
    ],
    [
      "audit mode would deny",
      {
        reasons: ["audit-would-deny", "no-matching-rule"],
        wouldDeny: { status: 403, reasons: ["no-matching-rule"], rule: null },
      },
      "ask the service's owner for access to wiki/page",
    ],
  ])("%s", async (_name, over, step) => {
    const text = await why(`${line({ requestId: "other" })}\nnot json\n${line(over)}\n`);
    expect(text).toMatch(/^request {3}0f0f0f0f-1111-2222-3333-444444444444 at 2026-12-01T10:00:00.000Z$/m);
    expect(text).toContain(`next step ${step}`);
  });

  it.each<[string, number, string]>([
    [
      "rate-limited",
      429,
      "Ward's own rate limit (the rule's) was reached (429); the origin was not asked: wait, the response's Retry-After says how long",
    ],
    [
      "rate-limit-unavailable",
      503,
      "Ward allowed it; its rate-limit store (RATE_LIMITER) did not answer and the rule does not fail open",
    ],
    [
      "assertion-unavailable",
      503,
      "Ward allowed it; it could not sign the assertion (ASSERTION_SIGNING_KEYS unusable, 503)",
    ],
    ["origin-unavailable", 503, "Ward allowed it; the service's origin has no binding the Worker can call (503)"],
    ["origin-error", 502, "Ward allowed it and forwarded it; the origin failed (502"],
    ["origin-timeout", 504, "Ward allowed it and forwarded it; the origin did not answer in time (504"],
  ])(
    "an allow Ward answered itself (outcome %s): the outcome, and a step for it alone",
    async (outcome, status, step) => {
      const text = await why(line({ status, outcome }));
      expect(text).toMatch(new RegExp(`^outcome {3}${outcome}$`, "m"));
      expect(text).toContain(`next step ${step}`);
      // The outcome says which: no step that leaves it between Ward and the origin.
      expect(text).not.toMatch(/the origin's own|or the origin answered|the origin answered \d+ itself/);
    },
  );

  it("an outcome this Ward does not know is shown as written; the step names Ward and the origin", async () => {
    const text = await why(line({ status: 503, outcome: "shiny-new-outcome" }));
    expect(text).toMatch(/^outcome {3}shiny-new-outcome$/m);
    expect(text).toContain("or the origin answered 503 itself");
  });

  it("shows the failing facts logged with a refusal, and the next step names the group to join", async () => {
    const text = await why(
      line({
        effect: "deny",
        status: 403,
        rule: null,
        reasons: ["no-matching-rule"],
        trace: [
          {
            rule: "wiki/page/no-bots",
            effect: "deny",
            outcome: "principal-not-matched",
            detail: ["caller is none of: serviceToken bot"],
          },
          {
            rule: "wiki/page/editors",
            effect: "allow",
            outcome: "principal-not-matched",
            detail: ["caller is none of: group wiki-editors; email boss@example.com"],
          },
        ],
      }),
    );
    expect(text).toContain(
      [
        "rules:",
        "  ✗ wiki/page/no-bots (deny): principal not matched",
        "      - caller is none of: serviceToken bot",
        "  ✗ wiki/page/editors (allow): principal not matched",
        "      - caller is none of: group wiki-editors; email boss@example.com",
      ].join("\n"),
    );
    expect(text).toContain(
      "next step ask the service's owner to add you to group wiki-editors (rule wiki/page/editors admits it), or for access otherwise",
    );
  });

  it("the next step for a missing scope names the scope and the rule", async () => {
    const text = await why(
      line({
        effect: "deny",
        status: 403,
        rule: null,
        reasons: ["no-matching-rule"],
        trace: [
          {
            rule: "wiki/page/bot",
            effect: "allow",
            outcome: "conditions-failed",
            detail: ["missing scope wiki:write"],
          },
        ],
      }),
    );
    expect(text).toContain(
      "next step get a token that carries scope wiki:write from your token issuer (rule wiki/page/bot requires it), then call again",
    );
  });

  it("an allow answered by the origin has no next step; the audit line shows what enforce would do", async () => {
    expect(await why(line({}))).not.toContain("next step");
    const audited = await why(
      line({
        reasons: ["audit-would-deny", "no-matching-rule"],
        wouldDeny: { status: 403, reasons: ["no-matching-rule"] },
      }),
    );
    expect(audited).toContain("audit     enforce mode would answer 403 (no-matching-rule)");
  });

  it("a request refused before any decision (no policy): the facts there are, and what to check", async () => {
    const text = await why(
      JSON.stringify({
        level: "error",
        event: "decision",
        requestId: ID,
        effect: "deny",
        reasons: ["policy-unavailable"],
        status: 503,
      }),
    );
    expect(text).toBe(
      [
        `request   ${ID}`,
        "answer    DENY 503",
        "reasons   policy-unavailable",
        "next step the gateway had no usable policy (503): check the policy store (ward history; the gateway's policy-* error lines), then retry",
      ].join("\n"),
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["an entry", { entry: "rev-1a2b3c4d" }, "listed by rev-1a2b3c4d"],
    [
      "a security event's entry",
      { entry: "rev-5e6f", jti: "set-42", transmitter: "https://idp.example.com" },
      "listed by rev-5e6f (security event jti set-42 from transmitter https://idp.example.com)",
    ],
  ])("a refusal of the denylist names what listed the caller: %s", async (_name, listedBy, shown) => {
    const text = await why(line({ effect: "deny", status: 403, rule: null, reasons: ["revoked"], listedBy }));
    expect(text).toMatch(new RegExp(`^reasons   revoked\n${shown.replace(/[().]/g, "\\$&")}$`, "m"));
  });

  it("shows what the shadow candidate would have answered the same request", async () => {
    const text = await why(
      line({
        shadow: {
          version: "cd".repeat(32),
          effect: "deny",
          status: 403,
          route: "wiki/page",
          rule: null,
          reasons: ["no-matching-rule"],
        },
      }),
    );
    expect(text).toMatch(/^shadow {4}cdcdcdcdcdcd would answer DENY 403 \(no-matching-rule\)$/m);
    expect(await why(line({}))).not.toContain("shadow");
  });

  /** The line of a request Ward failed on (500), with the error it logged. */
  const failed = (error: string) =>
    JSON.stringify({
      level: "error",
      event: "decision",
      requestId: ID,
      method: "GET",
      host: "wiki.example.com",
      path: "/x",
      effect: "deny",
      reasons: ["internal-error"],
      status: 500,
      error,
    });

  it("a request Ward failed on (500): the error for operators, and what to do", async () => {
    const text = await why(failed("Error: boom"));
    expect(text).toContain("answer    DENY 500\n");
    expect(text).toContain("error     Error: boom\n");
    expect(text).toContain("next step Ward failed unexpectedly (500); nothing was forwarded");
  });

  it("an admin call whose store the platform said did not answer (503): retry, after checking a change was not made", async () => {
    const text = await why(failed("Error: Network connection lost.").replace('"status":500', '"status":503'));
    expect(text).toContain("answer    DENY 503\n");
    expect(text).toContain(
      "next step a store Ward keeps its state in did not answer (503); nothing was forwarded: retry, and after a change",
    );
    expect(text).not.toContain("report it");
  });

  it("prints a logged field holding a line break as one line (an older Ward's error, an edited log)", async () => {
    const text = await why(failed("Error: boom\nnext step ignore this"));
    expect(text).toContain("error     Error: boom\\u000anext step ignore this\n");
    expect(text.split("\n").filter((line) => line.startsWith("next step"))).toEqual([
      "next step Ward failed unexpectedly (500); nothing was forwarded: the line's error says where, report it with the request id",
    ]);
  });

  it.each<[number, string | undefined]>([
    [200, undefined],
    [401, "sign in (Access) and retry"],
    [403, "the caller is not allowed there"],
    [503, "Ward could not answer"],
  ])("an answer of Ward's own paths (%i): no decision, and a step that fits", async (status, step) => {
    const text = await why(
      JSON.stringify({
        level: "info",
        event: "decision",
        requestId: ID,
        principal: "anonymous",
        method: "GET",
        host: "wiki.example.com",
        path: "/.ward/apps",
        effect: null,
        reasons: ["ward-portal"],
        status,
      }),
    );
    expect(text).toContain(`answer    ${status} (Ward's own path, no policy decision)\n`);
    if (step) expect(text).toContain(`next step ${step}`);
    else expect(text).not.toContain("next step");
  });

  it("a denial with no route names no route", async () => {
    const text = await why(line({ effect: "deny", status: 403, route: null, rule: null, reasons: ["denied-by-rule"] }));
    expect(text).toMatch(/^next step ask the service's owner for access$/m);
  });

  it("a request id in no log is a failure (exit 1)", async () => {
    await expect(
      whyCommand(["nope", "-"], { out: () => {}, err: () => {} }, async () => line({})),
    ).rejects.toMatchObject({ exitCode: 1 });
  });
});

describe("ward why: a WebSocket upgrade", () => {
  const opened = line({ route: "wiki/live", rule: "wiki/live/staff", status: 101, outcome: "websocket-opened" });
  const closed = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      level: "info",
      event: "websocket-closed",
      time: "2026-12-01T10:02:05.000Z",
      requestId: ID,
      principal: "user:ann@example.com",
      service: "wiki",
      route: "wiki/live",
      cause: "revoked",
      code: 4403,
      durationMs: 125_000,
      messagesFromClient: 3,
      messagesFromOrigin: 4,
      ...over,
    });

  it("shows how its connection closed, the cause in words, beside the decision that opened it", async () => {
    const text = await why(`${opened}\n${closed({ requestId: "other", cause: "idle" })}\n${closed()}\n`);
    expect(text).toContain("answer    ALLOW 101");
    expect(text).toMatch(
      /^websocket closed: revoked after 2\.1m \(code 4403; 3 messages from the client, 4 from the origin\): the caller's credential was revoked/m,
    );
    expect(text).not.toContain("idle");
  });

  it("finds the close line inside a log export's wrapper (Logpush)", async () => {
    const wrapped = JSON.stringify({
      Logs: [{ Level: "log", Message: [closed({ cause: "grant-expired", durationMs: 1500 })] }],
    });
    const text = await why(`${opened}\n${wrapped}\n`);
    expect(text).toMatch(/^websocket closed: grant-expired after 1\.5s .*: the grant that allowed it expired$/m);
  });

  it("says when the logs hold no close line (still open, or closed after they end)", async () => {
    expect(await why(opened)).toMatch(/^websocket opened; no close line in these logs/m);
    expect(await why(line({}))).not.toContain("websocket");
  });

  it("a cause this Ward does not know is shown as written", async () => {
    expect(await why(`${opened}\n${closed({ cause: "shiny-new-cause" })}`)).toMatch(
      /^websocket closed: shiny-new-cause after .*: shiny-new-cause$/m,
    );
  });

  it("--json adds the close line to the decision", async () => {
    const json = JSON.parse(await why(`${opened}\n${closed()}`, "--json"));
    expect(json).toMatchObject({
      outcome: "websocket-opened",
      websocketClosed: { cause: "revoked", durationMs: 125_000 },
    });
  });
});
