// The processes a test run started itself, read from /proc: its children, their children, and so on. A
// measurement that samples "every workerd on the machine" (pgrep -f) counts whatever else runs there, and
// crashes when one of those exits between the listing and the read; these helpers look only below a given
// process and treat a process that has gone as gone (undefined), never as an error.
import { readdirSync, readFileSync } from "node:fs";

/** A file of /proc/<pid>/, or undefined once the process has exited (or never existed). */
function procFile(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/** A process's parent, from /proc/<pid>/stat ("pid (comm) state ppid ..."; comm may hold spaces and ")"). */
function parentOf(pid: number): number | undefined {
  const stat = procFile(pid, "stat");
  if (stat === undefined) return undefined;
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** Every living descendant of `root` (children, grandchildren, ...), not `root` itself. */
export function descendantPids(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const parent = parentOf(pid);
    if (parent === undefined) continue; // exited while listed
    const siblings = children.get(parent);
    if (siblings) siblings.push(pid);
    else children.set(parent, [pid]);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** A process's command line (arguments joined by spaces), or undefined once it has exited. */
export function commandLine(pid: number): string | undefined {
  return procFile(pid, "cmdline")?.split("\0").join(" ").trim();
}

/** This run's own workerd servers: descendants of `root` whose command line is `workerd serve ...`. */
export function ownWorkerdPids(root: number = process.pid): number[] {
  return descendantPids(root).filter((pid) => /(^|\/)workerd serve\b/.test(commandLine(pid) ?? ""));
}

/** A process's resident set in KiB, or undefined once it has exited. */
export function residentKb(pid: number): number | undefined {
  const status = procFile(pid, "status");
  const kb = status === undefined ? undefined : /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb);
}
