// The admin API in workerd with the real PolicyControl Durable Object and real KV: only the policy's admins
// get in; a push moves the pointer only from the version it was diffed against (compare-and-set), so of two
// concurrent pushes one wins and the other is told, and both versions stay stored; rollback and history.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { POLICY_CONTROL_NAME } from "../../../worker/policy-store/control.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import {
  ACTIVE_KEY,
  documentKey,
  loadPolicy,
  MAX_JSON_POLICY_BYTES,
  MAX_POLICY_BYTES,
  policyHash,
  SHADOW_KEY,
  versionKey,
} from "../../../policy/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { labelled, versionOf } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

let bootstrapped: string;

async function as(email: string | undefined, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (email)
    headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-${email}` }));
  return exports.default.fetch(`${ADMIN}${path}`, { ...init, headers });
}

const push = (body: unknown, email = "admin@example.com") =>
  as(email, "/policy", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

beforeAll(async () => {
  // The bootstrap path: the pointer written straight to KV; the Durable Object adopts it.
  bootstrapped = await activate(demoPolicy);
});

describe("admin API access", () => {
  it("is not served on an application's host: a script on the app's page cannot use a visiting admin's session", async () => {
    const m = marker();
    const token = await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-admin-on-wiki" });
    // What a script on the wiki's page sends same-origin: Access adds the visitor's token to every request.
    const browser = {
      "cf-access-jwt-assertion": token,
      "sec-fetch-site": "same-origin",
      "sec-fetch-mode": "cors",
      origin: "https://wiki.localhost",
      "content-type": "text/plain;charset=UTF-8",
    };
    const before = await as("admin@example.com", "/grants?kind=break-glass&service=payments");
    expect(before.status).toBe(200);
    const open = ((await before.json()) as { grants: unknown[] }).grants.length;
    const grant = await exports.default.fetch(`https://wiki.localhost/.ward/admin/breakglass?${m}`, {
      method: "POST",
      headers: browser,
      body: JSON.stringify({
        service: "payments",
        minutes: 30,
        justification: "created by a script on the wiki's page",
      }),
    });
    // Not found there, whoever asks, and not handed to the wiki's origin (its route takes every path).
    expect(grant.status).toBe(404);
    const read = await exports.default.fetch(`https://wiki.localhost/.ward/admin/policy?${m}`, { headers: browser });
    expect(read.status).toBe(404);
    expect(await read.text()).not.toContain("versions");
    // Nothing was granted, and the wiki's origin saw neither request.
    const after = await as("admin@example.com", "/grants?kind=break-glass&service=payments");
    expect(((await after.json()) as { grants: unknown[] }).grants).toHaveLength(open);
    expect(await originSaw(m)).toEqual([]);
    // The same admin on a host no service names (the CLI's WARD_URL) is answered.
    expect((await as("admin@example.com", "/policy")).status).toBe(200);
  });

  it("refuses callers without identity (401) and non-admins (403), and never reaches an origin", async () => {
    const m = marker();
    expect((await as(undefined, `/policy?${m}`)).status).toBe(401);
    expect((await as("ann@example.com", `/policy?${m}`)).status).toBe(403);
    const anonymousPush = await exports.default.fetch(`${ADMIN}/policy?${m}`, {
      method: "PUT",
      body: JSON.stringify({ text: labelled("x"), expected: bootstrapped }),
    });
    expect(anonymousPush.status).toBe(401);
    expect(await originSaw(m)).toEqual([]);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(bootstrapped);
  });

  it("does not take the cookie on a push (CSRF): a browser session cannot push", async () => {
    const token = await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-admin-cookie" });
    const res = await exports.default.fetch(`${ADMIN}/policy`, {
      method: "PUT",
      headers: { cookie: `CF_Authorization=${token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: labelled("cookie"), expected: bootstrapped }),
    });
    expect(res.status).toBe(401);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(bootstrapped);
  });

  it("shows an admin the environment, the active version and the history", async () => {
    const res = await as("admin@example.com", "/policy");
    expect(res.status).toBe(200);
    const state = (await res.json()) as { environment: string; active: string; history: unknown[] };
    expect(state.environment).toBe("dev");
    expect(state.active).toBe(await env.POLICY.get(ACTIVE_KEY));
  });
});

describe("how much a push may send", () => {
  it("refuses policy text over 768 KiB, and a body over its bound even without Content-Length, changing nothing", async () => {
    // The Worker loads a push within its isolate's 128 MB: ~75 MiB of heap per MiB of YAML at the peak.
    const before = await env.POLICY.get(ACTIVE_KEY);
    const history = ((await (await as("admin@example.com", "/policy")).json()) as { history: unknown[] }).history;
    // A comment keeps the policy valid: only its size is wrong. "é" is two bytes: over the bound in bytes, not in units.
    const padding = (bytes: number, unit = "x") =>
      `\n# ${unit.repeat(Math.ceil(bytes / new TextEncoder().encode(unit).length))}\n`;
    const over = `${labelled("big")}${padding(MAX_POLICY_BYTES, "é")}`;
    expect(over.length).toBeLessThan(MAX_POLICY_BYTES);
    const res = await push({ text: over, expected: before });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^text: the policy is \d+ bytes; a push takes at most 786432 \(768 KiB\) of YAML, or 4194304 \(4 MiB\) written as JSON, what the Worker can load/,
    );
    // Just under the bound is read, validated and stored; refused (409) only because `expected` is stale.
    // Quotes, each escaped in two bytes in the JSON body: the largest body a policy within the bound makes.
    const under = `${labelled("under")}${padding(MAX_POLICY_BYTES - new TextEncoder().encode(labelled("under")).length - 16, '"')}`;
    expect(new TextEncoder().encode(under).length).toBeLessThanOrEqual(MAX_POLICY_BYTES);
    expect(JSON.stringify({ text: under }).length).toBeGreaterThan(2 * MAX_POLICY_BYTES - 64 * 1024);
    const taken = await push({ text: under, expected: "0".repeat(64) });
    expect(taken.status).toBe(409);
    expect(await env.POLICY.get(versionKey(await versionOf(under)))).toBe(under);
    // Written as JSON, which the Worker parses natively, up to 4 MiB: stored (then 409, `expected` is stale).
    const asJson = JSON.stringify(parseYaml(labelled("as JSON")), null, 2);
    const largeJson = `${asJson}${" ".repeat(MAX_POLICY_BYTES * 2)}`;
    const takenJson = await push({ text: largeJson, expected: "0".repeat(64) });
    expect(takenJson.status).toBe(409);
    expect(await env.POLICY.get(versionKey(await versionOf(asJson)))).toBe(largeJson);
    // Text past the YAML bound that opens like JSON but is not (flow-style YAML): not given to the YAML parser.
    const flowYaml = `{ ${asJson.slice(1, -1)}, }${" ".repeat(MAX_POLICY_BYTES)}`;
    const refusedFlow = await push({ text: flowYaml, expected: before });
    expect(refusedFlow.status).toBe(422);
    expect(JSON.stringify(await refusedFlow.json())).toContain("is read only as JSON, and this is not JSON");
    // A body past twice the JSON bound is not read to its end: refused whatever its Content-Length says, or
    // without one.
    const huge = `{"text":"${"x".repeat(2 * MAX_JSON_POLICY_BYTES + 32 * 1024)}","expected":null}`;
    const declared = await as("admin@example.com", "/policy", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: huge,
    });
    expect(declared.status).toBe(413);
    const chunks = new TextEncoder().encode(huge);
    const streamed = await as("admin@example.com", "/policy", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let at = 0; at < chunks.length; at += 65536) controller.enqueue(chunks.subarray(at, at + 65536));
          controller.close();
        },
      }),
    });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: string }).error).toBe(
      `expected a JSON body of at most ${2 * MAX_JSON_POLICY_BYTES + 16 * 1024} bytes`,
    );
    // Other admin bodies are a few KB.
    const entries = async () =>
      ((await (await as("admin@example.com", "/denylist?all=1")).json()) as { entries: unknown[] }).entries;
    const listed = await entries();
    const revocation = await as("admin@example.com", "/revocations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ match: "email", value: "a@example.com", reason: "x".repeat(70_000) }),
    });
    expect(revocation.status).toBe(413);
    expect(await entries()).toEqual(listed);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(before);
    expect(((await (await as("admin@example.com", "/policy")).json()) as { history: unknown[] }).history).toEqual(
      history,
    );
  });
});

