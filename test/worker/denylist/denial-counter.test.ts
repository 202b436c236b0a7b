// The DenialCounter object at its edges, with the real Denylist object behind it: a denial exactly `within` old
// has left the window, the count starts again once a quarantine is recorded, and a quarantine is announced once,
// however many denials cross the threshold while the isolates' copies do not list it yet.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { countDenial, type DenialCounter } from "../../../worker/denylist/quarantine.ts";
import { compileTokenIssuer, principalKey, TokenIssuer, workloadTokenOf } from "../../../policy/index.ts";
import { originSaw } from "../support/harness.ts";

const MINUTE = 60_000;

/** GitHub Actions' issuer: a workload token's subject is any plain, visible text it signs. */
const github = () =>
  compileTokenIssuer(
    TokenIssuer.parse({
      name: "github-actions",
      kind: "oidc",
      issuer: "https://token.actions.githubusercontent.com",
      keys: { discovery: "https://token.actions.githubusercontent.com/.well-known/openid-configuration" },
      maxLifetime: "10m",
    }),
  );

// Each case counts against a principal of its own: nothing else here, nor in another file, denies it.
const counter = (principal: string) => (env as Env).DENIAL_COUNTER.getByName(principal);

describe("the denial count", () => {
  it("leaves out a denial exactly `within` old, and counts one a millisecond younger", async () => {
    const config = { deniedRequests: 2, within: "60s", for: "1h" };
    const edge = "user:window-edge@example.com";
    const t0 = Date.now();
    expect(await counter(edge).record(edge, config, t0)).toBeUndefined();
    // The first denial is now 60 s old: out of the window, so this one is the only one counted.
    expect(await counter(edge).record(edge, config, t0 + MINUTE)).toBeUndefined();
    const inside = "user:window-inside@example.com";
    expect(await counter(inside).record(inside, config, t0)).toBeUndefined();
    expect(await counter(inside).record(inside, config, t0 + MINUTE - 1)).toMatchObject({
      kind: "quarantine",
      value: inside,
      reason: "2 denied requests within 60s",
    });
  });

  it("starts from zero once a quarantine is recorded: one more denial does not quarantine again", async () => {
    const config = { deniedRequests: 3, within: "10m", for: "1h" };
    const who = "user:count-cleared@example.com";
    const now = Date.now();
    for (let i = 0; i < 2; i++) expect(await counter(who).record(who, config, now + i)).toBeUndefined();
    expect(await counter(who).record(who, config, now + 2)).toMatchObject({ kind: "quarantine", value: who });
    // Had the count been kept, the denial after a release would put the caller straight back in quarantine.
    expect(await counter(who).record(who, config, now + 3)).toBeUndefined();
  });
});

