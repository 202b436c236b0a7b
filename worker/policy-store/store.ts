// The compiled policy, kept per isolate. KV is read at most once per refresh interval (and then in the
// background), never once per request. A corrupt or invalid version never replaces the last good one, and
// neither does one written for another environment than the Worker's WARD_ENV.
import {
  ACTIVE_KEY,
  documentKey,
  loadPolicy,
  loadStoredDocument,
  MAX_POLICY_BYTES,
  readSetting,
  SHADOW_KEY,
  sha256Hex,
  storedDocument,
  storedTextVersion,
  versionKey,
  versionRecords,
  type CompiledPolicy,
  type LoadResult,
} from "../../policy/index.ts";
import { logEvent } from "../log/events.ts";
import { RefreshingSnapshot } from "../shared/refreshing-snapshot.ts";
import { settledWithin } from "../shared/settled-within.ts";

/**
 * Stores a version under its name (policy/stored-version.ts). The version names the document, not the text: a text
 * of the same meaning (other comments, the JSON form of YAML) is the same version, so a source stored earlier that
 * is this version is kept, never replaced by a later push (from a review: a refused push rewrote the active
 * version's reviewed text, with no history entry). One that is not (another version's text, put there by a
 * bootstrap command re-run after its file changed, or cut short) is replaced: kept, it would be what history and
 * diffs show for this version for good. The document, the same bytes whoever writes them, is written every time.
 */
export async function storeVersion(kv: KVNamespace, policy: CompiledPolicy, source: string): Promise<void> {
  const [[sourceKey, text], ...rest] = versionRecords(policy, source) as [[string, string], ...[string, string][]];
  const stored = await kv.get(sourceKey);
  if (stored === null) await kv.put(sourceKey, text);
  else if (stored !== text) {
    // Checked only when a push brings another text: the admin API's path, where a push is validated anyway.
    const computed = await storedTextVersion(stored);
    if (computed !== policy.version) {
      logEvent("warn", "policy-source-replaced", { version: policy.version, was: computed ?? null });
      await kv.put(sourceKey, text);
    }
  }
  for (const [key, value] of rest) await kv.put(key, value);
}

/** The active version: the last good one is kept for good (no stale limit), whatever KV does meanwhile. */
const active = new RefreshingSnapshot<CompiledPolicy>();
/** The shadow candidate, as of the last refresh. */
let shadow: CompiledPolicy | undefined;
/**
 * The shadow pointer's reads, numbered as they are made (`shadowReadsMade`), and the number of the one that last set
 * (or cleared) the candidate: a read made before it changes nothing. Numbered, not timed: workerd's clock stands
 * still between I/O, so a burst's requests share one `now`, and a request's `now` is not when it read the pointer.
 */
let shadowReadsMade = 0;
let shadowSetBy = 0;
/** When KV was last checked, successfully or not: a failing KV is not asked on every request. */
let checkedAt = 0;
/**
 * The version KV's active pointer last named when read, and when (the start of that check): a copy KV has not
 * named since some instant may simply be stale, its reads failing (the admin API, worker/admin/api.ts).
 */
let confirmed: { version: string; at: number } | undefined;
/**
 * Versions refused for their environment, by version: what each was written for. A version names its content,
 * whose hash was checked before the refusal, so it stays refused; without this every refresh (and, with no
 * policy in hand, every request) read and compiled it again only to refuse it (tens of ms of CPU for a
 * 1,000-route policy). Kept with the environment it was refused for; a handful at most (a pointer names one
 * version at a time).
 */
const refusedForEnvironment = new Map<string, { written: string | undefined; serves: string }>();
const MAX_REFUSED_REMEMBERED = 8;

/** Who is reading a version, for the log: the active or shadow role (with the version kept), or a rollback. */
type ReadContext = { role: "active" | "shadow" | "rollback" | "promote"; keeping?: string | null };

/** The load, if it is usable as `version`; undefined (logged) when not. */
function usable(
  loaded: LoadResult,
  version: string,
  context: ReadContext,
  from: "document" | "source",
): CompiledPolicy | undefined {
  if (!loaded.ok) {
    logEvent("error", "policy-version-invalid", {
      ...context,
      version,
      from,
      issues: loaded.issues.filter((i) => i.severity === "error").slice(0, 20),
    });
    return undefined;
  }
  // The key names the content: a version whose content hashes elsewhere has been tampered with or mis-pushed.
  if (loaded.policy.version !== version) {
    logEvent("error", "policy-version-hash-mismatch", { ...context, version, from, computed: loaded.policy.version });
    return undefined;
  }
  return loaded.policy;
}

export type StoredVersion = { ok: true; policy: CompiledPolicy } | { ok: false; missing: boolean };