describe("push, conflicts and rollback", () => {
  it("refuses an invalid policy, one for another environment, and one that drops the pusher as admin", async () => {
    const before = await env.POLICY.get(ACTIVE_KEY);
    const invalid = await push({ text: "version: 1\nservices: {}\n", expected: before });
    expect(invalid.status).toBe(422);
    const production = await push({
      text: labelled("p").replace("environment: dev", "environment: production"),
      expected: before,
    });
    expect(production.status).toBe(422);
    expect(await production.text()).toContain('this gateway serves \\"dev\\"');
    const lockout = await push({
      text: labelled("l").replace("principals: [{ group: ward-admins }]", "principals: [{ group: sre }]"),
      expected: before,
    });
    expect(lockout.status).toBe(422);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(before);
  });

  it("moves the pointer from the expected version and records who, the message and the previous version", async () => {
    const before = (await env.POLICY.get(ACTIVE_KEY))!;
    const text = labelled("first push");
    const res = await push({ text, expected: before, message: "first push" });
    expect(res.status).toBe(200);
    const { entry } = (await res.json()) as { entry: Record<string, unknown> };
    const version = await versionOf(text);
    expect(entry).toMatchObject({
      action: "push",
      version,
      previous: before,
      who: "user:admin@example.com",
      message: "first push",
    });
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(version);
    expect(await env.POLICY.get(versionKey(version))).toBe(text);
    // Beside the source, the validated document the gateway loads with JSON.parse; it hashes to the version.
    const document = (await env.POLICY.get(documentKey(version)))!;
    expect(await policyHash(JSON.parse(document))).toBe(version);
  });

  it("refuses a push against a stale version (409), keeps the pointer, and keeps the pushed version stored", async () => {
    const active = await env.POLICY.get(ACTIVE_KEY);
    const text = labelled("stale");
    const res = await push({ text, expected: bootstrapped === active ? "0".repeat(64) : bootstrapped });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: "conflict", active, stored: await versionOf(text) });
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    expect(await env.POLICY.get(versionKey(await versionOf(text)))).toBe(text);
  });

  it("of two concurrent pushes from the same version, exactly one wins; the other is told; nothing is lost", async () => {
    const from = (await env.POLICY.get(ACTIVE_KEY))!;
    const texts = [labelled("concurrent A"), labelled("concurrent B")];
    const responses = await Promise.all(texts.map((text, i) => push({ text, expected: from, message: `push ${i}` })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const winner = texts[responses.findIndex((r) => r.status === 200)]!;
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(await versionOf(winner));
    for (const text of texts) expect(await env.POLICY.get(versionKey(await versionOf(text)))).toBe(text);
    const { history } = (await (await as("admin@example.com", "/policy")).json()) as {
      history: { version: string; previous: string }[];
    };
    expect(history[0]).toMatchObject({ version: await versionOf(winner), previous: from });
  });

  it("rolls back to the previous version and records it", async () => {
    const { active, history } = (await (await as("admin@example.com", "/policy")).json()) as {
      active: string;
      history: { version: string; previous: string }[];
    };
    const previous = history.find((e) => e.version === active)!.previous;
    const res = await as("admin@example.com", "/policy/rollback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expected: active, message: "bad change" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { entry: unknown }).entry).toMatchObject({
      action: "rollback",
      version: previous,
      previous: active,
      message: "bad change",
    });
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(previous);
  });

  it("refuses to roll back to the version already active (409), records nothing, and a plain rollback still goes back", async () => {
    const { active, history } = (await (await as("admin@example.com", "/policy")).json()) as {
      active: string;
      history: { version: string; previous: string }[];
    };
    const rollback = (body: object) =>
      as("admin@example.com", "/policy/rollback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ expected: active, message: "back", ...body }),
      });
    const self = await rollback({ to: active });
    expect(self.status).toBe(409);
    expect(((await self.json()) as { error: string }).error).toBe(
      `version ${active} is already active: nothing to roll back`,
    );
    const after = (await (await as("admin@example.com", "/policy")).json()) as { history: unknown[] };
    expect(after.history).toEqual(history);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
  });

  it("answers a plain rollback from a version no longer active 409 with the active one, whatever the one before", async () => {
    // Three pushes: the view of the second is stale, and the version before it is then taken out of the store
    // (which was judged, and answered 404, before the view was).
    const versions: string[] = [];
    for (const label of ["stale view 1", "stale view 2", "stale view 3"]) {
      const text = labelled(label);
      const from = (await env.POLICY.get(ACTIVE_KEY))!;
      expect((await push({ text, expected: from, message: label })).status).toBe(200);
      versions.push(await versionOf(text));
    }
    const [gone, stale, active] = versions as [string, string, string];
    const { history } = (await (await as("admin@example.com", "/policy")).json()) as { history: unknown[] };
    const kept = [versionKey(gone), documentKey(gone)].map(async (key) => [key, await env.POLICY.get(key)] as const);
    const saved = await Promise.all(kept);
    for (const [key] of saved) await env.POLICY.delete(key);
    try {
      const res = await as("admin@example.com", "/policy/rollback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ expected: stale, message: "back" }),
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: "conflict", active });
      const after = (await (await as("admin@example.com", "/policy")).json()) as { history: unknown[] };
      expect(after.history).toEqual(history);
      expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    } finally {
      for (const [key, value] of saved) if (value !== null) await env.POLICY.put(key, value);
    }
  });

  it("refuses to roll back to a version it does not hold (404) or that does not load as stored (422), and moves nothing", async () => {
    const active = (await env.POLICY.get(ACTIVE_KEY))!;
    const rollback = (to: string) =>
      as("admin@example.com", "/policy/rollback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ expected: active, to, message: "back" }),
      });
    const missing = await rollback("a".repeat(64));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe(`version ${"a".repeat(64)} is not stored`);
    // A valid policy stored under a name that is not its hash: the gateway would refuse it, so rollback does.
    const misnamed = "b".repeat(64);
    await env.POLICY.put(versionKey(misnamed), demoPolicy);
    const refused = await rollback(misnamed);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toBe(`version ${misnamed} does not load as stored`);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
  });

  it("refuses to roll back to a version that would shut the caller out of the admin API (422), and moves nothing", async () => {
    const active = (await env.POLICY.get(ACTIVE_KEY))!;
    const lockout = labelled("retired admin").replace(
      "principals: [{ group: ward-admins }]",
      "principals: [{ serviceToken: a5597e8979d5ae6e4c58a4bc14cefd05.access }]",
    );
    const loaded = await loadPolicy(lockout);
    if (!loaded.ok) throw new Error("the lock-out variant should be a valid policy");
    await storeVersion(env.POLICY, loaded.policy, lockout);
    const res = await as("admin@example.com", "/policy/rollback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expected: active, to: loaded.policy.version, message: "back" }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toContain("would no longer be an admin");
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
  });

  it("refuses a push that gives the host it came in on to a service (422): the admin API would not answer there", async () => {
    const active = (await env.POLICY.get(ACTIVE_KEY))!;
    // (A wildcard that covers it is refused alike: policy/admin-host.ts, test/unit/admin-host.test.ts.)
    const text = labelled("ward host").replace("hosts: [wiki.localhost]", "hosts: [wiki.localhost, ward.localhost]");
    const res = await push({ text, expected: active });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: string };
    expect(body.error, JSON.stringify(body)).toContain("a service serves ward.localhost");
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    // The admin API still answers where it did.
    expect((await as("admin@example.com", "/policy")).status).toBe(200);
  });

  it("answers a push of the active version 'unchanged' only while it is active", async () => {
    const active = (await env.POLICY.get(ACTIVE_KEY))!;
    const activeText = (await env.POLICY.get(versionKey(active)))!;
    const same = await push({ text: activeText, expected: active });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ unchanged: true, version: active });
    // A caller who believes another version is active (its own) is told what is.
    const other = labelled("believed active");
    const believed = await push({ text: other, expected: await versionOf(other) });
    expect(believed.status).toBe(409);
    expect(await believed.json()).toMatchObject({ error: "conflict", active });
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
  });

  it("serves a stored version's text to admins, for the diff before a push", async () => {
    const res = await as("admin@example.com", `/policy/versions/${bootstrapped}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(demoPolicy);
    expect((await as("admin@example.com", `/policy/versions/${"f".repeat(64)}`)).status).toBe(404);
  });

  it("keeps the text first stored for a version: another of the same meaning, pushed and refused, replaces nothing", async () => {
    // From a review: the version names the document, so a text with other comments is the same version, and a
    // push (even one refused) rewrote the reviewed text that history and diffs show.
    const active = (await env.POLICY.get(ACTIVE_KEY))!;
    const reviewed = (await env.POLICY.get(versionKey(active)))!;
    const rewritten = `# approved by nobody: this text was never reviewed\n${reviewed}`;
    expect(await versionOf(rewritten)).toBe(active);
    const refused = await push({ text: rewritten, expected: "0".repeat(64) });
    expect(refused.status).toBe(409);
    const unchanged = await push({ text: rewritten, expected: active });
    expect(await unchanged.json()).toMatchObject({ unchanged: true, version: active });
    expect(await (await as("admin@example.com", `/policy/versions/${active}`)).text()).toBe(reviewed);
  });
});

