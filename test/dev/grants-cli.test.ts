// `ward exceptions` and `ward breakglass` --local against a real local gateway: a grant lets its principal
// through within the refresh interval, revoking it stops that, bad input changes nothing.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoGateway, marker, startDemoGateway } from "../support/demo-gateway.ts";
import { send } from "../support/http-request.ts";
import { wardText as ward } from "../support/ward-cli.ts";

const demo = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
let gateway: DemoGateway;
let port: string;

/** Ann's edit's status, once the origin's log agrees with it: reached once if let through (200), else never. */
async function annEdits(): Promise<number> {
  const token = (
    await send(Number(port), `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=ann@example.com`)
  ).body;
  const m = marker();
  const { status } = await send(Number(port), `http://wiki.localhost:${port}/handbook?${m}`, {
    method: "POST",
    headers: { "cf-access-jwt-assertion": token },
  });
  expect(await gateway.originSaw(m)).toHaveLength(status === 200 ? 1 : 0);
  return status;
}

/** The gateway re-reads a service's grants at most every 2 s (GRANTS_REFRESH_SECONDS for ward dev). */
const refresh = () => new Promise((r) => setTimeout(r, 2100));

beforeAll(async () => {
  gateway = await startDemoGateway({ recorded: ["PAYMENTS_API", "ORDERS_API", "WIKI"], policyText: demo });
  port = String(gateway.port);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
});

const grant = [
  "exceptions",
  "grant",
  "--local",
  "--port",
  "PORT",
  "--service",
  "wiki",
  "--principal",
  "ann@example.com",
  "--routes",
  "edit",
  "--methods",
  "post",
  "--for",
  "2h",
  "--reason",
  "migrating the handbook",
  "--ticket",
  "WIKI-9",
  "--requested-by",
  "ann@example.com",
  "--approved-by",
  "wiki-team@example.com",
];
const withPort = (args: string[]) => args.map((a) => (a === "PORT" ? port : a));

