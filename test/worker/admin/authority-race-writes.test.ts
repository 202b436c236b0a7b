// From a review: the grant, revocation and shadow writes were not checked again against the version their caller
// was authorised by, as a move of the pointer is (authority-race.test.ts). An admin a push removes while his call
// is on its way (its body sent slowly, at will) could still make a break-glass grant, or lift a revocation,
// after the push that removed him.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { documentKey, versionKey } from "../../../policy/index.ts";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { captured } from "../support/captured-log.ts";
import { adminCaller } from "./admin-calls.ts";
import { labelled, versionOf, withAdmin } from "./policies.ts";
import { control, pushDirectly, racingEnv } from "./racing-push.ts";

const call = adminCaller("n-w");

/** bob's call, made while a push removing him lands between his admission and his write. */
async function bobRemovedMeanwhile(path: string, init: RequestInit) {
  const e = racingEnv(async () => void (await pushDirectly(labelled(`bob removed ${crypto.randomUUID()}`), "")));
  return captured(() => call("bob@example.com", path, init, e));
}

/** What KV holds under a version's keys: a refused caller's text must leave nothing there. */
async function storedUnder(text: string): Promise<(string | null)[]> {
  const version = await versionOf(text);
  return [await env.POLICY.get(versionKey(version)), await env.POLICY.get(documentKey(version))];
}

beforeEach(async () => {
  await pushDirectly(withAdmin(`bob is an admin ${crypto.randomUUID()}`, "bob@example.com"), "bob is an admin");
  resetPolicyCache();
});

describe("an admin removed while his write is on its way", () => {
  it("makes no break-glass grant", async () => {
    const { result, lines } = await bobRemovedMeanwhile("/breakglass", {
      method: "POST",
      body: JSON.stringify({ service: "wiki", minutes: 5, justification: "sent slowly, landing after the push" }),
    });
    const grants = await env.GRANTS.getByName("service:wiki").list(true);
    expect({ status: result.status, bobs: grants.filter((g) => g.createdBy === "user:bob@example.com") }).toEqual({
      status: 409,
      bobs: [],
    });
    expect(lines.filter((l) => l.event === "admin-authority-changed")).toHaveLength(1);
    expect(lines.filter((l) => l.event === "break-glass-granted")).toHaveLength(0);
  });

  it("makes no exception", async () => {
    const { result } = await bobRemovedMeanwhile("/exceptions", {
      method: "POST",
      body: JSON.stringify({
        principal: { email: "bob@example.com" },
        service: "wiki",
        reason: "sent slowly",
        ticket: "T-1",
        requestedBy: "bob",
        approvedBy: "bob",
        notAfter: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    });
    const grants = await env.GRANTS.getByName("service:wiki").list(true);
    expect(result.status).toBe(409);
    expect(grants.filter((g) => g.createdBy === "user:bob@example.com")).toEqual([]);
  });

  it("revokes no grant", async () => {
    const made = await call("admin@example.com", "/breakglass", {
      method: "POST",
      body: JSON.stringify({
        principal: { email: "x@example.com" },
        service: "wiki",
        minutes: 5,
        justification: "to be kept open",
      }),
    });
    const { id } = ((await made.json()) as { grant: { id: string } }).grant;
    const { result } = await bobRemovedMeanwhile(`/grants/wiki/${id}`, { method: "DELETE" });
    const [grant] = (await env.GRANTS.getByName("service:wiki").list(true)).filter((g) => g.id === id);
    expect({ status: result.status, grant: grant?.status }).toEqual({ status: 409, grant: "active" });
  });

  it("revokes no credential", async () => {
    const { result } = await bobRemovedMeanwhile("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "carol@example.com", reason: "sent slowly" }),
    });
    const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
    expect(result.status).toBe(409);
    expect((await denylist.list(false, Date.now())).filter((e) => e.value === "carol@example.com")).toEqual([]);
  });

  it("lifts no revocation", async () => {
    const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
    const made = await call("admin@example.com", "/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "dave@example.com", reason: "kept" }),
    });
    const { id } = ((await made.json()) as { entry: { id: string } }).entry;
    const lift = await bobRemovedMeanwhile(`/denylist/${id}`, { method: "DELETE" });
    expect(lift.result.status).toBe(409);
    expect((await denylist.list(false, Date.now())).some((e) => e.id === id)).toBe(true);
  });

  it("pushes no version and stores no text", async () => {
    const { active } = await control().state(1);
    const text = withAdmin(`bob's push, removed ${crypto.randomUUID()}`, "bob@example.com");
    const { result, lines } = await bobRemovedMeanwhile("/policy", {
      method: "PUT",
      body: JSON.stringify({ text, expected: active, message: "sent slowly" }),
    });
    expect({ status: result.status, stored: await storedUnder(text) }).toEqual({ status: 409, stored: [null, null] });
    expect(lines.filter((l) => l.event === "admin-authority-changed")).toHaveLength(1);
  });

  it("sets no shadow candidate and stores no text", async () => {
    const text = withAdmin(`bob's candidate, removed ${crypto.randomUUID()}`, "bob@example.com");
    const { result } = await bobRemovedMeanwhile("/policy/shadow", {
      method: "PUT",
      body: JSON.stringify({ text, message: "sent slowly" }),
    });
    expect({ status: result.status, stored: await storedUnder(text) }).toEqual({ status: 409, stored: [null, null] });
  });

  it("neither sets nor clears the shadow candidate", async () => {
    const candidate = withAdmin(`bob's candidate ${crypto.randomUUID()}`, "bob@example.com");
    const set = await bobRemovedMeanwhile("/policy/shadow", {
      method: "PUT",
      body: JSON.stringify({ text: candidate, message: "sent slowly" }),
    });
    expect({ status: set.result.status, shadow: (await control().state(1)).shadow }).toEqual({
      status: 409,
      shadow: null,
    });
    resetPolicyCache();
    const kept = await call("admin@example.com", "/policy/shadow", {
      method: "PUT",
      body: JSON.stringify({ text: labelled(`kept candidate ${crypto.randomUUID()}`) }),
    });
    expect(kept.status).toBe(200);
    const shadow = (await control().state(1)).shadow;
    await pushDirectly(withAdmin(`bob again ${crypto.randomUUID()}`, "bob@example.com"), "bob is an admin");
    resetPolicyCache();
    const clear = await bobRemovedMeanwhile("/policy/shadow", { method: "DELETE" });
    expect({ status: clear.result.status, shadow: (await control().state(1)).shadow }).toEqual({
      status: 409,
      shadow,
    });
  });
});