describe("the announcement", () => {
  it("is sent for the denial that recorded the quarantine, not again for one that found it recorded", async () => {
    const config = { deniedRequests: 1, within: "10m", for: "1h" };
    const who = "user:announced-once@example.com";
    const now = Date.now();
    await countDenial(env as Env, who, config, now);
    // A denial made before the isolate's copy listed the quarantine crosses the threshold again.
    await countDenial(env as Env, who, config, now + 1);
    const announced = (await originSaw("__notify-webhook")).filter((r) => r.body.includes(who));
    expect(announced).toHaveLength(1);
    expect(JSON.parse(announced[0]!.body).text).toContain(`Ward quarantined \`${who}\``);
  });

  it("carries no chat markup a caller chose: its subject's `<!channel>` or `<url|text>` is text, not a ping or a link", async () => {
    // An oidc issuer's `sub` is any plain, visible text: GitHub's names the branch, and git takes `<`, `>`, `|`,
    // `!` in a branch name. Whoever may push one is quarantined under that name, and the name is announced.
    const issuer = github();
    const sub = "repo:org/app:ref:refs/heads/<!channel>-<https://evil.example/approve|Approve-the-release>&amp";
    const now = Math.floor(Date.now() / 1000);
    const verified = workloadTokenOf(issuer, { iss: issuer.issuer, sub, iat: now, exp: now + 60 }, now);
    if (!verified.ok) throw new Error(verified.problem);
    const who = principalKey({ workloadToken: verified.value.identity });
    await countDenial(env as Env, who, { deniedRequests: 1, within: "10m", for: "1h" }, Date.now());
    const announced = (await originSaw("__notify-webhook")).filter((r) => r.body.includes("Approve-the-release"));
    expect(announced).toHaveLength(1);
    const body = JSON.parse(announced[0]!.body) as { text: string; quarantine: { value: string } };
    // Slack reads `<...>` in `text` as a mention or a link, and asks for `&`, `<` and `>` escaped in it.
    expect(body.text).not.toMatch(/[<>]/);
    expect(body.text).toContain("&lt;!channel&gt;-&lt;https://evil.example/approve|Approve-the-release&gt;&amp;amp");
    // The record itself is data, not a message: as it is.
    expect(body.quarantine.value).toBe(who);
  });

  it("carries no Markdown a caller chose: `@channel`, `@all`, links, emphasis are shown in a code span (from a review)", async () => {
    // Mattermost and Microsoft Teams read an incoming webhook's `text` as Markdown, and Mattermost pings the channel
    // for `@channel` or `@all` outside code. GitHub's `sub` names the branch, and git takes all of these in one.
    const now = Math.floor(Date.now() / 1000);
    const sub =
      "repo:org/app:ref:refs/heads/@channel-@all-@here-[Approve](https://evil.example/a)-**now**-_x_-~y~-#1-" +
      "`tick`-``two``-![i](https://evil.example/i.png)-https://evil.example/bare";
    const verified = workloadTokenOf(github(), { iss: github().issuer, sub, iat: now, exp: now + 60 }, now);
    if (!verified.ok) throw new Error(verified.problem);
    const who = principalKey({ workloadToken: verified.value.identity });
    await countDenial(env as Env, who, { deniedRequests: 1, within: "10m", for: "1h" }, Date.now());
    const announced = (await originSaw("__notify-webhook")).filter((r) => r.body.includes("evil.example/bare"));
    expect(announced).toHaveLength(1);
    const body = JSON.parse(announced[0]!.body) as { text: string; quarantine: { value: string } };
    // The caller's name is one code span, whose backticks cannot end it early (Mattermost strips code before it
    // looks for mentions, and shows what is in it as it is), and nothing of it stands outside.
    const spans = body.text.match(/`[^`]*`/g) ?? [];
    const outside = body.text.replace(/`[^`]*`/g, "");
    expect(outside).not.toMatch(/[@[\]()*_~#!`<>]|https?:/);
    expect(spans).toContain(`\`${who.replaceAll("`", "'")}\``);
    expect(body.text.startsWith(`Ward quarantined \`${who.replaceAll("`", "'")}\` until \``)).toBe(true);
    expect(body.quarantine.value).toBe(who);
  });
});

describe("the quarantine entry a crossing denial returns", () => {
  it("is a plain entry, not the Denylist object's RPC result with the runtime's disposer", async () => {
    // From a review: the entry was the result of the call to the Denylist object, returned as it was. That result
    // carries a disposer the runtime adds, so the runtime made the counter's own result one that must be disposed,
    // and countDenial never did: "An RPC result was not disposed properly" when it was garbage-collected.
    const principal = "user:plain-entry@example.com";
    const config = { deniedRequests: 1, within: "60s", for: "1h" };
    const entry = await runInDurableObject(counter(principal), (instance: DenialCounter) =>
      instance.record(principal, config, Date.now()),
    );
    expect(entry).toMatchObject({ kind: "quarantine", value: principal });
    expect(Object.getOwnPropertySymbols(entry!)).toEqual([]);
  });
});