export interface ReadOptions {
  /** A compiled copy of that version already in hand, taken instead of compiling the text again. */
  installed?: () => CompiledPolicy | undefined;
  /**
   * Given, a version loaded from its source (no document yet, or a damaged one) gets its document stored, off
   * the request's path, so the next cold isolate loads the fast way: a bootstrapped version, or one pushed by
   * an older Ward, heals on first use. The bytes are canonicalJson of a document that has just hashed to the
   * version, exactly what a push stores. A failed write (KV allows one write a second per key) is left to the
   * next isolate.
   */
  background?: (p: Promise<unknown>) => void;
}

/**
 * A stored version, loaded and checked against its name: from its document when there is a usable one, else
 * from its source. Every refusal is logged.
 */
export async function readStoredVersion(
  kv: KVNamespace,
  version: string,
  context: ReadContext,
  options: ReadOptions = {},
): Promise<StoredVersion> {
  const installed = options.installed ?? (() => undefined);
  const document = await kv.get(documentKey(version));
  if (document !== null) {
    // The version is the hash of these very bytes: checked before anything is parsed.
    const computed = await sha256Hex(document);
    if (computed !== version) {
      logEvent("error", "policy-version-hash-mismatch", { ...context, version, from: "document", computed });
    } else {
      const policy = installed() ?? usable(loadStoredDocument(document, version), version, context, "document");
      if (policy) return { ok: true, policy };
    }
    // The source may still be good: a damaged document is no reason to refuse what was pushed.
  }
  const text = await kv.get(versionKey(version));
  if (text === null) {
    logEvent("error", "policy-version-missing", { ...context, version });
    return { ok: false, missing: document === null };
  }
  const have = installed();
  if (have) return { ok: true, policy: have };
  // A source past push's bound for YAML loads only as JSON: the YAML parser's memory would take the isolate down.
  // A stored version: read as the Ward that took it read it (policy/load.ts ParseOptions.stored).
  const loaded = await loadPolicy(text, { yamlUpTo: MAX_POLICY_BYTES, stored: true });
  const policy = usable(loaded, version, context, "source");
  if (!policy) return { ok: false, missing: false };
  options.background?.(kv.put(documentKey(version), storedDocument(policy)).catch(() => undefined));
  return { ok: true, policy };
}

/**
 * The version named for a role, or undefined (logged) when it cannot be used: unreadable, or for another
 * environment than `environment` (the Worker's WARD_ENV; unset or blank, not checked). The admin API refuses to
 * activate such a version, but a pointer written to KV directly (a bootstrap command run with the wrong --env,
 * two environments bound to one namespace) is not asked: served, production would enforce staging's policy.
 *
 * A burst on a cold isolate: every waiting request reads KV for itself, but the first to get the text
 * compiles it; the rest find that version installed and do not compile it again (tens of ms of CPU each for
 * a 1,000-route policy, on the one thread every waiting request shares).
 */
async function loadVersion(
  kv: KVNamespace,
  version: string,
  role: "active" | "shadow",
  keeping: string | null,
  background: Background,
  environment: string | undefined,
): Promise<CompiledPolicy | undefined> {
  // Logged at every refresh it is named in, as when it was read: the alarm goes on while the pointer does.
  const refuse = (written: string | undefined) => {
    logEvent("error", "policy-environment-mismatch", {
      role,
      keeping,
      version,
      environment: written,
      serves: environment,
    });
    return undefined;
  };
  const refused = refusedForEnvironment.get(version);
  if (environment && refused?.serves === environment) return refuse(refused.written);
  const installed = () => {
    const have = role === "active" ? active.latest() : shadow;
    return have?.version === version ? have : undefined;
  };
  const stored = await readStoredVersion(kv, version, { role, keeping }, { installed, background });
  if (!stored.ok) return undefined;
  const written = stored.policy.document.metadata.environment;
  if (environment && written !== environment) {
    if (refusedForEnvironment.size >= MAX_REFUSED_REMEMBERED) refusedForEnvironment.clear();
    refusedForEnvironment.set(version, { written, serves: environment });
    return refuse(written);
  }
  return stored.policy;
}

type Background = (p: Promise<unknown>) => void;

async function refreshActive(
  kv: KVNamespace,
  now: number,
  background: Background,
  environment: string | undefined,
): Promise<void> {
  const pointer = (await kv.get(ACTIVE_KEY))?.trim();
  const current = active.latest();
  if (!pointer) {
    if (current) logEvent("error", "policy-pointer-missing", { keeping: current.version });
    return;
  }
  // A slower check that began earlier never moves the time back, nor credits its version with a later one's.
  const confirm = (version: string) => {
    if (!confirmed || now >= confirmed.at) confirmed = { version, at: now };
  };
  // The pointer still names the copy: as new as this read, so a slower read of another pointer never replaces it.
  if (current && pointer === current.version) {
    active.store(current, now);
    return void confirm(pointer);
  }
  const loaded = await loadVersion(kv, pointer, "active", current?.version ?? null, background, environment);
  if (!loaded) return;
  if (loaded.version === active.latest()?.version) return void confirm(pointer);
  // A slower read of an older pointer that finishes last does not put its version back.
  if (active.store(loaded, now)) {
    confirm(pointer);
    logEvent("info", "policy-loaded", { version: pointer });
  }
}

