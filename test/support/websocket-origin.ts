// A WebSocket endpoint for the recording origin (RFC 6455, server side, just enough for the tests): it
// completes the handshake, echoes every message, and obeys a few commands a test sends as text, so that a test
// can make the origin close or send a large message. No dependency: Node has no WebSocket server of its own.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { readFrame } from "./websocket-frames.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  return Buffer.concat([head, payload]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}

/**
 * Answers an upgrade request on `socket` as a WebSocket echo server. Commands (text messages):
 * `!close CODE REASON` closes from the origin's side; `!close-raw CODE HEX` does with the reason's bytes as
 * given, valid UTF-8 or not (what a hostile or broken origin may send); `!send N` sends a text message of N
 * bytes; `!flood N COUNT` sends COUNT of them at once. `onClose`: called with the code and reason bytes of the
 * close frame the origin receives.
 */
export function serveWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onClose: (code: number | undefined, reason: Buffer) => void = () => {},
): void {
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string") return void socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
  const accept = createHash("sha1").update(`${key}${GUID}`).digest("base64");
  const offered = String(req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  socket.write(
    [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Accept: ${accept}`,
      ...(offered.length > 0 ? [`Sec-WebSocket-Protocol: ${offered[0]}`] : []),
      "",
      "",
    ].join("\r\n"),
  );
  let buffered = head;
  let fragments: Buffer[] = [];
  let fragmentOpcode = 0;
  let closed = false;
  const send = (opcode: number, payload: Buffer) => {
    if (!closed && socket.writable) socket.write(frame(opcode, payload));
  };
  const onMessage = (opcode: number, payload: Buffer) => {
    const text = opcode === TEXT ? payload.toString("utf8") : "";
    const close = /^!close (\d+) ?(.*)$/.exec(text);
    const raw = /^!close-raw (\d+) ([0-9a-f]*)$/.exec(text);
    if (close || raw) {
      const code = Buffer.alloc(2);
      code.writeUInt16BE(Number((close ?? raw)![1]));
      send(CLOSE, Buffer.concat([code, close ? Buffer.from(close[2] ?? "") : Buffer.from(raw![2]!, "hex")]));
      closed = true;
      return;
    }
    const big = /^!send (\d+)$/.exec(text);
    if (big) return send(TEXT, Buffer.alloc(Number(big[1]), 0x61));
    const flood = /^!flood (\d+) (\d+)$/.exec(text);
    if (flood) {
      for (let i = 0; i < Number(flood[2]); i++) send(TEXT, Buffer.alloc(Number(flood[1]), 0x61));
      return;
    }
    send(opcode, payload);
  };
  const parse = () => {
    for (;;) {
      const read = readFrame(buffered);
      if (!read) return;
      buffered = buffered.subarray(read.size);
      const { fin, opcode, payload } = read;
      if (opcode === CLOSE) {
        onClose(payload.length >= 2 ? payload.readUInt16BE(0) : undefined, payload.subarray(2));
        // Answer the close with the same code, then end the connection.
        if (!closed) send(CLOSE, payload.subarray(0, 2));
        closed = true;
        socket.end();
        return;
      }
      if (opcode === PING) send(PONG, payload);
      else if (opcode === PONG) continue;
      else if (opcode === 0) {
        fragments.push(payload);
        if (fin) {
          onMessage(fragmentOpcode, Buffer.concat(fragments));
          fragments = [];
        }
      } else if (!fin) {
        fragmentOpcode = opcode;
        fragments = [payload];
      } else if (opcode === TEXT || opcode === BINARY) onMessage(opcode, payload);
    }
  };
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    parse();
  });
  socket.on("error", () => socket.destroy());
  parse();
}
