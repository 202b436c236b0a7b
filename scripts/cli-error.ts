// One error class for the CLI: a message for the operator and the exit status to leave with.
export const EXIT = { ok: 0, failed: 1, usage: 2, denied: 3, widened: 4 } as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.exitCode = exitCode;
  }
}
