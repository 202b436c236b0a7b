// The issues of one validation run: every check adds to it, none stops at the first.
import type { Issue, IssueCode } from "../issues.ts";

export class Collector {
  readonly issues: Issue[] = [];
  /**
   * `warnings`: false where only errors matter (an isolate loading a stored version that passed `ward validate`
   * when pushed): checks that can only warn are skipped, and are not paid on a cold start.
   */
  readonly warnings: boolean;
  constructor(warnings = true) {
    this.warnings = warnings;
  }
  add(severity: Issue["severity"], code: IssueCode, path: string, message: string, hint?: string): void {
    if (severity === "warning" && !this.warnings) return;
    this.issues.push(hint === undefined ? { severity, code, path, message } : { severity, code, path, message, hint });
  }
}
