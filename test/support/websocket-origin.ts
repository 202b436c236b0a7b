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

function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const first = (fin ? 0x80 : 0) | opcode;
  const head =
    length < 126
      ? Buffer.from([first, length])
      : length < 65536
        ? Buffer.from([first, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([first, 127]), bigLength(length)]);
  return Buffer.concat([head, payload]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}

/**
 * The frames `spec` names, for `!emit SPEC` (short, so that a route with small messages can still carry the
 * command): items joined by `,`, each written as given, whatever a well-behaved origin would send:
 * `tN` a text message of N bytes ("a"), `uN` one of N bytes of "é" (an odd N ends with "a"), `bN` a binary one,
 * `xN` a text message of N bytes 0xff (not UTF-8), `pN` a ping of N bytes, `fO:N/N/...` one message (O `t` or
 * `b`) in fragments of those sizes (`p` in the list: a ping between two fragments), `cCODE` or `cCODE:REASON` a
 * close (code, and reason bytes: reasonBytes), `c` a close without a code, `kHEX` a close whose payload is those
 * bytes, `rHEX` those bytes as they are (a frame no origin may send, say).
 */
export function emitted(spec: string): { frames: Buffer[]; closes: boolean } | undefined {
  const frames: Buffer[] = [];
  let closes = false;
  for (const item of spec.split(",")) {
    let m: RegExpExecArray | null;
    if ((m = /^([tubxp])(\d{1,7})$/.exec(item))) {
      const n = Number(m[2]);
      const kind = m[1]!;
      if (kind === "p" && n > 125) return undefined;
      const payload =
        kind === "u"
          ? Buffer.concat([Buffer.from("é".repeat(Math.floor(n / 2))), Buffer.from(n % 2 ? "a" : "")])
          : Buffer.alloc(n, kind === "x" ? 0xff : kind === "b" ? 0x62 : 0x61);
      frames.push(frame(kind === "p" ? PING : kind === "b" ? BINARY : TEXT, payload));
    } else if ((m = /^f([tb]):([0-9p/]+)$/.exec(item))) {
      const parts = m[2]!.split("/");
      const sizes = parts.filter((p) => p !== "p");
      let first = true;
      let left = sizes.length;
      for (const part of parts) {
        if (part === "p") {
          frames.push(frame(PING, Buffer.from("mid")));
          continue;
        }
        left--;
        const opcode = first ? (m[1] === "t" ? TEXT : BINARY) : 0;
        frames.push(frame(opcode, Buffer.alloc(Number(part), 0x61), left === 0));
        first = false;
      }
    } else if ((m = /^c(?:(\d{1,5})(?::([0-9a-f*.]*))?)?$/.exec(item))) {
      const code = Buffer.alloc(m[1] === undefined ? 0 : 2);
      if (m[1] !== undefined) code.writeUInt16BE(Number(m[1]) & 0xffff);
      frames.push(frame(CLOSE, Buffer.concat([code, reasonBytes(m[2] ?? "")])));
      closes = true;
    } else if ((m = /^k([0-9a-f]*)$/.exec(item))) {
      frames.push(frame(CLOSE, Buffer.from(m[1]!, "hex")));
      closes = true;
    } else if ((m = /^r([0-9a-f]*)$/.exec(item))) frames.push(Buffer.from(m[1]!, "hex"));
    else return undefined;
  }
  return { frames, closes };
}

/** A close reason's bytes in an `!emit` item: hex, `HEX*N` for N times, parts joined by "." (`72*121.e282ac`). */
export function reasonBytes(spec: string): Buffer {
  return Buffer.concat(
    spec
      .split(".")
      .filter(Boolean)
      .map((part) => {
        const [hex = "", times = "1"] = part.split("*");
        return Buffer.from(hex.repeat(Math.min(Number(times), 1000)), "hex");
      }),
  );
}

/** One thing the origin received on a WebSocket, in order: `text N DIGEST`, `binary N DIGEST`, `pong HEX`. */
export function received(opcode: number, payload: Buffer): string {
  if (opcode === PONG) return `pong ${payload.toString("hex")}`;
  const digest = createHash("sha256").update(payload).digest("hex").slice(0, 16);
  return `${opcode === TEXT ? "text" : "binary"} ${payload.length} ${digest}`;
}

