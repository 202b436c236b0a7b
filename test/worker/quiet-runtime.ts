// workerd logs an origin connection that breaks mid-answer as an exception ("disconnected: client error
// (SendRequest)", with a native stack), even when the Worker catches the failed fetch: Ward answers 502, as the
// tests that break a connection on purpose assert (faults.test.ts `/__broken`, responses.test.ts). The vitest
// plugin drops workerd's other "disconnected: ..." lines, not this one, and writes it to standard output, so a
// passing run printed it. Only that line, and the stack line workerd writes with it, are dropped: anything else
// still shows.
const BROKEN_ORIGIN = /^exception = \S+ disconnected: client error \(SendRequest\)\n?$/;
const NATIVE_STACK = /^stack:( \S+workerd@[0-9a-f]+)+\n?$/;

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

function filtered(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as Write;
  let afterBroken = false;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== "string" || (!chunk.includes("exception = ") && !afterBroken)) return write(chunk, ...rest);
    const lines = chunk.split(/(?<=\n)/);
    const kept = lines.filter((line) => {
      const broken = BROKEN_ORIGIN.test(line);
      const drop = broken || (afterBroken && NATIVE_STACK.test(line));
      afterBroken = broken;
      return !drop;
    });
    if (kept.length === lines.length) return write(chunk, ...rest);
    // A write's callback is still called, as the stream would.
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (kept.length === 0) {
      callback?.();
      return true;
    }
    return write(kept.join(""), ...rest);
  }) as typeof stream.write;
}

/** Called once, in the main vitest process, where the plugin writes workerd's logs. */
export function dropBrokenOriginLines(): void {
  filtered(process.stdout);
  filtered(process.stderr);
}
