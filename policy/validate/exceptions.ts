// Break-glass grants last at most a day, whatever the policy allows (policy/grants.ts BREAK_GLASS_MAX_MINUTES): a
// policy that allows longer reads as if it did, and an operator breaking glass mid-incident would be refused (422)
// for a length the policy names (from a docs review).
import { durationSeconds } from "../duration.ts";
import { BREAK_GLASS_MAX_MINUTES } from "../grants.ts";
import type { PolicyDocument } from "../schema.ts";
import type { Collector } from "./collector.ts";

export function checkBreakGlassBound(doc: PolicyDocument, out: Collector): void {
  const allowed = doc.exceptions.breakGlassMaxDuration;
  if (durationSeconds(allowed) <= BREAK_GLASS_MAX_MINUTES * 60) return;
  out.add(
    "warning",
    "break-glass-capped",
    "exceptions.breakGlassMaxDuration",
    `${allowed} is longer than a break-glass grant may last (${BREAK_GLASS_MAX_MINUTES / 60} h: the caller approves their own): ward breakglass --minutes takes at most ${BREAK_GLASS_MAX_MINUTES}`,
    "set it to 24h or less; a longer grant is an exception (ward exceptions grant), approved by another",
  );
}
