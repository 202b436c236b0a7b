// The model of the policy store's generated test (store-differential.test.ts), written from docs/operations.md
// ("Policy lifecycle: push, history, rollback", "Shadow", "The admin API") and docs/architecture.md (step 2,
// Policy), not from the code. It says what the admin API must answer, what the history and the active and
// shadow versions must be after each step, and which version a gateway isolate must decide a request with:
//
// - versions are content-addressed: `policy:v:<v>` holds the text first stored (another text of the same
//   version never replaces it), `policy:doc:<v>` the document, whose bytes hash to <v>;
// - a version loads from its document when the document's bytes hash to its name, else from its source when the
//   source's document hashes to the name (the isolate then stores the document); otherwise it does not load;
// - a version that does not load, or is for another environment, never replaces the isolate's last good one; a
//   new isolate with no good one answers 503 (nothing forwarded);
// - an isolate idle for two refresh intervals re-reads the pointer before it answers;
// - a push moves the pointer from `expected` (409 if it moved: its version is stored anyway), records
//   {action: push, version, previous, who, message}; a push of the active version's document is `unchanged`
//   and records nothing; an invalid push (422) changes nothing;
// - a rollback moves to `to` or to the version the latest move to the active one came from; to the active
//   version 409, to one not stored 404, to one that does not load, is for another environment or would shut
//   the caller out 422; a stale `expected` 409; nothing moves on a refusal;
// - shadow set / clear / promote are recorded (`shadow`, `shadow-clear`, `promote`); promote is a move like a
//   push and ends the shadow.

export const WHO = "user:admin@example.com";

export interface Version {
  label: string;
  /** The text first stored: what history and diffs show. */
  first: string;
  /** Every text of this version's document seen so far (rewordings, the JSON form). */
  texts: Set<string>;
  environment: string;
  /** Whether the test's admin is still an admin under it. */
  admits: boolean;
}

export interface Entry {
  action: "push" | "rollback" | "promote" | "shadow" | "shadow-clear";
  version?: string;
  previous?: string | null;
  message: string;
}

/** What KV holds of a version, as observed after each step. */
export type Stored = { source: "good" | "bad" | "none"; doc: "good" | "bad" | "none" };

export class StoreModel {
  versions = new Map<string, Version>();
  stored = new Map<string, Stored>();
  history: Entry[] = [];
  shadow: string | null = null;
  /** The version this isolate decides with (undefined: none, 503). */
  served: string | undefined;

  active: string;

  constructor(active: string, bootstrap: Version) {
    this.active = active;
    this.versions.set(active, bootstrap);
    this.stored.set(active, { source: "good", doc: "none" });
    this.served = undefined;
  }

  /** Whether a version loads: its document or its source hashes to its name. */
  loads(version: string): boolean {
    const s = this.stored.get(version);
    return !!s && (s.doc === "good" || s.source === "good");
  }

  /** Whether a gateway of this environment (dev) serves it once the pointer names it. */
  servable(version: string): boolean {
    return this.loads(version) && this.versions.get(version)?.environment === "dev";
  }

  /** Whether the admin API may make it active (rollback, promote). */
  activatable(version: string): boolean {
    return this.servable(version) && this.versions.get(version)?.admits === true;
  }

  /** The version a plain rollback returns to: the one the latest move to the active version came from. */
  versionBefore(): string | undefined {
    const move = this.history.find(
      (e) => (e.action === "push" || e.action === "rollback" || e.action === "promote") && e.version === this.active,
    );
    return move?.previous ?? undefined;
  }

  /** The answer a rollback must get: 200 (and where to), or the refusal's status. */
  rollback(expected: string, to: string | undefined): { status: number; to?: string } {
    if (expected !== this.active) return { status: 409 };
    const target = to ?? this.versionBefore();
    if (target === undefined) return { status: 0 }; // any refusal: nothing to go back to
    if (target === this.active) return { status: 409 };
    if (!this.stored.has(target) || this.stored.get(target)!.source === "none") return { status: 404 };
    if (!this.activatable(target)) return { status: 422 };
    return { status: 200, to: target };
  }

  /** A move of the pointer, recorded. */
  move(action: "push" | "rollback" | "promote", version: string, message: string): void {
    this.history.unshift({ action, version, previous: this.active, message });
    this.active = version;
  }

  /**
   * The version the isolate decides with once it has re-read `pointer` (warm), or once it starts (cold):
   * a version that cannot be served never replaces the last good one.
   */
  refresh(pointer: string, cold: boolean): { loaded: boolean } {
    const before = cold ? undefined : this.served;
    if (before === pointer) return { loaded: false };
    if (this.servable(pointer)) {
      this.served = pointer;
      return { loaded: true };
    }
    this.served = before;
    return { loaded: false };
  }

  /** The history as GET /.ward/admin/policy shows it (latest 50), in the fields the model knows. */
  shownHistory(): Entry[] {
    return this.history.slice(0, 50);
  }
}

/** A history entry as the admin API returns it, reduced to the fields the model knows. */
export function comparable(entry: Record<string, unknown>): Entry & { who?: unknown } {
  const action = entry.action as Entry["action"];
  const moved = action === "push" || action === "rollback" || action === "promote";
  return {
    action,
    ...(moved ? { version: entry.version as string, previous: entry.previous as string | null } : {}),
    message: entry.message as string,
  };
}
