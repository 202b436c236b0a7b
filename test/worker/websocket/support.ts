// A WebSocket client for the workerd tests (the runtime's own WebSocket, from the 101 the gateway answers), the
// policy they use, and a capture of the gateway's log lines. The origin is the recording origin's echo endpoint
// (test/support/websocket-origin.ts).
import { exports } from "cloudflare:workers";
import { vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";

/**
 * The demo policy with WebSocket routes on the wiki: /live for employees, /small with tight limits, /metered
 * with a budget of 4096 bytes a second each way, /sre-live for the sre group only (a grant lets others in),
 * /limited with a rate limit of two upgrades a minute.
 */
export const WS_POLICY = demoPolicy.replace(
  "      - id: read\n        methods: [GET, HEAD]\n        pathPrefix: /\n",
  `      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules:
          - id: employees-live
            effect: allow
            principals: [{ emailDomain: example.com }]
      - id: small
        methods: [GET]
        path: /small
        websocket: { maxMessageBytes: 1024, idleTimeout: 1s }
        rules:
          - id: employees-small
            effect: allow
            principals: [{ emailDomain: example.com }]
      - id: metered
        methods: [GET]
        path: /metered
        websocket: { maxMessageBytes: 1024, maxBytesPerSecond: 4096 }
        rules:
          - id: employees-metered
            effect: allow
            principals: [{ emailDomain: example.com }]
      - id: sre-live
        methods: [GET]
        path: /sre-live
        websocket: true
        rules:
          - id: sre-only
            effect: allow
            principals: [{ group: sre }]
      - id: limited
        methods: [GET]
        path: /limited
        websocket: true
        rules:
          - id: employees-limited
            effect: allow
            principals: [{ emailDomain: example.com }]
            rateLimit: { limit: 2, period: 60s, key: principal }
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /
`,
);
if (WS_POLICY === demoPolicy) throw new Error("the demo policy changed: WS_POLICY no longer adds its routes");

/** WS_POLICY with a WebSocket route on orders for the checkout workload (client certificate). */
export const MTLS_WS = WS_POLICY.replace(
  "      - id: read\n        methods: [GET]\n        path: /v1/orders/{order_id}\n",
  `      - id: stream
        methods: [GET]
        path: /v1/stream
        websocket: true
        rules:
          - id: checkout-stream
            effect: allow
            principals: [{ set: checkout-workloads }]
      - id: read
        methods: [GET]
        path: /v1/orders/{order_id}
`,
);
if (MTLS_WS === WS_POLICY) throw new Error("orders routes changed");

export interface Closed {
  code: number;
  reason: string;
}

/** One connection, as a test sees it: what arrived, and how it closed. */
export class Client {
  readonly messages: (string | ArrayBuffer)[] = [];
  closed: Closed | undefined;
  readonly socket: WebSocket;

  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    socket.accept();
    socket.addEventListener("message", (event) => {
      this.messages.push(event.data);
    });
    socket.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
    });
  }

  send(data: string | ArrayBuffer): void {
    this.socket.send(data);
  }

  /** The next message after the `count` already seen, within `ms`. */
  async message(count: number, ms = 2000): Promise<string | ArrayBuffer> {
    await until(() => this.messages.length > count || this.closed !== undefined, ms);
    const got = this.messages[count];
    if (got === undefined) throw new Error(`no message ${count + 1} (closed: ${JSON.stringify(this.closed)})`);
    return got;
  }

  /** How it closed, within `ms`, and how long that took. */
  async close(ms: number): Promise<Closed & { afterMs: number }> {
    const started = Date.now();
    await until(() => this.closed !== undefined, ms);
    if (!this.closed) throw new Error(`still open after ${ms} ms`);
    return { ...this.closed, afterMs: Date.now() - started };
  }
}

/** Polls `done` every 10 ms until it holds or `ms` have passed (no longer sleep than needed). */
export async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

export interface Upgrade {
  res: Response;
  client?: Client;
}

/** Asks the gateway to upgrade `url` (GET, `Upgrade: websocket`, plus `headers`). */
export async function upgrade(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  const res = await exports.default.fetch(url, { headers: { upgrade: "websocket", ...headers } });
  return res.webSocket ? { res, client: new Client(res.webSocket) } : { res };
}

/** The gateway's JSON log lines while `capture` is on. */
export function captureLog(): { lines: Record<string, unknown>[]; stop: () => void } {
  const lines: Record<string, unknown>[] = [];
  const keep = (text: unknown) => {
    try {
      lines.push(JSON.parse(String(text)) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  };
  const log = vi.spyOn(console, "log").mockImplementation(keep);
  const error = vi.spyOn(console, "error").mockImplementation(keep);
  return {
    lines,
    stop: () => {
      log.mockRestore();
      error.mockRestore();
    },
  };
}
