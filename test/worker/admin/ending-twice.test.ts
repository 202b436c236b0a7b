// Ending what is already ended changes nothing, and the answer and the log say so: a second lift of a revocation
// (or revoke of a grant) was answered 200 and logged `revocation-lifted` (`grant-revoked`) for the second admin,
// so the log named two admins for one lift, and an operator was told "lifted" for a lift another had made.
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";
import { env, exports } from "cloudflare:workers";
import { SHADOW_KEY } from "../../../policy/index.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

async function as(email: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`${ADMIN}${path}`, { ...init, headers });
}

const events = (lines: Record<string, unknown>[], event: string) => lines.filter((l) => l.event === event);

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("ending what is already ended", () => {
  it("a revocation lifted once: a second lift is refused, not logged, and the first lifter stays", async () => {
    const made = await as("admin@example.com", "/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "twice@example.com", reason: "lifted twice" }),
    });
    expect(made.status).toBe(201);
    const { id } = ((await made.json()) as { entry: { id: string } }).entry;
    const first = await captured(() =>
      as("admin@example.com", `/denylist/${id}?kind=revocation`, { method: "DELETE" }),
    );
    expect(first.result.status).toBe(200);
    expect(events(first.lines, "revocation-lifted")).toHaveLength(1);
    const second = await captured(() =>
      as("admin@other.example", `/denylist/${id}?kind=revocation`, { method: "DELETE" }),
    );
    expect(second.result.status).toBe(409);
    expect(((await second.result.json()) as { error: string }).error).toContain("nothing changed");
    expect(events(second.lines, "revocation-lifted")).toHaveLength(0);
    const listed = (await (await as("admin@example.com", "/denylist?all=1")).json()) as {
      entries: { id: string; releasedBy: string }[];
    };
    expect(listed.entries.find((e) => e.id === id)?.releasedBy).toBe("user:admin@example.com");
  });

  it("a grant revoked once: a second revoke is refused and not logged, its history has one revocation", async () => {
    const made = await as("admin@example.com", "/breakglass", {
      method: "POST",
      body: JSON.stringify({
        principal: { email: "twice@example.com" },
        service: "wiki",
        minutes: 5,
        justification: "revoked twice over",
      }),
    });
    expect(made.status).toBe(201);
    const { id } = ((await made.json()) as { grant: { id: string } }).grant;
    const first = await captured(() => as("admin@example.com", `/grants/wiki/${id}`, { method: "DELETE" }));
    expect(first.result.status).toBe(200);
    expect(events(first.lines, "grant-revoked")).toHaveLength(1);
    const second = await captured(() => as("admin@other.example", `/grants/wiki/${id}`, { method: "DELETE" }));
    expect(second.result.status).toBe(409);
    expect(events(second.lines, "grant-revoked")).toHaveLength(0);
    const history = (await (await as("admin@example.com", `/grants/wiki/${id}/events`)).json()) as {
      events: { action: string; who: string }[];
    };
    expect(history.events.filter((e) => e.action === "revoked")).toEqual([
      expect.objectContaining({ who: "user:admin@example.com" }),
    ]);
  });
  it("a shadow cleared with none set: nothing recorded in the history or logged, a stale pointer still removed", async () => {
    // Each such clear was recorded (`shadow-clear` of nothing): a routine clean-up step filled the history, and
    // `ward rollback` reads only its latest 50 entries for the version to return to.
    const policy = async () =>
      (await (await as("admin@example.com", "/policy")).json()) as { shadow: string | null; history: unknown[] };
    const before = await policy();
    expect(before.shadow).toBeNull();
    // A pointer left behind (a promote whose removal of it failed): a clear is how an operator removes it.
    await env.POLICY.put(SHADOW_KEY, "ab".repeat(32));
    const cleared = await captured(() => as("admin@example.com", "/policy/shadow", { method: "DELETE" }));
    expect(cleared.result.status).toBe(200);
    expect(await cleared.result.json()).toEqual({ entry: null });
    expect(events(cleared.lines, "shadow-cleared")).toHaveLength(0);
    expect(await env.POLICY.get(SHADOW_KEY)).toBeNull();
    expect((await policy()).history).toEqual(before.history);
  });
});
