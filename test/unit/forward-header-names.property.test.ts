// Which header names a policy may forward (`forwardHeaders`) or set (a rule's `headers`), generated and compared
// with what docs/policy.md says (the oracle of test/worker/origin/header-oracle.ts, typed from the docs): a
// never-forwardable name is `reserved-header` in both, the credentials and framing headers in `headers` too, and
// the identity names the docs list are warned about (`identity-header-forwarded`). Names are the corpus of
// real-world headers the gateway test sends, in any case, and made-up ones around the reserved prefixes. The seed
// is fixed; WARD_HEADER_NAMES_SEED=<n> tries another, and is printed on failure.
import { describe, expect, it } from "vitest";
import { validatePolicy } from "../../policy/validate/index.ts";
import { prng } from "../support/prng.ts";
import { REQUEST_NAMES, pick, spelt } from "../worker/origin/header-cases.ts";
import { reservedForForwarding, reservedForRuleHeaders } from "../worker/origin/header-oracle.ts";

const SEED = Number(process.env.WARD_HEADER_NAMES_SEED ?? 20261206);
const CASES = 600;

/** The identity names docs/policy.md lists for `identity-header-forwarded` (its "..." leaves others open). */
function documentedIdentityName(name: string): boolean {
  const n = name.toLowerCase();
  return (
    ["x-user", "x-user-email", "x-email", "x-groups", "x-roles", "x-scopes", "remote-user", "x-client-cert"].includes(
      n,
    ) || ["x-auth-request-", "x-pomerium-", "x-webauth-"].some((p) => n.startsWith(p))
  );
}

const AROUND = [
  "cf-",
  "x-forwarded-",
  "ward-",
  "x-ward-",
  "mf-",
  "proxy-",
  "x-original-",
  "x-envoy-",
  "x-cf-",
  "wardx-",
];
const WORDS = ["user", "ip", "host", "path", "id", "a1", "Token", "real-ip", "method", "debug"];

function nameFor(r: () => number): string {
  const corpus = REQUEST_NAMES.filter((n) => /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/.test(n));
  const made = () => `${pick(r, AROUND)}${pick(r, WORDS)}`;
  return spelt(r, r() < 0.6 ? pick(r, corpus) : made());
}

function issuesFor(name: string) {
  const result = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    services: {
      app: {
        hosts: ["app.example.com"],
        origin: { tunnel: "APP" },
        owner: "app-team@example.com",
        forwardHeaders: [name],
        routes: [
          {
            id: "all",
            methods: ["GET"],
            pathPrefix: "/",
            rules: [{ effect: "allow", principals: [{ public: true }], headers: { [name]: "v" } }],
          },
        ],
      },
    },
  });
  return result.issues.map((i) => ({ code: i.code, path: i.path }));
}

describe("the names a policy may forward or set, against the docs", () => {
  it(`${CASES} generated names: reserved where the docs reserve them, warned where they list them`, () => {
    const r = prng(SEED);
    const disagreements: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const name = nameFor(r);
      const issues = issuesFor(name);
      const has = (code: string, where: RegExp) => issues.some((i) => i.code === code && where.test(i.path));
      const forwardReserved = has("reserved-header", /\.forwardHeaders\[/);
      const headersReserved = has("reserved-header", /rules\[0\]\.headers/);
      if (forwardReserved !== reservedForForwarding(name))
        disagreements.push(`${name}: forwardHeaders reserved-header ${forwardReserved}, docs ${!forwardReserved}`);
      if (headersReserved !== reservedForRuleHeaders(name))
        disagreements.push(`${name}: headers reserved-header ${headersReserved}, docs ${!headersReserved}`);
      if (
        !reservedForForwarding(name) &&
        documentedIdentityName(name) &&
        !has("identity-header-forwarded", /forwardHeaders/)
      )
        disagreements.push(`${name}: forwardHeaders not warned identity-header-forwarded`);
      const other = issues.filter(
        (i) => i.code !== "reserved-header" && i.code !== "identity-header-forwarded" && i.code !== "invalid-format",
      );
      if (other.length > 0) disagreements.push(`${name}: ${JSON.stringify(other)}`);
    }
    expect([...new Set(disagreements)].slice(0, 20), `replay: WARD_HEADER_NAMES_SEED=${SEED}`).toEqual([]);
  });
});
