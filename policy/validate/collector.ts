// The issues of one validation run: every check adds to it, none stops at the first.
import type { Issue, IssueCode } from "../issues.ts";

/**
 * Warnings of one code kept one by one, at most: past it, one more that counts the rest. Two routes' patterns
 * can overlap in a million ways (1,000 deny routes beside 1,000 takers: a million deny-covers-route warnings,
 * 350 MB), and a warning is read by a person.
 */
export const WARNINGS_PER_CODE = 100;

/**
 * The work the checks that can only warn may do in one run, in their own units (a matcher looked up, a pair of
 * routes compared): past it they stop, saying nothing more, as they say nothing when unsure. A policy at the
 * bounds needs a fraction of it; a document built to make them quadratic stops in seconds, not hours.
 */
export const WARNING_WORK = 20_000_000;

export class Collector {
  /** Every issue so far (the warnings past WARNINGS_PER_CODE counted, not kept: see `finish`). */
  readonly issues: Issue[] = [];
  readonly #warningsOf = new Map<IssueCode, number>();
  #work = WARNING_WORK;
  /**
   * `warnings`: false where only errors matter (an isolate loading a stored version that passed `ward validate`
   * when pushed): checks that can only warn are skipped, and are not paid on a cold start.
   */
  readonly warnings: boolean;
  /**
   * A version already stored, not text as written: the errors added since it could have been pushed are not
   * made (an upgrade must not stop the gateway loading the policy it runs); `ward validate` and a push make them.
   */
  readonly stored: boolean;
  constructor(warnings = true, stored = false) {
    this.warnings = warnings;
    this.stored = stored;
  }

  add(severity: Issue["severity"], code: IssueCode, path: string, message: string, hint?: string): void {
    if (severity === "warning") {
      if (!this.warnings) return;
      const count = (this.#warningsOf.get(code) ?? 0) + 1;
      this.#warningsOf.set(code, count);
      if (count > WARNINGS_PER_CODE) return;
    }
    this.issues.push(hint === undefined ? { severity, code, path, message } : { severity, code, path, message, hint });
  }

  /** The work left to the checks that can only warn (none where warnings are skipped). */
  get workLeft(): number {
    return this.warnings ? this.#work : 0;
  }

  /** Whether a check that can only warn may do `units` more work (and they are counted as done). */
  mayWork(units: number): boolean {
    if (!this.warnings || this.#work < units) return false;
    this.#work -= units;
    return true;
  }

  /** The issues, ended for each code past WARNINGS_PER_CODE by one that counts the rest. Once, at the end. */
  finish(): Issue[] {
    for (const [code, count] of this.#warningsOf)
      if (count > WARNINGS_PER_CODE)
        this.issues.push({
          severity: "warning",
          code,
          path: "(document)",
          message: `and ${count - WARNINGS_PER_CODE} more ${code} warnings like those above`,
        });
    return this.issues;
  }
}
