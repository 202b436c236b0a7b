// A grant whose last use was spent since the isolate's copy was read (the copy is re-read every
// GRANTS_REFRESH_SECONDS) gives way to the next grant in force that covers the request: the store refuses to count
// it, and the request was refused although another grant lets the caller in (from a generated test,
// test/unit/grants-oracle.property.test.ts). The gateway runs with the deployed refresh interval, so the copy
// stays as it was read for the whole test.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, expect, inject, it, vi } from "vitest";
import type { NewGrant } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { resetGrantsCache } from "../../../worker/grants/cache.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import worker from "../../../worker/index.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { BOOKS } from "./books-policy.ts";

const signing = inject("accessPrivateJwk");
/** The deployed default (the test config sets 0.05 s): the isolate's copy is not re-read during the test. */
const deployed = { ...env, GRANTS_REFRESH_SECONDS: "10" } as unknown as Env;
const HOUR = 3_600_000;

async function write(email: string): Promise<{ status: number; seen: number; line?: Record<string, unknown> }> {
  const m = marker();
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(String(line)));
  try {
    const ctx = createExecutionContext();
    const request = new Request(`https://books.localhost/shelf?${m}`, {
      method: "POST",
      headers: { "cf-access-jwt-assertion": await accessToken(signing, { email, identity_nonce: `n-spent-${email}` }) },
    });
    const res = await worker.fetch(request, deployed, ctx);
    await res.body?.cancel();
    await waitOnExecutionContext(ctx);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision");
    return { status: res.status, seen: (await originSaw(m)).length, ...(line ? { line } : {}) };
  } finally {
    vi.restoreAllMocks();
  }
}

const exception = (maxUses?: number): NewGrant => ({
  kind: "exception",
  principal: { email: "ann@example.com" },
  service: "books",
  routes: ["write"],
  methods: ["POST"],
  reason: "inventory",
  ticket: "BOOK-7",
  requestedBy: "ann@example.com",
  approvedBy: "books-team@example.com",
  notBefore: Date.now() - 1000,
  notAfter: Date.now() + HOUR,
  ...(maxUses !== undefined ? { maxUses } : {}),
});

beforeAll(async () => {
  resetGrantsCache();
  await activate(BOOKS);
});

it("lets the next grant that covers the request through when the first one's last use was spent since", async () => {
  const store = deployed.GRANTS.getByName(grantsShard("books"));
  const once = await store.create(exception(1), "test", Date.now());
  const open = await store.create(exception(), "test", Date.now());
  if (!once.ok || !open.ok) throw new Error("grants not stored");
  // The first request reads the copy, and spends the first grant's only use.
  const first = await write("ann@example.com");
  expect(first).toMatchObject({ status: 200, seen: 1 });
  expect(first.line).toMatchObject({ exception: { id: once.record.id, maxUses: 1 } });
  // The copy still has it with uses left: the store refuses to count another, and the second grant applies.
  const second = await write("ann@example.com");
  expect(second).toMatchObject({ status: 200, seen: 1 });
  expect(second.line).toMatchObject({ reasons: ["allowed-by-exception"], exception: { id: open.record.id } });
  expect((await store.list(true)).find((g) => g.id === once.record.id)).toMatchObject({ uses: 1, status: "used-up" });
  // Nobody the grants do not name.
  expect(await write("bob@example.com")).toMatchObject({ status: 403, seen: 0 });
});
