// The CLI reads a stored version by name (GET /.ward/admin/policy/versions/<v>) for the diffs `ward push`, `ward
// rollback` and `ward shadow promote` print and their --dry-run status. KV does not tie `policy:v:<v>` to <v>, and a
// gateway before the check showed whatever it held: found by a generated model of the store, a rollback's dry run
// exited 0 (no widening) for a version whose stored text was another, narrower one, while the rollback widened
// access. Here a gateway of that kind (a plain HTTP server) shows such a text, and the CLI refuses to diff it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadPolicy, storedDocument } from "../../policy/index.ts";
import { standInGateway } from "../support/stand-in-gateway.ts";
import { wardLines as ward } from "../support/ward-cli.ts";

const demo = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
/** The active version. */
const active = demo;
/** The version before it: any authenticated caller may read the wiki (rolling back to it widens access). */
const before = demo.replace("principals: [{ emailDomain: example.com }]", "principals: [{ authenticated: true }]");
/** A third version, of the active one's meaning, whose text the gateway shows under the name of `before`. */
const other = demo.replace("description: Ward local demo", "description: Ward local demo (edited)");

const versions: Record<string, string> = {};
/** What the gateway answers for each version's text, by version; a test sets it. */
let shown: Record<string, { status: number; body: string; checked?: string }> = {};
const puts: unknown[] = [];

