// A version already stored is read as the Ward that took it read it (policy/load.ts ParseOptions.stored), by the
// gateway and by the CLI alike: the checks added since (the route bound, keys that name one property twice, a
// `__proto__` key) are for text as written. Review findings: the CLI held stored versions to the route bound, so
// `ward rollback` refused to go back to a version of an older Ward that the gateway loads; and a version stored
// as source only (bootstrapped, or pushed before documents were stored) that an older Ward accepted no longer
// loaded in the gateway.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { compilePolicy, loadPolicy, MAX_POLICY_BYTES, validatePolicy, versionKey } from "../../policy/index.ts";
import { ADMIN_PATH } from "../../scripts/admin-client.ts";
import { storedVersion } from "../../scripts/reach/live-diff.ts";
import { readStoredVersion } from "../../worker/policy-store/store.ts";

const demo = parseYaml(readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8"));
// An older Ward's version: the demo with 10,001 more routes (no bound when it was pushed).
const service = Object.keys(demo.services)[0]!;
for (let i = 0; i <= 10_000; i++)
  demo.services[service].routes.push({
    id: `r${i}`,
    methods: ["GET"],
    path: `/r${i}`,
    rules: [{ id: "pub", effect: "allow", principals: [{ public: true }] }],
  });
const text = JSON.stringify(demo);

let server: Server;
let base: URL;
let version = "";

beforeAll(async () => {
  // What the gateway does with the stored source (worker/policy-store/store.ts readStoredVersion).
  const asGateway = await loadPolicy(text, { yamlUpTo: MAX_POLICY_BYTES, stored: true });
  if (!asGateway.ok) throw new Error(JSON.stringify(asGateway.issues.slice(0, 3)));
  version = asGateway.policy.version;
  server = createServer((req, res) => {
    if (req.url === `${ADMIN_PATH}/policy/versions/${version}`) res.writeHead(200).end(text);
    else res.writeHead(404).end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address() as { port: number };
  base = new URL(`http://127.0.0.1:${address.port}/`);
}, 120_000);

afterAll(() => server?.close());

describe("the CLI reads a stored version as the gateway does", () => {
  it("storedVersion (ward rollback / shadow promote / live diff) loads a stored version past MAX_ROUTES", async () => {
    const loaded = await storedVersion({ base, headers: {}, describe: "test gateway" }, version, true);
    expect(loaded?.policy.version).toBe(version);
    // Past the route bound a push has today: said, as a rollback prints it (loaded all the same).
    expect(loaded?.refusedToday).toMatch(/^too-many-routes at /);
  }, 120_000);
});

const POLICY = (claims: string, sets = "{}") => `version: 1
metadata: { environment: dev, owners: [security@example.com] }
principalSets: ${sets}
identity:
  access: { teamDomain: https://example.cloudflareaccess.com, audiences: ["${"a".repeat(64)}"] }
admin:
  principals: [{ email: admin@example.com }]
services:
  wiki:
    hosts: [wiki.example.com]
    origin: { tunnel: WIKI }
    owner: docs@example.com
    routes:
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /
        rules:
          - id: people
            effect: allow
            principals: [{ claims: ${claims} }]
`;

/** What a Ward before the key checks did with YAML source: parse (uniqueKeys by value), validate, compile. */
async function olderWardVersion(text: string): Promise<string> {
  const value = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
  const validated = validatePolicy(value);
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return (await compilePolicy(validated.policy)).version;
}

/** A KV holding only the source of a version (no document): as after `ward push --bootstrap`, or an older push. */
function sourceOnlyKv(version: string, text: string): KVNamespace {
  const store = new Map([[versionKey(version), text]]);
  return {
    get: async (key: string) => store.get(key) ?? null,
    put: async (key: string, value: string) => void store.set(key, value),
  } as unknown as KVNamespace;
}

describe("a stored source an older Ward accepted still loads after the upgrade", () => {
  it.each([
    ["a principal set named __proto__ (dropped before)", "{ dept: eng }", "{ __proto__: [{ email: a@example.com }] }"],
    ['claim keys true and "true" (last-wins before)', '{ true: a, "true": b }', "{}"],
  ])("%s", async (_, claims, sets) => {
    const text = POLICY(claims, sets);
    const version = await olderWardVersion(text);
    const stored = await readStoredVersion(sourceOnlyKv(version, text), version, { role: "active" });
    expect(stored.ok).toBe(true);
  });
});
