// Reads V8's --trace-deopt output (workerd's standard output) for test/bench/deopts.ts: what was deoptimised, and
// what optimised code was thrown away because objects it embedded were collected.

export interface TraceCounts {
  /** Eager, soft and lazy deoptimisations ("bailout" lines), by function. */
  deopts: Map<string, number>;
  /** Optimised code marked for deoptimisation at a full GC ("embedded weak objects cleared"), by function. */
  weakClears: Map<string, number>;
}

const BAILOUT = /^\[bailout \(kind: [\w-]+, reason: [^)]*\): begin\. deoptimizing \S+ <JSFunction (\S+)/;
const WEAK_CLEAR = /^\[marking dependent code .*<SharedFunctionInfo ([^>]+)>.*reason: embedded weak objects cleared/;

export function countTrace(text: string): TraceCounts {
  const deopts = new Map<string, number>();
  const weakClears = new Map<string, number>();
  const add = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1);
  for (const line of text.split("\n")) {
    const bailout = BAILOUT.exec(line);
    if (bailout) add(deopts, bailout[1]!);
    const cleared = WEAK_CLEAR.exec(line);
    if (cleared) add(weakClears, cleared[1]!);
  }
  return { deopts, weakClears };
}
