// Reads V8's --trace-deopt output (workerd's standard output) for test/bench/deopts.ts: what was deoptimised, and
// what optimised code was thrown away because objects it embedded were collected.

export interface TraceCounts {
  /** Eager, soft and lazy deoptimisations ("bailout" lines), by function. */
  deopts: Map<string, number>;
  /** Optimised code marked for deoptimisation at a full GC ("embedded weak objects cleared"), by function. */
  weakClears: Map<string, number>;
}

// A lazy deoptimisation's reason is "(unknown)": the reason runs to the first "): begin.". A function without a
// name prints as "<JSFunction (sfi = 0x...)>": named by its shared function info, each counted apart.
const BAILOUT =
  /^\[bailout \(kind: [\w-]+, reason: .*?\): begin\. deoptimizing \S+ <JSFunction (?:(.+?) )?\(sfi = (\w+)\)/;
const WEAK_CLEAR = /^\[marking dependent code .*<SharedFunctionInfo ([^>]+)>.*reason: embedded weak objects cleared/;

export function countTrace(text: string): TraceCounts {
  const deopts = new Map<string, number>();
  const weakClears = new Map<string, number>();
  const add = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);
  for (const line of text.split("\n")) {
    const bailout = BAILOUT.exec(line);
    if (bailout) add(deopts, bailout[1] ?? `(anonymous ${bailout[2]})`);
    const cleared = WEAK_CLEAR.exec(line);
    if (cleared) add(weakClears, cleared[1]!);
  }
  return { deopts, weakClears };
}

/** Whether V8 reported optimising `fn` (--trace-opt): the trace was taken, and of code that ran hot. */
export function tracedOptimising(text: string, fn: string): boolean {
  const line = new RegExp(`^\\[completed (?:compiling|optimizing) \\S+ <JSFunction ${fn} `, "m");
  return line.test(text);
}
