// A WebSocket client on a raw TCP socket (RFC 6455, client side, just enough for the dev tests): it writes each
// frame byte for byte, so a test can send what no WebSocket library lets a program send, such as a close frame
// whose reason is not UTF-8. The answer to the upgrade and every frame the gateway sends are kept.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { readFrame } from "./websocket-frames.ts";

export const TEXT = 0x1;
export const CLOSE = 0x8;

export interface Frame {
  opcode: number;
  payload: Buffer;
}

export interface RawWebSocket {
  /** The status of the answer to the upgrade (101 when it was let through), and its fields (names in lower case). */
  status: number;
  headers: Record<string, string>;
  /** Every frame received so far, in order. */
  frames: Frame[];
  /** Writes one final frame, masked as a client's must be. */
  send(opcode: number, payload: Buffer): void;
  /** The first frame received with `opcode`, within `ms` (else an error). */
  next(opcode: number, ms: number): Promise<Frame>;
  destroy(): void;
}

/** `url` names the host the gateway sees; the connection goes to 127.0.0.1:port. */
export function openRawWebSocket(port: number, url: string, headers: Record<string, string>): Promise<RawWebSocket> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const frames: Frame[] = [];
    let buffered = Buffer.alloc(0);
    let status: number | undefined;
    const answer: Record<string, string> = {};
    const parse = () => {
      for (let read = readFrame(buffered); read; read = readFrame(buffered)) {
        frames.push({ opcode: read.opcode, payload: read.payload });
        buffered = buffered.subarray(read.size);
      }
    };
    const client: RawWebSocket = {
      get status() {
        return status ?? 0;
      },
      headers: answer,
      frames,
      send(opcode, payload) {
        if (payload.length > 125) throw new Error("only short frames");
        const mask = randomBytes(4);
        const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
        socket.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]));
      },
      async next(opcode, ms) {
        const deadline = Date.now() + ms;
        for (;;) {
          const found = frames.find((f) => f.opcode === opcode);
          if (found) return found;
          if (Date.now() >= deadline) throw new Error(`no frame with opcode ${opcode} within ${ms} ms`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      destroy: () => socket.destroy(),
    };
    socket.on("connect", () => {
      const lines = [
        `GET ${target.pathname}${target.search} HTTP/1.1`,
        `Host: ${target.host}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
        "Sec-WebSocket-Version: 13",
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (status === undefined) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end === -1) return;
        const [statusLine = "", ...fields] = buffered.subarray(0, end).toString("latin1").split("\r\n");
        status = Number(statusLine.split(" ")[1] ?? 0);
        for (const field of fields) {
          const colon = field.indexOf(":");
          if (colon > 0) answer[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
        }
        buffered = buffered.subarray(end + 4);
        resolve(client);
      }
      parse();
    });
    socket.on("error", (error) => (status === undefined ? reject(error) : undefined));
    socket.on("close", () => (status === undefined ? reject(new Error("closed before an answer")) : undefined));
  });
}
