// The JavaScript heap of one Worker's isolate, read through workerd's inspector (Runtime.getHeapUsage): what
// Workers' 128 MB isolate memory limit is about. The Worker's Durable Objects run in the same isolate here, so
// their objects count too (deployed they get isolates of their own: this overstates Ward's share).
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface HeapReader {
  /** Used and total heap in bytes, now. */
  read(): Promise<{ used: number; total: number }>;
  close(): void;
}

/** Connects to the inspector target of the Worker named `worker` on `inspectorPort`. */
export async function isolateHeap(inspectorPort: number, worker: string): Promise<HeapReader> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const target = targets.find((t) => t.webSocketDebuggerUrl.endsWith(`:${worker}`));
  if (!target) throw new Error(`no inspector target for ${worker}: ${JSON.stringify(targets)}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let next = 1;
  const pending = new Map<number, (result: { usedSize: number; totalSize: number }) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: { usedSize?: number; totalSize?: number };
    };
    if (message.id === undefined) return; // an event, not an answer
    // An error answer reads as 0: the figure is then missing, and a request never waits for ever.
    pending.get(message.id)?.({ usedSize: message.result?.usedSize ?? 0, totalSize: message.result?.totalSize ?? 0 });
    pending.delete(message.id);
  });
  return {
    read() {
      const id = next++;
      socket.send(JSON.stringify({ id, method: "Runtime.getHeapUsage" }));
      return new Promise((resolve) => pending.set(id, (r) => resolve({ used: r.usedSize, total: r.totalSize })));
    },
    close: () => socket.close(),
  };
}