async function compiled(text: string) {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

const gateway = standInGateway({
  "GET /policy": () => ({
    json: {
      environment: "dev",
      active: versions.active,
      shadow: null,
      history: [
        {
          seq: 1,
          at: "2026-01-01T00:00:00.000Z",
          action: "push",
          version: versions.active,
          previous: versions.before,
          who: "user:admin@example.com",
          message: "",
        },
      ],
    },
  }),
  "PUT /policy": ({ body }) => {
    puts.push(JSON.parse(body));
    return { json: { entry: null, unchanged: true, version: versions.active } };
  },
  "/grants?*": { grants: [] },
  "/policy/versions/*": ({ url }) => {
    const answer = shown[url.slice(-64)];
    if (!answer) return undefined;
    return {
      status: answer.status,
      headers: answer.checked ? { "ward-version-checked": answer.checked } : {},
      text: answer.body,
    };
  },
});

beforeAll(async () => {
  for (const [name, text] of Object.entries({ active, before, other })) versions[name] = (await compiled(text)).version;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const dir = mkdtempSync(join(tmpdir(), "ward-version-name-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeEach(() => {
  shown = { [versions.active!]: { status: 200, body: active }, [versions.before!]: { status: 200, body: before } };
  puts.length = 0;
});

describe("a stored text that is another version", () => {
  it("is diffed when it is the version: rolling back widens (exit 4)", async () => {
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--dry-run");
    expect(dry.status).toBe(4);
    expect(dry.out.join("\n")).not.toContain("warning:");
  });

  it("stops a rollback's dry run (exit 1), where it reported no widening (exit 0)", async () => {
    shown[versions.before!] = { status: 200, body: other };
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--dry-run");
    expect(dry.status).toBe(1);
    expect(dry.err.join("\n")).toContain(
      `shows as version ${versions.before!.slice(0, 12)} is version ${versions.other!.slice(0, 12)}`,
    );
    expect(dry.out).not.toContain("dry run: nothing rolled back");
  });

  it("stops a rollback on the gateway's 422, with what it said", async () => {
    shown[versions.before!] = { status: 422, body: JSON.stringify({ error: "not that version, and no document" }) };
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--dry-run");
    expect(dry.err.join("\n")).toContain("not that version, and no document");
    expect(dry.status).toBe(1);
  });

  it("takes the stored document the gateway shows instead (its bytes hash to the name)", async () => {
    shown[versions.before!] = { status: 200, body: storedDocument(await compiled(before)) };
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--dry-run");
    expect(dry.status).toBe(4);
  });

  it("is diffed when a gateway that checked it says it is that version (a CLI of another release names it otherwise)", async () => {
    // A release may derive versions otherwise (operations.md): the gateway checked the text under its own, and
    // marks it so. Only a gateway from before the check, which marks nothing, is doubted.
    shown[versions.before!] = {
      status: 200,
      body: before.replace("Ward local demo", "Ward local demo, renamed"),
      checked: "source",
    };
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--dry-run");
    expect(dry.err.join("\n")).not.toContain("another version's text");
    expect(dry.status).toBe(4);
  });

  it("as the active version's text: a push's dry run says the diff could not be made, and exits 1", async () => {
    shown[versions.active!] = { status: 200, body: other };
    const dry = await ward("push", "--local", "--port", gateway.port, file("before.yaml", before), "--dry-run");
    expect(dry.out.join("\n")).toContain(
      `(the active version ${versions.active!.slice(0, 12)} could not be read for a diff: `,
    );
    expect(dry.status).toBe(1);
  });

  it("a push of the active version is sent all the same, so the gateway can put its text back", async () => {
    shown[versions.active!] = { status: 200, body: other };
    const pushed = await ward("push", "--local", "--port", gateway.port, file("active.yaml", active));
    expect(pushed.out.at(-1)).toBe("already active: nothing to push");
    expect(pushed.status).toBe(0);
    expect(puts).toEqual([{ text: active, expected: versions.active, message: "" }]);
    const dry = await ward("push", "--local", "--port", gateway.port, file("active.yaml", active), "--dry-run");
    expect(dry.status).toBe(0);
    expect(puts).toHaveLength(1);
  });
});

describe("a stored text today's checks refuse", () => {
  // An older Ward read `!!omap` as a map of nothing it knew: a rule with no condition (a review found it, fixed in
  // policy/yaml-text.ts for text as written). Stored so, it loads as it was read; rolling back to it says why the
  // diff shows a widening the text does not seem to hold (the issue's note: a rollback needs to tell).
  const older = active.replace(
    'when: { scopes: ["payments:charge"] }',
    'when: !!omap [ { scopes: ["payments:charge"] } ]',
  );

  it("is rolled back to as stored, the warning before the diff, which shows the condition gone (exit 4)", async () => {
    expect(older).not.toBe(active);
    expect((await loadPolicy(older)).ok).toBe(false);
    const stored = await loadPolicy(older, { stored: true });
    if (!stored.ok) throw new Error(JSON.stringify(stored.issues));
    const version = stored.policy.version;
    shown[version] = { status: 200, body: older };
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--to", version, "--dry-run");
    const out = dry.out.join("\n");
    const warning = out.indexOf(`warning: version ${version.slice(0, 12)}'s text would be refused if pushed today: `);
    expect(warning).toBeGreaterThan(-1);
    expect(out).toContain("the tag tag:yaml.org,2002:omap (line 79)");
    expect(warning).toBeLessThan(out.indexOf("dry run: nothing rolled back"));
    expect(dry.status).toBe(4);
  });

  it("says so of a stored document too, under the version asked for (a closing review)", async () => {
    // An older Ward took a matcher naming the trust domain's own ID; the gateway shows its document.
    const text = active.replace(
      "- spiffe: spiffe://demo.ward.internal/ns/shop/sa/checkout",
      "- spiffe: spiffe://demo.ward.internal",
    );
    expect((await loadPolicy(text)).ok).toBe(false);
    const stored = await loadPolicy(text, { stored: true });
    if (!stored.ok) throw new Error(JSON.stringify(stored.issues));
    const document = storedDocument(stored.policy);
    const version = stored.policy.version;
    shown[version] = { status: 200, body: document };
    const dry = await ward("rollback", "--local", "--port", gateway.port, "--to", version, "--dry-run");
    expect(dry.out.join("\n")).toContain(
      `warning: version ${version.slice(0, 12)}'s text would be refused if pushed today: invalid-value at principalSets.checkout-workloads[0].spiffe: "spiffe://demo.ward.internal" is the trust domain's own ID`,
    );
  });
});
