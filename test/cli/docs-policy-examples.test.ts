// Every policy block (```yaml) of README.md and docs/*.md must be policy Ward takes, as a reader copying it would
// use it. A whole document is validated as it is. A fragment (a section, a route, a rule, principals, a
// transmitter; `...` marking what was left out) is put where it belongs in a small valid policy and that is
// validated: no error and no warning. A placeholder certificate (a PEM with `...` in it) stands for the test CA's.
// The blocks docs/deployment.md puts into `policy/staging.yaml` are run by test/dev/deployment-doc.test.ts, and
// the outputs of `ward explain` on the examples by test/cli/reference-docs.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { validatePolicyText } from "../../policy/index.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).flatMap((f) => (f.endsWith(".md") ? [`docs/${f}`] : [])),
];
const TEST_CA = readFileSync(join(ROOT, "test/fixtures/certs/ca.pem"), "utf8").trim();

/** Blocks that are no policy: a Kubernetes pod spec, a GitHub Actions workflow (by their first key). */
const NOT_POLICY = new Set(["spec", "jobs"]);
/** What a fragment's top-level keys may be: the document's own sections. */
const SECTIONS = new Set([
  "version",
  "metadata",
  "identity",
  "principalSets",
  "identityBindings",
  "sharedSignals",
  "admin",
  "exceptions",
  "quarantine",
  "services",
]);

interface Block {
  where: string;
  text: string;
}

function yamlBlocks(page: string): Block[] {
  const lines = readFileSync(join(ROOT, page), "utf8").split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```yaml") continue;
    const start = i + 1;
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith("```")) i++;
    out.push({ where: `${page}:${start}`, text: lines.slice(start, i + 1).join("\n") });
    i++;
  }
  return out;
}

/** A small valid policy with something of each kind a fragment may name: Access, a CA, a token issuer, a route. */
function basePolicy() {
  return {
    version: 1,
    metadata: {
      environment: "staging",
      trustDomains: ["prod.example.com", "staging.example.com", "partner.example.org"],
      owners: ["security@example.com"],
    },
    identity: {
      access: {
        teamDomain: "https://example.cloudflareaccess.com",
        audiences: ["0f4c1e0b8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243a"],
      },
      mtls: { issuers: [{ dn: "CN=Example Workload CA,O=Example Inc", trustDomains: ["prod.example.com"] }] },
      tokenIssuers: [
        {
          name: "spire-prod",
          kind: "spiffe-jwt-svid",
          issuer: "https://oidc.spire.prod.example.com",
          keys: { jwksUrl: "https://spire.prod.example.com/bundle" },
          trustDomain: "prod.example.com",
          maxLifetime: "5m",
        },
      ],
    },
    services: {
      app: {
        hosts: ["app.internal.example.com"],
        origin: { tunnel: "APP" },
        owner: "app-team@example.com",
        routes: [
          {
            id: "base",
            methods: ["GET"],
            path: "/base",
            rules: [{ id: "base", effect: "allow", principals: [{ group: "sre" }] }] as unknown[],
          },
        ] as unknown[],
      },
    },
  } as Record<string, unknown> & { services: { app: { routes: { rules: unknown[] }[] } } };
}

/** The text without the indentation its lines share (comment lines aside). */
function dedent(text: string): string {
  const lines = text.split("\n");
  const indents = lines.filter((l) => l.trim() && !l.trim().startsWith("#")).map((l) => /^ */.exec(l)![0].length);
  const n = Math.min(...indents);
  return lines.map((l) => l.slice(n)).join("\n");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The policy a block stands for, or undefined for a block that is no policy. Throws for one it cannot place. */
function policyOf(block: Block): Record<string, unknown> | undefined {
  // A placeholder certificate: the test CA's, indented as the placeholder was.
  const text = block.text.replace(
    /^([ \t]*)-----BEGIN CERTIFICATE-----\n[^\n]*\.\.\.[^\n]*\n[ \t]*-----END CERTIFICATE-----$/m,
    (_all, indent: string) => TEST_CA.replace(/^/gm, indent),
  );
  const elision = /^[ \t]*\.\.\.[ \t]*$/m;
  const parts = text.split(elision).filter((p) => p.trim() !== "");
  const first: unknown = parse(dedent(parts[0]!));
  if (!elision.test(text) && isObject(first) && "version" in first) return first;
  if (isObject(first) && NOT_POLICY.has(Object.keys(first)[0]!)) return undefined;
  const doc = basePolicy();
  const route = doc.services.app.routes[0]!;
  for (const part of parts) {
    const value: unknown = parse(dedent(part));
    if (Array.isArray(value) && value.every((v) => isObject(v) && "effect" in v)) route.rules.push(...value);
    else if (Array.isArray(value) && value.every((v) => isObject(v) && "rules" in v))
      doc.services.app.routes.push(...value);
    else if (isObject(value) && Object.keys(value).join() === "principals")
      route.rules.push({ id: "doc", effect: "allow", ...value });
    else if (isObject(value) && Object.values(value).every((v) => isObject(v) && "jwksUri" in v))
      doc.sharedSignals = { audience: "https://ward.example.com/staging", transmitters: value };
    else if (isObject(value) && Object.keys(value).every((k) => SECTIONS.has(k)))
      for (const [key, section] of Object.entries(value))
        doc[key] = isObject(section) && isObject(doc[key]) ? { ...doc[key], ...section } : section;
    else throw new Error(`${block.where}: a yaml block this test cannot place in a policy:\n${part}`);
  }
  return doc;
}

const blocks = PAGES.flatMap(yamlBlocks).filter((b) => !b.text.startsWith("# policy/"));

describe("the docs' policy examples", () => {
  it("are found: the pages have whole documents and fragments", () => {
    const policies = blocks.map((b) => ({ block: b, policy: policyOf(b) }));
    expect(policies.filter((p) => p.policy !== undefined).length).toBeGreaterThanOrEqual(15);
    expect(
      policies.filter((p) => !p.block.text.includes("...") && p.block.text.includes("\nversion: 1\n")).length,
    ).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((b) => [b.where, b] as const))("%s validates without an issue", (_where, block) => {
    const policy = policyOf(block);
    if (policy === undefined) return;
    const result = validatePolicyText(stringify(policy));
    const issues = result.issues.map((i) => `${i.severity}[${i.code}] ${i.path}: ${i.message}`);
    expect(issues, stringify(policy)).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
