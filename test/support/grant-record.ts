import type { GrantRecord } from "../../policy/index.ts";

/** A grant as the Grants store answers it: an active exception for ann@example.com on every route of wiki. */
export function grantRecord(over: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: "exc-1",
    kind: "exception",
    principal: { email: "ann@example.com" },
    service: "wiki",
    routes: "*",
    methods: "*",
    notBefore: 0,
    notAfter: Date.parse("2099-01-01T00:00:00Z"),
    reason: "quarterly audit",
    ticket: "T-1",
    requestedBy: "user:ann@example.com",
    approvedBy: "user:admin@example.com",
    uses: 0,
    status: "active",
    createdAt: 0,
    createdBy: "user:admin@example.com",
    ...over,
  };
}
