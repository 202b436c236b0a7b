// NOTIFY_WEBHOOK is a secret (a chat webhook's URL is its credential). A malformed one (no scheme, a space, a
// scheme fetch does not take) made fetch throw an error quoting the whole URL, which notify-failed logged: the
// secret in every reader's log. The line names the setting instead.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { notify } from "../../../worker/shared/notify.ts";

afterEach(() => vi.restoreAllMocks());

async function linesOf(webhook: string): Promise<string[]> {
  const lines: string[] = [];
  for (const level of ["log", "error"] as const)
    vi.spyOn(console, level).mockImplementation((line: string) => void lines.push(line));
  await notify({ ...(env as unknown as Env), NOTIFY_WEBHOOK: webhook }, "break-glass granted", {});
  vi.restoreAllMocks();
  return lines;
}

describe("a malformed NOTIFY_WEBHOOK", () => {
  it.each([
    "hooks.chat.example/services/T000/B000/SECRET0TOKEN",
    "ftp://hooks.chat.example/services/T000/B000/SECRET0TOKEN",
    "https://hooks chat.example/services/T000/B000/SECRET0TOKEN",
  ])("is logged by name, never quoted: %s", async (webhook) => {
    const lines = await linesOf(webhook);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "error", event: "notify-failed" });
    expect(lines[0]).not.toContain("SECRET0TOKEN");
    expect(String(line.error)).toContain("NOTIFY_WEBHOOK");
  });
});