describe("ward exceptions --local", () => {
  it("grants, lists, takes effect, and is revoked", async () => {
    expect(await annEdits()).toBe(403);
    const granted = await ward(...withPort(grant));
    expect(granted.err).toBe("");
    expect(granted.status).toBe(0);
    const id =
      /^granted: (exc-[0-9a-f]{8}) {2}exception {2}ann@example.com -> wiki\/edit POST {2}until \S+ \(2h left\) {2}WIKI-9 {2}"migrating the handbook" by user:admin@example.com$/.exec(
        granted.out,
      )?.[1];
    expect(id, granted.out).toBeDefined();
    expect((await ward("exceptions", "list", "--local", "--port", port)).out).toContain(
      `${id}  exception  ann@example.com -> wiki/edit POST`,
    );
    await refresh();
    expect(await annEdits()).toBe(200);
    const revoked = await ward("exceptions", "revoke", "--local", "--port", port, `wiki/${id}`, "--reason", "done");
    expect(revoked.out).toMatch(new RegExp(`^revoked: ${id}  .*\\(revoked\\)`));
    await refresh();
    expect(await annEdits()).toBe(403);
    expect((await ward("exceptions", "list", "--local", "--port", port)).out).toBe("none");
    expect((await ward("exceptions", "list", "--local", "--port", port, "--all")).out).toContain(`${id}  exception`);
  }, 30_000);

  it("is revoked by the id the list shows first, without its service (from a walk of the docs)", async () => {
    const granted = await ward(...withPort(grant));
    const id = /^granted: (exc-[0-9a-f]{8})/.exec(granted.out)?.[1];
    expect(id, granted.out).toBeDefined();
    const revoked = await ward("exceptions", "revoke", "--local", "--port", port, id!, "--reason", "done");
    expect(revoked.out).toMatch(new RegExp(`^revoked: ${id}  .*wiki/edit.*\\(revoked\\)`));
    const unknown = await ward("exceptions", "revoke", "--local", "--port", port, "exc-00000000", "--reason", "x");
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain("no grant exc-00000000 (ward exceptions list --all lists them): nothing changed");
  }, 30_000);

  it("ward push shows a route it adds as reached by an exception for every route of the service", async () => {
    const args = withPort(grant);
    args.splice(args.indexOf("--routes"), 2);
    args.splice(args.indexOf("--methods"), 2);
    const granted = await ward(...args);
    const id = /^granted: (exc-[0-9a-f]{8})/.exec(granted.out)?.[1];
    expect(id, granted.out).toBeDefined();
    try {
      // A route for the SRE group only; the exception covers it too, from the moment it exists.
      const next = demo.replace(
        "      - id: edit\n",
        "      - id: settings\n        methods: [PATCH]\n        pathPrefix: /settings\n        rules:\n          - { id: sre, effect: allow, principals: [{ group: sre }] }\n      - id: edit\n",
      );
      const file = join(mkdtempSync(join(tmpdir(), "ward-grants-diff-")), "next.yaml");
      writeFileSync(file, next);
      const run = await ward("push", "--local", "--port", port, file, "--dry-run");
      expect(run.status).toBe(4);
      expect(run.out.split("\n").filter((line) => line.includes("wiki/settings") && line.includes(id!))).toHaveLength(
        1,
      );
    } finally {
      await ward("exceptions", "revoke", "--local", "--port", port, `wiki/${id}`, "--reason", "done");
    }
  });

  it.each<[string, string[], number, string]>([
    ["an unknown service", ["--service", "wikki"], 1, 'unknown service "wikki"'],
    ["an expiry over the policy's cap", ["--for", "30d"], 1, "longer than the policy allows"],
    ["an expiry in the past", ["--for", "UNTIL"], 1, "notAfter is in the past"],
    ["no reason", ["--reason", ""], 2, "--reason is required"],
    [
      "a principal of no known kind",
      ["--principal", "ann"],
      2,
      "--principal ann: expected spiffe://...|EMAIL|token:CLIENT_ID|group:NAME",
    ],
  ])("refuses %s and grants nothing", async (_name, change, status, message) => {
    const args = withPort(grant);
    for (let i = 0; i < change.length; i += 2) {
      const at = args.indexOf(change[i]!);
      if (change[i + 1] === "UNTIL") args.splice(at, 2, "--until", new Date(Date.now() - 60_000).toISOString());
      else args[at + 1] = change[i + 1]!;
    }
    const before = (await ward("exceptions", "list", "--local", "--port", port, "--all", "--json")).out;
    const run = await ward(...args);
    expect(run.err).toContain(message);
    expect(run.status).toBe(status);
    expect((await ward("exceptions", "list", "--local", "--port", port, "--all", "--json")).out).toBe(before);
  });
});

describe("ward breakglass --local", () => {
  it("grants the caller minutes with a justification, refuses more than the cap, and lists open ones", async () => {
    const tooLong = await ward(
      "breakglass",
      "--local",
      "--port",
      port,
      "--service",
      "orders",
      "--routes",
      "admin",
      "--minutes",
      "60",
      "--justification",
      "orders admin is needed now",
    );
    expect(tooLong.status).toBe(1);
    expect(tooLong.err).toContain("longer than the policy allows");
    const run = await ward(
      "breakglass",
      "--local",
      "--port",
      port,
      "--service",
      "orders",
      "--routes",
      "admin",
      "--minutes",
      "15",
      "--justification",
      "orders admin is needed now",
    );
    expect(run.status).toBe(0);
    expect(run.out).toMatch(
      /^break-glass: bg-[0-9a-f]{8} {2}break-glass {2}admin@example.com -> orders\/admin \* {2}until \S+ \(15m left\) {2}"orders admin is needed now" by user:admin@example.com$/,
    );
    const open = await ward("breakglass", "list", "--local", "--port", port);
    expect(open.out.split("\n")).toHaveLength(1);
    expect(open.out).toContain("break-glass  admin@example.com -> orders/admin");
    // --service narrows the list, as for exceptions (from a review: it was taken and ignored).
    expect((await ward("breakglass", "list", "--local", "--port", port, "--service", "orders")).out).toBe(open.out);
    expect((await ward("breakglass", "list", "--local", "--port", port, "--service", "wiki")).out).toBe("none");
  });
});
