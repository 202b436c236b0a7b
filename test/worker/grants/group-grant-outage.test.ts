// Whether a group grant needs the caller's groups (worker/gateway.ts grantNeedsGroups) is judged on the copy of
// the grants decide() just read, never by reading the store again: during a Grants outage each refused person's
// request makes one failing Durable Object call, not two.
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it, vi } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { BOOKS } from "./books-policy.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");

beforeAll(async () => {
  await activate(BOOKS);
});

it("reads the grant store at most once for one refused request", async () => {
  let reads = 0;
  const spy = vi.spyOn((env as Env).GRANTS, "getByName").mockImplementation(() => {
    reads++;
    throw new Error("Durable Object overloaded");
  });
  const quiet = [
    vi.spyOn(console, "log").mockImplementation(() => {}),
    vi.spyOn(console, "error").mockImplementation(() => {}),
  ];
  const m = marker();
  try {
    const res = await exports.default.fetch(`https://books.localhost/shelf?${m}`, {
      method: "POST",
      headers: {
        "cf-access-jwt-assertion": await accessToken(signing, { email: "ann@example.com", identity_nonce: "n-reread" }),
      },
    });
    await res.body?.cancel();
    expect(res.status).toBe(403);
  } finally {
    spy.mockRestore();
    for (const q of quiet) q.mockRestore();
  }
  expect(reads).toBe(1);
  expect(await originSaw(m)).toEqual([]);
});
