// The denylist, kept per isolate: read once, then re-read in the background every DENYLIST_REFRESH_SECONDS
// (default 2), so a revocation or quarantine takes effect within seconds and no request waits for the
// store. Entries are matched against verified facts only. If the list has never been read, or the copy is
// older than a minute, it is unknown who is revoked: authenticated requests are then refused (fail closed).
import type { Identity } from "../policy/index.ts";
import { DENYLIST_NAME, type DenyEntry } from "./denylist-store.ts";
import type { Env } from "./env.ts";
import { issuerSerial } from "./identity/issuer-serial.ts";
import type { CertificateFacts } from "./identity/mtls.ts";
import { logEvent } from "./log.ts";

const MAX_STALE_MS = 60_000;

interface Snapshot {
  /** "match value" -> entry: one lookup per fact, however long the list. */
  byFact: Map<string, DenyEntry>;
  fetchedAt: number;
}

const factKey = (match: DenyEntry["match"], value: string) => `${match} ${match === "email" ? value.toLowerCase() : value}`;

let snapshot: Snapshot | undefined;
let refreshing: Promise<void> | undefined;

function refreshMs(env: Env): number {
  const seconds = Number(env.DENYLIST_REFRESH_SECONDS ?? "2");
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 2) * 1000;
}

async function load(env: Env, now: number): Promise<void> {
  try {
    const entries = await env.DENYLIST.getByName(DENYLIST_NAME).active(now);
    snapshot = { byFact: new Map(entries.map((e) => [factKey(e.match, e.value), e])), fetchedAt: now };
  } catch (error) {
    logEvent("error", "denylist-unavailable", { error: String(error), ageMs: snapshot ? now - snapshot.fetchedAt : null });
  }
}

export type DenylistVerdict = { state: "clear" } | { state: "denied"; entry: DenyEntry } | { state: "unknown" };
const CLEAR: DenylistVerdict = { state: "clear" };

/** The facts of a caller that an entry can name. */
function facts(identity: Identity, certificate: CertificateFacts | undefined, principal: string): Record<DenyEntry["match"], readonly string[]> {
  return {
    spiffe: identity.workload ? [identity.workload.id] : [],
    fingerprint: certificate ? [certificate.sha256] : [],
    serial: certificate ? [issuerSerial(certificate.issuerSki, certificate.serial)].filter((v) => v !== undefined) : [],
    email: identity.user ? [identity.user.email.toLowerCase()] : [],
    sub: identity.user?.sub ? [identity.user.sub] : [],
    token: identity.serviceToken ? [identity.serviceToken.clientId] : [],
    principal: [principal, ...principal.split("+")],
  };
}

export async function denylistVerdict(
  env: Env,
  identity: Identity,
  certificate: CertificateFacts | undefined,
  principal: string,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<DenylistVerdict> {
  if (!snapshot) {
    // A cold isolate: each request reads for itself rather than awaiting another request's read (Workers
    // tie I/O to the request that started it).
    await load(env, now);
  } else if (now - snapshot.fetchedAt >= refreshMs(env) && !refreshing) {
    refreshing = load(env, now).finally(() => (refreshing = undefined));
    waitUntil(refreshing);
  }
  if (!snapshot || now - snapshot.fetchedAt > MAX_STALE_MS) return { state: "unknown" };
  if (snapshot.byFact.size === 0) return CLEAR;
  for (const [match, values] of Object.entries(facts(identity, certificate, principal)) as [DenyEntry["match"], readonly string[]][]) {
    for (const value of values) {
      const entry = snapshot.byFact.get(factKey(match, value));
      // An expiry is compared here, at the request's instant, whatever the copy's age.
      if (entry && (entry.expiresAt === null || entry.expiresAt > now)) return { state: "denied", entry };
    }
  }
  return CLEAR;
}

/** Forgets the copy (tests start from an empty isolate). */
export function resetDenylistCache(): void {
  snapshot = undefined;
  refreshing = undefined;
}
