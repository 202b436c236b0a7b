// The denylist, kept per isolate: read once, then re-read in the background every DENYLIST_REFRESH_SECONDS
// (default 2), so a revocation or quarantine takes effect within seconds and no request of a busy isolate
// waits for the store; an idle isolate's first request reads it first. Entries are matched against verified
// facts only. If the list has never been read, or the copy is older than a minute, it is unknown who is
// revoked: authenticated requests are then refused (fail closed).
import { principalParts, type Identity } from "../policy/index.ts";
import { DENYLIST_NAME, type DenyEntry } from "./denylist-store.ts";
import type { Env } from "./env.ts";
import { issuerSerial } from "./identity/issuer-serial.ts";
import type { CertificateFacts } from "./identity/mtls.ts";
import { logEvent } from "./log.ts";
import { RefreshingSnapshot } from "./refreshing-snapshot.ts";

const MAX_STALE_MS = 60_000;
/**
 * A copy this old (or twice the refresh interval, if that is longer) belongs to an isolate that has been
 * idle: the next request re-reads the list before it is answered, so an idle isolate cannot let a recent
 * revocation through.
 */
const READ_BEFORE_ANSWER_MS = 5_000;

const factKey = (match: DenyEntry["match"], value: string) => `${match} ${match === "email" ? value.toLowerCase() : value}`;

/** The list as "match value" -> entry: one lookup per fact, however long the list. */
const snapshot = new RefreshingSnapshot<Map<string, DenyEntry>>(MAX_STALE_MS);

function refreshMs(env: Env): number {
  const seconds = Number(env.DENYLIST_REFRESH_SECONDS ?? "2");
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 2) * 1000;
}

/** One entry per fact: the one that lasts longest, so a short revocation never hides a permanent one. */
function byFact(entries: readonly DenyEntry[]): Map<string, DenyEntry> {
  const map = new Map<string, DenyEntry>();
  const end = (e: DenyEntry) => e.expiresAt ?? Infinity;
  for (const entry of entries) {
    const key = factKey(entry.match, entry.value);
    const held = map.get(key);
    if (!held || end(entry) > end(held)) map.set(key, entry);
  }
  return map;
}

async function load(env: Env, now: number): Promise<void> {
  try {
    snapshot.store(byFact(await env.DENYLIST.getByName(DENYLIST_NAME).active(now)), now);
  } catch (error) {
    const age = snapshot.age(now);
    logEvent("error", "denylist-unavailable", { error: String(error), ageMs: age === Infinity ? null : age });
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
  const credentials = Number(workload !== undefined) + Number(user !== undefined) + Number(serviceToken !== undefined);
  if (!entry && credentials > 1) {
    for (const part of principalParts(identity)) {
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
  const refresh = refreshMs(env);
  const age = snapshot.age(now);
  if (age >= Math.max(READ_BEFORE_ANSWER_MS, 2 * refresh)) {
    // A cold or idle isolate: each request reads for itself rather than awaiting another request's read
    // (Workers tie I/O to the request that started it). If the read fails, the copy serves up to MAX_STALE_MS.
    await load(env, now);
  } else if (age >= refresh) {
    const read = snapshot.startRead(now, () => load(env, now));
    if (read) waitUntil(read);
  }
  const list = snapshot.current(now);
  if (!list) return { state: "unknown" };
  if (list.size === 0) return CLEAR;
  const entry = deniedBy(list, identity, certificate, principal, now);
  return entry ? { state: "denied", entry } : CLEAR;
}

/** Forgets the copy (tests start from an empty isolate). */
export function resetDenylistCache(): void {
  snapshot.reset();
}
