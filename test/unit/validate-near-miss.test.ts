// validate, for the person fixing a policy: a value that is nearly right says what it nearly is (`get` ->
// "methods are upper case: GET", `alow` -> did you mean "allow"?), and the issues beyond the schema (warnings
// among them) come in the same run as the schema's errors, each at its path in the document as written.
import { describe, expect, it } from "vitest";
import type { Issue } from "../../policy/issues.ts";
import { validatePolicy } from "../../policy/validate/index.ts";

const CHECKOUT = "spiffe://prod.example.com/ns/checkout/sa/api";
const METHODS = '"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"';

/** A policy with zero issues; each case below changes one thing. */
function base(): any {
  return {
    version: 1,
    metadata: { environment: "dev", trustDomains: ["prod.example.com"], owners: ["security@example.com"] },
    identity: { mtls: { issuers: [{ dn: "CN=Example Workload CA", trustDomains: ["prod.example.com"] }] } },
    principalSets: { checkout: [{ spiffe: CHECKOUT }] },
    services: {
      payments: {
        hosts: ["payments.example.com"],
        origin: { tunnel: "PAYMENTS_API" },
        owner: "payments-team@example.com",
        routes: [route("charge", "/v1/charge")],
      },
    },
  };
}

function route(id: string, path: string, over: object = {}): any {
  return {
    id,
    methods: ["POST"],
    path,
    rules: [{ id: "checkout", effect: "allow", principals: [{ set: "checkout" }] }],
    ...over,
  };
}

const R0 = "services.payments.routes[0]";
const RULE0 = `${R0}.rules[0]`;
const routes = (d: any) => d.services.payments.routes;
const rule0 = (d: any) => routes(d)[0].rules[0];
/** A second allow rule naming the same caller: never decides (a warning). */
const shadowed = { id: "again", effect: "allow", principals: [{ spiffe: CHECKOUT }] };

function run(change: (d: any) => void) {
  const doc = base();
  change(doc);
  return validatePolicy(doc);
}

const brief = (issues: Issue[]) => issues.map((i) => `${i.severity} ${i.code} ${i.path}`);

describe("a near-miss value gets a hint", () => {
  it.each<[string, (d: any) => void, Partial<Issue>]>([
    [
      "a method in lower case",
      (d) => (routes(d)[0].methods = ["get"]),
      { path: `${R0}.methods[0]`, message: `must be one of ${METHODS}`, hint: "methods are upper case: GET" },
    ],
    [
      "a method in mixed case",
      (d) => (routes(d)[0].methods = ["GET", "Post"]),
      { path: `${R0}.methods[1]`, message: `must be one of ${METHODS}`, hint: "methods are upper case: POST" },
    ],
    [
      "a misspelt method",
      (d) => (routes(d)[0].methods = ["DELTE"]),
      { path: `${R0}.methods[0]`, hint: 'did you mean "DELETE"?' },
    ],
    [
      "an effect off by case",
      (d) => (rule0(d).effect = "Allow"),
      { path: `${RULE0}.effect`, message: 'must be one of "allow", "deny"', hint: 'did you mean "allow"?' },
    ],
    [
      "a misspelt effect",
      (d) => (rule0(d).effect = "alow"),
      { path: `${RULE0}.effect`, hint: 'did you mean "allow"?' },
    ],
    [
      "a misspelt mode",
      (d) => (d.services.payments.mode = "audt"),
      { path: "services.payments.mode", hint: 'did you mean "audit"?' },
    ],
    [
      "a day off by case",
      (d) => (rule0(d).when = { time: { days: ["mon", "Tue"] } }),
      { path: `${RULE0}.when.time.days[1]`, hint: 'did you mean "tue"?' },
    ],
    [
      "a misspelt rate-limit key",
      (d) => (rule0(d).rateLimit = { limit: 5, period: "1m", key: "principal+rout" }),
      { path: `${RULE0}.rateLimit.key`, hint: 'did you mean "principal+route"?' },
    ],
  ])("%s", (_name, change, expected) => {
    const result = run(change);
    expect(result.ok).toBe(false);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ severity: "error", code: "invalid-value", ...expected });
  });

  it.each<[string, (d: any) => void, string]>([
    ["nothing close", (d) => (rule0(d).effect = "permit"), `${RULE0}.effect`],
    ["not a string", (d) => (routes(d)[0].methods = [7]), `${R0}.methods[0]`],
  ])("no hint when %s", (_name, change, path) => {
    const result = run(change);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ code: "invalid-value", path });
    expect(result.issues[0]!.hint).toBeUndefined();
  });
});

describe("warnings come with the errors", () => {
  it("a schema error in one route: the other routes of that service are still checked, warnings included", () => {
    const result = run((d) => {
      routes(d)[0].rules.push(shadowed);
      routes(d).push(route("refund", "/v1/refund", { methods: ["post"] }));
    });
    expect(result.ok).toBe(false);
    expect(result.policy).toBeUndefined();
    expect(brief(result.issues)).toEqual([
      "error invalid-value services.payments.routes[1].methods[0]",
      `warning shadowed-rule ${R0}.rules[1]`,
    ]);
  });

  it("issues after a left-out route keep their paths, and the routes their messages name, as written", () => {
    const result = run((d) => {
      routes(d).unshift(route("broken", "/v1/broken", { methods: ["get"] }));
      routes(d).push(route("again", "/v1/charge"));
      routes(d)[2].rules.push(shadowed);
    });
    expect(result.issues).toEqual([
      expect.objectContaining({ code: "invalid-value", path: `${R0}.methods[0]`, hint: "methods are upper case: GET" }),
      expect.objectContaining({
        severity: "error",
        code: "duplicate-route",
        path: "services.payments.routes[2].path",
        message: "same path and method as routes[1]",
      }),
      expect.objectContaining({
        severity: "warning",
        code: "shadowed-rule",
        path: "services.payments.routes[2].rules[1]",
      }),
    ]);
  });

  it.each<[string, (d: any) => void, string]>([
    [
      "quarantine",
      (d) => (d.quarantine = { deniedRequests: 0, within: "60s", for: "1h" }),
      "quarantine.deniedRequests",
    ],
    ["exceptions", (d) => (d.exceptions = { maxDuraton: "7d" }), "exceptions.maxDuraton"],
    ["admin", (d) => (d.admin = { principals: [] }), "admin.principals"],
  ])("a broken %s section (nothing refers to it): the services are still checked", (_name, change, path) => {
    const result = run((d) => {
      change(d);
      routes(d)[0].rules.push(shadowed);
    });
    expect(result.ok).toBe(false);
    expect(brief(result.issues)).toEqual([
      expect.stringMatching(new RegExp(`^error [a-z-]+ ${path.replace(/[.[\]]/g, "\\$&")}$`)),
      `warning shadowed-rule ${R0}.rules[1]`,
    ]);
  });

  it("a broken section others depend on (metadata): only the schema's issues, none made up", () => {
    const result = run((d) => {
      d.metadata.environment = "Production";
      routes(d)[0].rules.push(shadowed);
    });
    expect(brief(result.issues)).toEqual(["error invalid-format metadata.environment"]);
  });
});
