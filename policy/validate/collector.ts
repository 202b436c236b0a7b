// The issues of one validation run: every check adds to it, none stops at the first.
import type { Issue, IssueCode } from "../issues.ts";

export class Collector {
  readonly issues: Issue[] = [];
  add(severity: Issue["severity"], code: IssueCode, path: string, message: string, hint?: string): void {
    this.issues.push(hint === undefined ? { severity, code, path, message } : { severity, code, path, message, hint });
  }
}
