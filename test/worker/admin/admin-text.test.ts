// Free text an admin writes (a grant's reason, ticket and approver, a break-glass justification, a revocation's
// reason, a push message) and a grant's principal hold no control, line-separator or bidirectional character:
// other admins read them in `ward` output, the history, webhooks and the log, where ESC[1A ESC[2K erases the
// line above and U+202E shows a name as another. The API answers 422 and stores nothing. (The CLI also prints
// every line escaped, for what was stored before: test/cli/terminal-text.test.ts.)
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate } from "../support/harness.ts";
import { labelled } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";
const HOSTILE = "\u001b[1A\u001b[2K\rnothing to see";

async function call(method: string, path: string, body: unknown): Promise<Response> {
  return exports.default.fetch(`${ADMIN}${path}`, {
    method,
    body: JSON.stringify(body),
    headers: {
      "content-type": "application/json",
      "cf-access-jwt-assertion": await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-text" }),
    },
  });
}

let active = "";
beforeAll(async () => {
  active = await activate(demoPolicy);
});

it("refuses control and bidirectional characters in what admins write, and stores nothing", async () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    const grants = (env as Env).GRANTS.getByName(grantsShard("wiki"));
    const grantsBefore = (await grants.list(true)).length;
    const denylistBefore = ((await (await call("GET", "/denylist?all=1", undefined)).json()) as { entries: unknown[] })
      .entries.length;
    const exception = {
      principal: { email: "ann@example.com" },
      service: "wiki",
      routes: ["edit"],
      methods: ["POST"],
      reason: "migrating the handbook",
      ticket: "SEC-42",
      requestedBy: "ann@example.com",
      approvedBy: "wiki-team@example.com",
      notAfter: new Date(Date.now() + 3600_000).toISOString(),
    };
    const statuses = {
      reason: (await call("POST", "/exceptions", { ...exception, reason: `ok ${HOSTILE}` })).status,
      ticket: (await call("POST", "/exceptions", { ...exception, ticket: `T-1${HOSTILE}` })).status,
      approvedBy: (await call("POST", "/exceptions", { ...exception, approvedBy: "x\u202eyx" })).status,
      requestedBy: (await call("POST", "/exceptions", { ...exception, requestedBy: "ann\u2028bob" })).status,
      group: (await call("POST", "/exceptions", { ...exception, principal: { group: `eng${HOSTILE}` } })).status,
      justification: (
        await call("POST", "/breakglass", { service: "wiki", justification: `incident 1 ${HOSTILE}`, minutes: 5 })
      ).status,
      revocation: (
        await call("POST", "/revocations", { match: "email", value: "eve@example.com", reason: `gone ${HOSTILE}` })
      ).status,
      push: (await call("PUT", "/policy", { text: labelled("text"), expected: active, message: `tidy ${HOSTILE}` }))
        .status,
    };
    expect(statuses).toEqual({
      reason: 422,
      ticket: 422,
      approvedBy: 422,
      requestedBy: 422,
      group: 422,
      justification: 422,
      revocation: 422,
      push: 422,
    });
    expect((await grants.list(true)).length).toBe(grantsBefore);
    const denylistAfter = ((await (await call("GET", "/denylist?all=1", undefined)).json()) as { entries: unknown[] })
      .entries.length;
    expect(denylistAfter).toBe(denylistBefore);
    const state = (await (await call("GET", "/policy", undefined)).json()) as { active: string };
    expect(state.active).toBe(active);
    // (Control: the same calls with plain text are taken.)
    expect((await call("POST", "/exceptions", exception)).status).toBe(201);
    expect(
      (
        await call("POST", "/revocations", {
          match: "email",
          value: "text-control@example.com",
          reason: "left the company",
        })
      ).status,
    ).toBe(201);
  } finally {
    log.mockRestore();
  }
});

it("refuses a grant's principal holding a character no reader sees, or white space around a group (black-box review)", async () => {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    const grants = (env as Env).GRANTS.getByName(grantsShard("wiki"));
    const before = (await grants.list(true)).length;
    const exception = (group: string) => ({
      principal: { group },
      service: "wiki",
      routes: ["edit"],
      methods: ["POST"],
      reason: "migrating the handbook",
      ticket: "SEC-43",
      requestedBy: "ann@example.com",
      approvedBy: "wiki-team@example.com",
      notAfter: new Date(Date.now() + 3600_000).toISOString(),
    });
    // `ward exceptions list` would show each as `group:sre`, for another group.
    for (const group of ["s\u200bre", "sre\u00ad", "\ufeffsre", "s\u2060re", "sre\u{e0001}", " sre", "sre "]) {
      const res = await call("POST", "/exceptions", exception(group));
      expect(res.status, JSON.stringify(group)).toBe(422);
    }
    const breakGlass = await call("POST", "/breakglass", {
      service: "wiki",
      principal: { group: "s\u200bre" },
      justification: "incident 7",
      minutes: 5,
    });
    expect(breakGlass.status).toBe(422);
    expect((await grants.list(true)).length).toBe(before);
    // (Control: the plain name is taken, and so is a joiner inside a word of a script that spells with one.)
    expect((await call("POST", "/exceptions", exception("sre"))).status).toBe(201);
    expect(
      (await call("POST", "/exceptions", exception("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"))).status,
    ).toBe(201);
  } finally {
    log.mockRestore();
  }
});

it("refuses a list filter it does not know rather than answer an empty list (black-box review)", async () => {
  for (const path of [
    "/denylist?kind=revocations",
    "/denylist?kind=Revocation",
    "/denylist?all=yes",
    "/grants?kind=exceptions&service=wiki",
    "/grants?kind=breakglass",
    "/grants?all=true",
  ]) {
    const res = await call("GET", path, undefined);
    expect(res.status, path).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/^(kind|all) is /);
  }
  // (Control: the documented values.)
  for (const path of ["/denylist?kind=revocation&all=1", "/denylist?kind=quarantine", "/grants?kind=exception&all=1"])
    expect((await call("GET", path, undefined)).status, path).toBe(200);
});