/**
 * Answers an upgrade request on `socket` as a WebSocket echo server. Commands (text messages):
 * `!close CODE REASON` closes from the origin's side; `!close-raw CODE HEX` does with the reason's bytes as
 * given, valid UTF-8 or not (what a hostile or broken origin may send); `!send N` sends a text message of N
 * bytes; `!flood N COUNT` sends COUNT of them at once; `!emit SPEC` writes the frames `emitted` makes of SPEC;
 * `!pause MS` reads nothing for MS ms (a peer that does not read); `!pings MS COUNT` sends COUNT pings, one every
 * MS ms; `!drop` ends the TCP connection without a close. `?emit=SPEC` in the upgrade's URL: those frames right
 * after the handshake; `?hop=1` or `?hop=many`: hop-by-hop headers in the 101 (below); `?cookie=`: a Set-Cookie
 * field in the 101 each. `onClose`: called with the code and reason bytes of the close frame the origin receives;
 * `onReceived`: with each message and pong (`received`), commands included.
 */
export function serveWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onClose: (code: number | undefined, reason: Buffer) => void = () => {},
  onReceived: (what: string) => void = () => {},
): void {
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string") return void socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
  const accept = createHash("sha1").update(`${key}${GUID}`).digest("base64");
  const offered = String(req.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const query = new URL(req.url ?? "/", "http://origin").searchParams;
  // `?refuse=STATUS`: the upgrade answered with that status and a short body, no socket (an origin refusing it).
  const refuse = query.get("refuse");
  if (refuse) {
    const said = "origin refused it";
    const head = `HTTP/1.1 ${refuse} Refused\r\ncontent-type: text/plain\r\ncontent-length: ${said.length}`;
    return void socket.end(`${head}\r\nconnection: close\r\n\r\n${said}`);
  }
  // `?hop=1`: the 101 names a header of its own in Connection and sends Keep-Alive (hop-by-hop, for Ward's hop
  // only), and a Location with the origin's own address; `?hop=many`: its Connection names 70 headers;
  // `?hop=bad`: its Connection holds an entry that is no header name.
  const hop = query.get("hop");
  const connection =
    hop === "many"
      ? Array.from({ length: 70 }, (_, i) => `x-n${i}`).join(", ")
      : hop === "bad"
        ? '"x-quoted"'
        : hop
          ? "X-Backend-Debug"
          : "";
  socket.write(
    [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      `Connection: Upgrade${connection ? `, ${connection}` : ""}`,
      `Sec-WebSocket-Accept: ${accept}`,
      ...(offered.length > 0 ? [`Sec-WebSocket-Protocol: ${offered[0]}`] : []),
      ...query.getAll("cookie").map((cookie) => `Set-Cookie: ${cookie}`),
      // `?field=NAME:VALUE`: that field in the 101, each (framing or hop-by-hop fields a broken origin sends).
      ...query.getAll("field"),
      ...(hop
        ? [
            "X-Backend-Debug: db=10.20.30.40",
            "Keep-Alive: timeout=5",
            "X-Kept: yes",
            "Location: http://10.20.30.40:8080/internal",
          ]
        : []),
      "",
      "",
    ].join("\r\n"),
  );
  // `?emit=SPEC` on the upgrade: those frames at once, unasked (a client that has not read yet gets them queued).
  const atOnce = emitted(query.get("emit") ?? "");
  let buffered = head;
  let fragments: Buffer[] = [];
  let fragmentOpcode = 0;
  let closed = false;
  /** While `!pause` holds: nothing is read, not even what has arrived. */
  let paused = false;
  const send = (opcode: number, payload: Buffer) => {
    if (!closed && socket.writable) socket.write(frame(opcode, payload));
  };
  const onMessage = (opcode: number, payload: Buffer) => {
    onReceived(received(opcode, payload));
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
    const emit = /^!emit (\S+)$/.exec(text);
    const made = emit ? emitted(emit[1]!) : undefined;
    if (made) {
      for (const bytes of made.frames) if (!closed && socket.writable) socket.write(bytes);
      if (made.closes) closed = true;
      return;
    }
    if (text === "!drop") return void socket.destroy();
    const pause = /^!pause (\d+)$/.exec(text);
    if (pause) {
      paused = true;
      socket.pause();
      setTimeout(() => {
        paused = false;
        socket.resume();
        parse();
      }, Number(pause[1]));
      return;
    }
    const pings = /^!pings (\d+) (\d+)$/.exec(text);
    if (pings) {
      let left = Number(pings[2]);
      const tick = setInterval(() => {
        if (left-- <= 0 || closed) return clearInterval(tick);
        send(PING, Buffer.from(`ping ${left}`));
      }, Number(pings[1]));
      return;
    }
    send(opcode, payload);
  };
  const parse = () => {
    for (;;) {
      if (paused) return;
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
      else if (opcode === PONG) onReceived(received(PONG, payload));
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
  if (atOnce) {
    for (const bytes of atOnce.frames) socket.write(bytes);
    if (atOnce.closes) closed = true;
  }
  parse();
}
