// Whether a group grant needs the caller's groups (worker/gateway.ts grantNeedsGroups) is judged on the copy of
// the grants decide() just read, never by reading the store again: during a Grants outage each refused person's
// request makes one failing Durable Object call, not two.
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const BOOKS = stringify({
  version: 1,
  metadata: { environment: "dev", owners: ["security@example.com"] },
  identity: { access: parse(demoPolicy).identity.access },
  services: {
    books: {
      hosts: ["books.localhost"],
      origin: { tunnel: "WIKI" },
      owner: "books-team@example.com",
      routes: [
        {
          id: "write",
          methods: ["POST"],
          pathPrefix: "/",
          rules: [{ id: "boss", effect: "allow", principals: [{ email: "boss@example.com" }] }],
        },
      ],
    },
  },
});

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
  try {
    const res = await exports.default.fetch(`https://books.localhost/shelf?${marker()}`, {
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
});