/** bob's call, made while another admin revokes his credential between his admission and his write. */
async function bobRevokedMeanwhile(path: string, init: RequestInit) {
  const e = racingEnv(async () => {
    const revocation = { kind: "revocation" as const, match: "email" as const, value: "bob@example.com" };
    await env.DENYLIST.getByName(DENYLIST_NAME).add(
      { ...revocation, reason: "credential leaked", expiresAt: null },
      "user:admin@example.com",
      Date.now(),
    );
  });
  return captured(() => call("bob@example.com", path, init, e));
}

describe("an admin revoked while his write is on its way", () => {
  afterEach(async () => {
    const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
    for (const entry of await denylist.list(false, Date.now()))
      if (entry.value === "bob@example.com") await denylist.release(entry.id, "test", Date.now());
  });

  it("makes no break-glass grant, refused as at admission", async () => {
    const { result, lines } = await bobRevokedMeanwhile("/breakglass", {
      method: "POST",
      body: JSON.stringify({ service: "wiki", minutes: 5, justification: "sent slowly, after his revocation" }),
    });
    const grants = await env.GRANTS.getByName("service:wiki").list(true);
    expect({ status: result.status, bobs: grants.filter((g) => g.createdBy === "user:bob@example.com") }).toEqual({
      status: 403,
      bobs: [],
    });
    expect(lines.filter((l) => l.event === "admin-request" && l.denylist !== undefined)).toHaveLength(1);
    expect(lines.filter((l) => l.event === "break-glass-granted")).toHaveLength(0);
  });

  it("revokes no credential", async () => {
    const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
    const { result } = await bobRevokedMeanwhile("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "erin@example.com", reason: "sent slowly" }),
    });
    expect(result.status).toBe(403);
    expect((await denylist.list(false, Date.now())).filter((e) => e.value === "erin@example.com")).toEqual([]);
  });

  it("pushes no version", async () => {
    const { active } = await control().state(1);
    const text = withAdmin(`bob's push ${crypto.randomUUID()}`, "bob@example.com");
    const { result } = await bobRevokedMeanwhile("/policy", {
      method: "PUT",
      body: JSON.stringify({ text, expected: active, message: "sent slowly" }),
    });
    expect({ status: result.status, active: (await control().state(1)).active }).toEqual({ status: 403, active });
    expect(await storedUnder(text)).toEqual([null, null]);
  });

  it("sets no shadow candidate and stores no text", async () => {
    const { shadow } = await control().state(1);
    const text = withAdmin(`bob's candidate, revoked ${crypto.randomUUID()}`, "bob@example.com");
    const { result } = await bobRevokedMeanwhile("/policy/shadow", {
      method: "PUT",
      body: JSON.stringify({ text, message: "sent slowly" }),
    });
    expect({ status: result.status, shadow: (await control().state(1)).shadow }).toEqual({ status: 403, shadow });
    expect(await storedUnder(text)).toEqual([null, null]);
  });
});
