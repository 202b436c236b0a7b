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

/** The entry in force at `now` that names this fact, if any. */
function inForce(byFact: Map<string, DenyEntry>, match: DenyEntry["match"], value: string, now: number): DenyEntry | undefined {
  const entry = byFact.get(factKey(match, value));
  // An expiry is compared here, at the request's instant, whatever the copy's age.
  return entry && (entry.expiresAt === null || entry.expiresAt > now) ? entry : undefined;
}

/**
 * The first entry in force that names one of the caller's verified facts. Each fact is looked up directly
 * (no list of facts is built): this runs on every request once the denylist has entries.
 */
function deniedBy(byFact: Map<string, DenyEntry>, identity: Identity, certificate: CertificateFacts | undefined, principal: string, now: number): DenyEntry | undefined {
  const { workload, user, serviceToken } = identity;
  let entry = workload && inForce(byFact, "spiffe", workload.id, now);
  if (!entry && certificate) {
    entry = inForce(byFact, "fingerprint", certificate.sha256, now);
    const serial = entry ? undefined : issuerSerial(certificate.issuerSki, certificate.serial);
    if (serial) entry = inForce(byFact, "serial", serial, now);
  }
  if (!entry && user) entry = inForce(byFact, "email", user.email.toLowerCase(), now) ?? (user.sub ? inForce(byFact, "sub", user.sub, now) : undefined);
  if (!entry && serviceToken) entry = inForce(byFact, "token", serviceToken.clientId, now);
  // A quarantine names the whole principal key or one part of it ("workload+user" has two parts).
  if (!entry) entry = inForce(byFact, "principal", principal, now);
  if (!entry && principal.includes("+")) {
    for (const part of principal.split("+")) {
      entry = inForce(byFact, "principal", part, now);
      if (entry) break;
    }
  }
  return entry;
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
  const entry = deniedBy(snapshot.byFact, identity, certificate, principal, now);
  return entry ? { state: "denied", entry } : CLEAR;
}

/** Forgets the copy (tests start from an empty isolate). */
export function resetDenylistCache(): void {
  snapshot = undefined;
  refreshing = undefined;
}