/**
 * Unlike the active pointer, a missing shadow pointer means "no shadow": a cleared candidate stops at once. A read
 * made before the one that last set the candidate changes nothing (shadowSetBy): in a cold isolate's burst each
 * request reads for itself, and a slower, older one would put back a candidate a later one saw cleared.
 */
async function refreshShadow(kv: KVNamespace, background: Background, environment: string | undefined): Promise<void> {
  const read = ++shadowReadsMade;
  const pointer = (await kv.get(SHADOW_KEY))?.trim();
  if (read < shadowSetBy) return;
  if (!pointer || pointer === shadow?.version) {
    // Confirmed as it is, too: an older read's load of another version must not replace it.
    shadowSetBy = read;
    if (!pointer) shadow = undefined;
    return;
  }
  const loaded = await loadVersion(kv, pointer, "shadow", null, background, environment);
  if (read < shadowSetBy) return;
  shadowSetBy = read;
  if (loaded?.version === shadow?.version) return;
  shadow = loaded;
  if (loaded) logEvent("info", "shadow-policy-loaded", { version: pointer });
}

async function refresh(
  kv: KVNamespace,
  now: number,
  background: Background,
  environment: string | undefined,
): Promise<void> {
  try {
    await refreshActive(kv, now, background, environment);
    await refreshShadow(kv, background, environment);
  } catch (error) {
    logEvent("error", "policy-store-unavailable", { error: String(error), keeping: active.latest()?.version ?? null });
  } finally {
    checkedAt = Math.max(checkedAt, now);
  }
}

/** When KV's pointer, read last, named `version` (ms); -Infinity if that read named another, or none was made. */
export function confirmedAt(version: string): number {
  return confirmed?.version === version ? confirmed.at : Number.NEGATIVE_INFINITY;
}

/** The shadow candidate, as of the last refresh (currentPolicy drives the refreshes). */
export function shadowPolicy(): CompiledPolicy | undefined {
  return shadow;
}

/** How long a request waits for the re-check of an idle isolate before it answers with the version it has. */
const INLINE_CHECK_MS = 1_000;

/**
 * The policy to decide with, or undefined when none has ever loaded (the caller answers 503).
 * With a policy in hand, a due re-check runs in the background so the request does not wait for KV, unless the
 * last check is two intervals old or older: an isolate that has been idle re-reads before it answers (waiting at
 * most INLINE_CHECK_MS), so a push or rollback that withdrew access is not honoured for one more request hours
 * later (as worker/denylist/cache.ts does for revocations). If KV cannot be read, the last good version is kept.
 * `environment` (WARD_ENV): a version written for another is never served (loadVersion).
 */
export async function currentPolicy(
  kv: KVNamespace,
  refreshSeconds: number,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
  environment?: string,
): Promise<CompiledPolicy | undefined> {
  const policy = active.latest();
  if (!policy) {
    // Nothing to decide with yet: this request reads KV itself and waits. It never awaits another
    // request's read (Workers tie I/O to the request that started it).
    await refresh(kv, now, waitUntil, environment);
    return active.latest();
  }
  const since = now - checkedAt;
  if (since >= 2 * refreshSeconds * 1000) {
    // One re-check at a time, and this request waits for it at most INLINE_CHECK_MS: a KV that hangs must not
    // hold every request. (A re-check another request started is not awaited: Workers tie I/O to its request.)
    const read = active.startRead(now, () => refresh(kv, now, waitUntil, environment));
    if (read) {
      waitUntil(read);
      await settledWithin(read, INLINE_CHECK_MS);
    }
    return active.latest();
  }
  if (since >= refreshSeconds * 1000) {
    // In the background, one at a time; a re-check whose request was cancelled mid-read is abandoned after
    // a while, so the isolate cannot stop re-checking for good (refreshing-snapshot.ts).
    const read = active.startRead(now, () => refresh(kv, now, waitUntil, environment));
    if (read) waitUntil(read);
  }
  return policy;
}

/** currentPolicy with the environment's refresh interval (POLICY_REFRESH_SECONDS, default 5) and WARD_ENV. */
export function activePolicy(
  env: { POLICY: KVNamespace; POLICY_REFRESH_SECONDS?: string | number; WARD_ENV?: string },
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<CompiledPolicy | undefined> {
  const seconds = readSetting("POLICY_REFRESH_SECONDS", env.POLICY_REFRESH_SECONDS)!;
  // Blank is unset, as the admin API reads it (worker/admin/api.ts refusal).
  return currentPolicy(env.POLICY, seconds, now, waitUntil, env.WARD_ENV || undefined);
}

/** Forgets the isolate's policy (tests use it to start from an empty isolate). */
export function resetPolicyCache(): void {
  active.reset();
  shadow = undefined;
  // A read still under way from before counts as older than any made from now on.
  shadowSetBy = shadowReadsMade + 1;
  checkedAt = 0;
  confirmed = undefined;
  refusedForEnvironment.clear();
}
