// `ward exceptions revoke ID`: the service is looked up among the gateway's grants. Ids are unique within a
// service only (from a review: the first grant listed with the id was revoked, an ended one elsewhere, and the
// one in force stayed). The admin API is stood in for at the outside edge, the HTTP call.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { GrantRecord } from "../../policy/index.ts";

const calls: string[] = [];
let listed: GrantRecord[] = [];
const ID = "exc-1a2b3c4d";
const grant = (service: string, status: GrantRecord["status"]): GrantRecord => ({
  id: ID,
  kind: "exception",
  service,
  principal: { email: "ann@example.com" },
  routes: "*",
  methods: "*",
  notBefore: 0,
  notAfter: Date.parse("2099-01-01T00:00:00Z"),
  reason: "migration",
  ticket: "OPS-1",
  requestedBy: "ann@example.com",
  approvedBy: "lead@example.com",
  uses: 0,
  status,
  createdAt: 0,
  createdBy: "user:admin@example.com",
});

vi.mock("../../scripts/admin-client.ts", async (original) => ({
  ...(await original<typeof import("../../scripts/admin-client.ts")>()),
  resolveTarget: async () => ({ base: new URL("https://ward.example.com"), headers: {}, describe: "staging" }),
  policyState: async () => ({}),
  adminCall: async (_target: unknown, method: string, path: string) => {
    calls.push(`${method} ${path}`);
    if (method === "GET") return { status: 200, body: { grants: listed }, text: "" };
    return { status: 200, body: { grant: { ...grant(path.split("/")[2]!, "revoked") } }, text: "" };
  },
}));

async function revoke(id: string): Promise<{ status: number | string; out: string[] }> {
  const { exceptionsCommand } = await import("../../scripts/commands/exceptions.ts");
  const out: string[] = [];
  const io = { out: (l: string) => void out.push(l), err: (l: string) => void out.push(l) };
  const status = await exceptionsCommand(["revoke", "--env", "staging", id, "--reason", "done"], io).catch(
    (e: Error) => e.message,
  );
  return { status, out };
}

beforeEach(() => {
  calls.length = 0;
});

describe("ward exceptions revoke ID", () => {
  it("revokes the one in force when an ended grant elsewhere has the same id", async () => {
    listed = [grant("payments", "expired"), grant("wiki", "active")];
    expect((await revoke(ID)).status).toBe(0);
    expect(calls).toContain(`DELETE /grants/wiki/${ID}?reason=done`);
    expect(calls.filter((c) => c.startsWith("DELETE"))).toHaveLength(1);
  });

  it("asks for SERVICE/ID when two in force share it, and changes nothing", async () => {
    listed = [grant("payments", "active"), grant("wiki", "active")];
    const { status } = await revoke(ID);
    expect(status).toBe(`2 grants are ${ID}: name one as SERVICE/ID (payments/${ID}, wiki/${ID}); nothing changed`);
    expect(calls.filter((c) => c.startsWith("DELETE"))).toEqual([]);
    // SERVICE/ID is taken as it is, without looking.
    expect((await revoke(`payments/${ID}`)).status).toBe(0);
    expect(calls).toContain(`DELETE /grants/payments/${ID}?reason=done`);
  });
});