describe("shadow candidate", () => {
  const decisionLines = async (run: () => Promise<Response>) => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const res = await run();
    spy.mockRestore();
    return {
      res,
      decisions: lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === "decision"),
    };
  };
  const readWiki = async (email: string) =>
    exports.default.fetch(`https://wiki.localhost/page?${marker()}`, {
      headers: {
        "cf-access-jwt-assertion": await accessToken(signing, { email, identity_nonce: `n-shadow-${email}` }),
      },
    });
  // The candidate: only editors may read the wiki (employees would newly be denied).
  const candidate = labelled("shadow").replace(
    "principals: [{ emailDomain: example.com }]",
    "principals: [{ group: wiki-editors }]",
  );

  it("logs what the candidate would decide beside the enforced decision, and never changes the answer", async () => {
    const set = await as("admin@example.com", "/policy/shadow", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: candidate, message: "editors only?" }),
    });
    expect(set.status).toBe(200);
    const shadowVersion = await versionOf(candidate);
    expect(await env.POLICY.get(SHADOW_KEY)).toBe(shadowVersion);
    const active = await env.POLICY.get(ACTIVE_KEY);
    let seen: Record<string, unknown> | undefined;
    for (let i = 0; i < 40 && !seen; i++) {
      const { res, decisions } = await decisionLines(() => readWiki("ann@example.com"));
      expect(res.status).toBe(200); // enforced: the active policy still lets employees read
      // Isolates pick up pointer moves in the background: wait for one that has both.
      seen = decisions.find((d) => d.shadow && d.policyVersion === active);
      if (!seen) await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen).toMatchObject({
      effect: "allow",
      policyVersion: active,
      shadow: { version: shadowVersion, effect: "deny", status: 403, route: "wiki/read" },
    });
    const state = (await (await as("admin@example.com", "/policy")).json()) as { shadow: string };
    expect(state.shadow).toBe(shadowVersion);
  });

  it("refuses the active version as a candidate, and to promote a candidate that is the active version (409)", async () => {
    const active = (await env.POLICY.get(ACTIVE_KEY))!;
    const activeText = (await env.POLICY.get(versionKey(active)))!;
    const before = (await (await as("admin@example.com", "/policy")).json()) as {
      shadow: string | null;
      history: unknown[];
    };
    // The gateway never tries the active version beside itself: accepted, no line would ever report it (from a
    // generated review of shadow policies).
    const set = await as("admin@example.com", "/policy/shadow", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: activeText, message: "the same again" }),
    });
    expect(set.status).toBe(409);
    expect(((await set.json()) as { error: string }).error).toBe(
      `version ${active} is already active: nothing to try in shadow`,
    );
    const unchanged = (await (await as("admin@example.com", "/policy")).json()) as typeof before;
    expect(unchanged.shadow).toBe(before.shadow);
    expect(unchanged.history).toEqual(before.history);
    // A candidate that became the active version since (its text pushed): what the pointer then names.
    await env.POLICY_CONTROL.getByName(POLICY_CONTROL_NAME).setShadow(active, "admin@example.com", "the same again");
    const res = await as("admin@example.com", "/policy/shadow/promote", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expected: active, candidate: active }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe(
      `version ${active} is already active: nothing to promote`,
    );
    const after = (await (await as("admin@example.com", "/policy")).json()) as { history: { action: string }[] };
    expect(after.history[0]?.action).toBe("shadow");
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    // Put back the candidate the next test promotes.
    if (before.shadow) {
      const text = (await env.POLICY.get(versionKey(before.shadow)))!;
      const again = await as("admin@example.com", "/policy/shadow", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, message: "back" }),
      });
      expect(again.status).toBe(200);
    }
  });

  it("promotes the candidate with compare-and-set, after which it is enforced and no longer a shadow", async () => {
    const active = await env.POLICY.get(ACTIVE_KEY);
    const shadowVersion = await versionOf(candidate);
    const promote = (body: unknown) =>
      as("admin@example.com", "/policy/shadow/promote", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const stale = await promote({ expected: "0".repeat(64), candidate: shadowVersion });
    expect(stale.status).toBe(409);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    // Promotes only the candidate the caller reviewed: another one set meanwhile is not promoted unseen.
    const other = await promote({ expected: active, candidate: "c".repeat(64) });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: "the shadow candidate changed", shadow: shadowVersion });
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    expect((await promote({ expected: active })).status).toBe(422); // naming no candidate
    const res = await promote({ expected: active, candidate: shadowVersion });
    expect(res.status).toBe(200);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(await versionOf(candidate));
    expect(await env.POLICY.get(SHADOW_KEY)).toBeNull();
    const state = (await (await as("admin@example.com", "/policy")).json()) as {
      shadow: string | null;
      history: { action: string }[];
    };
    expect(state.shadow).toBeNull();
    expect(state.history[0]!.action).toBe("promote");
    const nothing = await promote({ expected: shadowVersion, candidate: shadowVersion });
    expect(nothing.status).toBe(409);
  });
});
