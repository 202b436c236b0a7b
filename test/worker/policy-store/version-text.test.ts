// What KV holds under `policy:v:<v>` is not tied to <v>: the bootstrap's printed `kv key put policy:v:<sha>
// --path FILE`, run again after FILE was edited, leaves another version's text there. The admin API never shows
// it as <v> (GET /.ward/admin/policy/versions/<v>: the stored document instead, else 422), and a push of <v>'s
// text puts it back, where a text that is <v> (the one first pushed) is kept against rewordings.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { documentKey, loadPolicy, sha256Hex, storedDocument, versionKey } from "../../../policy/index.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import { labelled, versionOf } from "../admin/policies.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

async function show(version: string): Promise<Response> {
  const token = await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-version-text" });
  return exports.default.fetch(`https://ward.localhost/.ward/admin/policy/versions/${version}`, {
    headers: { "cf-access-jwt-assertion": token },
  });
}

async function compiled(text: string) {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("GET /.ward/admin/policy/versions/<v> shows only version <v>", () => {
  it("shows the stored document (canonical JSON) when the source is another version's text", async () => {
    const [a, b] = [labelled("shown a"), labelled("shown b")];
    const policy = await compiled(a);
    await storeVersion(env.POLICY, policy, a);
    await env.POLICY.put(versionKey(policy.version), b);
    const res = await show(policy.version);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    // Checked by this gateway, as its release names versions: a CLI of another release takes its word.
    expect(res.headers.get("ward-version-checked")).toBe("document");
    const body = await res.text();
    expect(body).toBe(storedDocument(policy));
    expect(await sha256Hex(body)).toBe(policy.version);
  });

  it("shows the document when no source is stored, and the source when it is the version", async () => {
    const text = labelled("shown c");
    const policy = await compiled(text);
    await env.POLICY.put(documentKey(policy.version), storedDocument(policy));
    expect(await (await show(policy.version)).text()).toBe(storedDocument(policy));
    await env.POLICY.put(versionKey(policy.version), text);
    const res = await show(policy.version);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.headers.get("ward-version-checked")).toBe("source");
    expect(await res.text()).toBe(text);
  });

  it("answers 422, saying so, when neither the source nor a document is the version", async () => {
    const [a, b] = [labelled("shown d"), labelled("shown e")];
    const version = await versionOf(a);
    await env.POLICY.put(versionKey(version), b); // no document: a bootstrap, re-run
    let res = await show(version);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toContain(`the text stored for version ${version} is not`);
    // A document cut short is not the version either.
    await env.POLICY.put(documentKey(version), storedDocument(await compiled(a)).slice(0, 200));
    res = await show(version);
    expect(res.status).toBe(422);
    await res.body?.cancel();
    expect((await show("f".repeat(64))).status).toBe(404);
  });
});

describe("storeVersion: a stored source that is not the version gives way", () => {
  it("replaces another version's text, or one cut short, with the pushed text", async () => {
    const [a, b] = [labelled("store a"), labelled("store b")];
    const policy = await compiled(a);
    await env.POLICY.put(versionKey(policy.version), b);
    await storeVersion(env.POLICY, policy, a);
    expect(await env.POLICY.get(versionKey(policy.version))).toBe(a);
    await env.POLICY.put(versionKey(policy.version), a.slice(0, 300));
    await storeVersion(env.POLICY, policy, `# reworded\n${a}`);
    expect(await env.POLICY.get(versionKey(policy.version))).toBe(`# reworded\n${a}`);
  });

  it("keeps a text that is the version (the one first pushed) against rewordings and the JSON form", async () => {
    const a = labelled("store kept");
    const policy = await compiled(a);
    await storeVersion(env.POLICY, policy, a);
    await storeVersion(env.POLICY, policy, `# reworded\n${a}`);
    await storeVersion(env.POLICY, policy, storedDocument(policy));
    expect(await env.POLICY.get(versionKey(policy.version))).toBe(a);
  });

  it("through the admin API: a push of the version's text puts its source back, and it is shown again", async () => {
    const [a, b] = [labelled("pushed back a"), labelled("pushed back b")];
    const version = await versionOf(a);
    await env.POLICY.put(versionKey(version), b);
    const token = await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-version-text" });
    const pushed = await exports.default.fetch("https://ward.localhost/.ward/admin/policy", {
      method: "PUT",
      headers: { "cf-access-jwt-assertion": token, "content-type": "application/json" },
      // A stale expected: refused (409), the version stored all the same.
      body: JSON.stringify({ text: a, expected: "0".repeat(64) }),
    });
    expect(pushed.status).toBe(409);
    await pushed.body?.cancel();
    expect(await env.POLICY.get(versionKey(version))).toBe(a);
    expect(await (await show(version)).text()).toBe(a);
  });
});
