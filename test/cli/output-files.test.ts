// Where a command writes a file it was told to (--out, --log), a path it cannot write is one line naming it
// (exit 1), not a stack trace; `ward dev --log` finds it before the gateway starts (from a review: the gateway
// started, then died on its first log line, leaving requests in flight unanswered).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wardLines } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-output-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const absent = join(dir, "absent", "out.json");

describe("files a command writes", () => {
  it.each([
    [["schema", "--out", absent], `ward schema: --out ${absent}: cannot write it: ENOENT`],
    [["schema", "--out", dir], `ward schema: --out ${dir}: cannot write it: EISDIR`],
    [["reach", "policy/examples/demo.yaml", "--out", absent], `ward reach: --out ${absent}: cannot write it: ENOENT`],
    [["dev", "--port", "0", "--log", absent], `ward dev: --log ${absent}: cannot write it: ENOENT`],
  ])("ward %j: one line, exit 1, nothing started", async (args, line) => {
    const run = await wardLines(...args);
    expect(run.status).toBe(1);
    expect(run.err).toEqual([line]);
    expect(run.out).toEqual([]);
  });
});
