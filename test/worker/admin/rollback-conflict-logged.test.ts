// Every refused move of the pointer is logged (`policy-activation-conflict`, docs/operations.md): a plain rollback
// from a version no longer active, now refused before the object is asked (409, from a generated test), included.
// Before that change the object refused it and the line was written; the early answer wrote none.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";
import { labelled, versionOf } from "./policies.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(
    "cf-access-jwt-assertion",
    await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-rb" }),
  );
  if (init.body) headers.set("content-type", "application/json");
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ADMIN}${path}`, { ...init, headers }), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("a plain rollback from a stale view", () => {
  it("is refused 409 and logged as a refused move", async () => {
    const versions: string[] = [];
    for (const label of ["rb logged 1", "rb logged 2"]) {
      const text = labelled(label);
      const { active: expected } = (await (await call("/policy")).json()) as { active: string };
      const res = await call("/policy", { method: "PUT", body: JSON.stringify({ text, expected, message: label }) });
      expect(res.status).toBe(200);
      versions.push(await versionOf(text));
    }
    const [stale, active] = versions as [string, string];
    const refused = await captured(() =>
      call("/policy/rollback", { method: "POST", body: JSON.stringify({ expected: stale, message: "back" }) }),
    );
    expect(refused.result.status).toBe(409);
    expect(((await (await call("/policy")).json()) as { active: string }).active).toBe(active);
    const lines = refused.lines.filter((l) => l.event === "policy-activation-conflict");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ expected: stale, active });
  });
});
