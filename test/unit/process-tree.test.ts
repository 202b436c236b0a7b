// The load run samples only the processes it started (test/load/run.ts): they are found below this process in
// /proc, and one that exits mid-run reads as gone instead of crashing the run with ENOENT.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { commandLine, descendantPids, ownWorkerdPids, residentKb } from "../support/process-tree.ts";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

/** A shell that starts a grandchild (`sleep`) and waits for it: two generations below this process. */
async function shellWithGrandchild(): Promise<{ shell: number; grandchild: number }> {
  const child = spawn("sh", ["-c", "sleep 30 & echo $!; wait"], { stdio: ["ignore", "pipe", "ignore"] });
  started.push(child);
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  return { shell: child.pid!, grandchild: Number(String(line).trim()) };
}

describe("descendantPids", () => {
  it("finds children and grandchildren of this process, and nothing outside it", async () => {
    const { shell, grandchild } = await shellWithGrandchild();
    const own = descendantPids();
    expect(own).toContain(shell);
    expect(own).toContain(grandchild);
    expect(own).not.toContain(process.pid);
    expect(own).not.toContain(1); // init: on the machine, not ours
    expect(descendantPids(shell)).toEqual([grandchild]);
    expect(commandLine(grandchild)).toBe("sleep 30");
    expect(ownWorkerdPids()).not.toContain(grandchild); // not a workerd
  });

  it("treats a process that has exited as gone, not as an error", async () => {
    const { shell, grandchild } = await shellWithGrandchild();
    expect(residentKb(grandchild)).toBeGreaterThan(0);
    process.kill(grandchild, "SIGKILL");
    await once(started[0]!, "exit"); // the shell's wait returns once sleep is gone
    // Reaped: /proc/<pid> no longer exists. Reading it must not throw.
    expect(residentKb(grandchild)).toBeUndefined();
    expect(residentKb(shell)).toBeUndefined();
    expect(commandLine(grandchild)).toBeUndefined();
    expect(descendantPids()).not.toContain(grandchild);
  });
});
