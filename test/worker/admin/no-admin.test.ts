// Deny by default: a policy without `admin` lets nobody into the admin API, not even a caller the demo policy
// makes an admin, and none of its calls (a push, a break-glass grant) changes anything or reaches an origin.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { ACTIVE_KEY } from "../../../policy/index.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

let active: string;

beforeAll(async () => {
  const doc = parse(demoPolicy);
  delete doc.admin;
  active = await activate(stringify(doc));
});

async function as(email: string | undefined, path: string, m: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (email)
    headers.set("cf-access-jwt-assertion", await accessToken(signing, { email, identity_nonce: `n-none-${email}` }));
  if (init.body) headers.set("content-type", "application/json");
  return exports.default.fetch(`${ADMIN}${path}?${m}`, { ...init, headers });
}

describe("a policy that names no admins", () => {
  it("refuses every caller, the demo's own admin included, and changes nothing", async () => {
    const m = marker();
    expect((await as(undefined, "/policy", m)).status).toBe(401);
    for (const email of ["admin@example.com", "ann@example.com"])
      expect((await as(email, "/policy", m)).status, email).toBe(403);
    // A push that would name admins again is refused too: only the bootstrap path (KV) can.
    const push = await as("admin@example.com", "/policy", m, {
      method: "PUT",
      body: JSON.stringify({ text: demoPolicy, expected: active }),
    });
    expect(push.status).toBe(403);
    expect(await env.POLICY.get(ACTIVE_KEY)).toBe(active);
    const grants = env.GRANTS.getByName(grantsShard("payments"));
    const before = (await grants.list(true)).length;
    const breakGlass = await as("admin@example.com", "/breakglass", m, {
      method: "POST",
      body: JSON.stringify({ service: "payments", justification: "no admins named, so no break-glass", minutes: 10 }),
    });
    expect(breakGlass.status).toBe(403);
    expect((await grants.list(true)).length).toBe(before);
    expect(await originSaw(m)).toEqual([]);
  });
});
