// Ward's JSON log lines written while `run` runs, captured (console.log, .error and .warn) and parsed: what a
// generated test compares with its oracle, kept out of the test output.
import { vi } from "vitest";

export async function captured<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const spies = (["log", "error", "warn"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((line: string) => void lines.push(String(line))),
  );
  try {
    const result = await run();
    return {
      result,
      lines: lines.flatMap((l) => (l.startsWith("{") ? [JSON.parse(l) as Record<string, unknown>] : [])),
    };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
