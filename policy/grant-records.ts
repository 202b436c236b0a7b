// What the Grants Durable Object stores and answers for a time-bounded grant (exception or break-glass): the
// record with its justification and use count, and its audit events. The Worker writes them; the CLI prints
// them.
import type { TimedGrant } from "./grants.ts";

export type GrantStatus = "active" | "revoked" | "expired" | "used-up";

export interface GrantRecord extends TimedGrant {
  reason: string;
  ticket: string;
  requestedBy: string;
  approvedBy: string;
  uses: number;
  status: GrantStatus;
  createdAt: number;
  createdBy: string;
}

export type NewGrant = Omit<GrantRecord, "id" | "uses" | "status" | "createdAt" | "createdBy">;

export interface GrantEvent {
  seq: number;
  at: number;
  grantId: string;
  action: "created" | "revoked" | "expired" | "used" | "used-up";
  who: string;
  detail: string;
}

export type ConsumeResult =
  | { ok: true; uses: number }
  | { ok: false; status: GrantStatus | "unknown" | "outside-window" | "unavailable" };
