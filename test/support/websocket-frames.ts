// Reading one RFC 6455 frame off the front of what a socket has received, for the tests' own WebSocket ends (the
// recording origin's server side, websocket-origin.ts, and the raw client, raw-websocket.ts): masked (a
// client's) or not (a server's), any of the three length forms.

export interface ReadFrame {
  fin: boolean;
  opcode: number;
  /** Unmasked. */
  payload: Buffer;
  /** How many bytes of the buffer the frame took. */
  size: number;
}

/** The first whole frame in `buffered`, or undefined until all of it has arrived. */
export function readFrame(buffered: Buffer): ReadFrame | undefined {
  if (buffered.length < 2) return undefined;
  const first = buffered[0]!;
  const second = buffered[1]!;
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffered.length < 4) return undefined;
    length = buffered.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffered.length < 10) return undefined;
    length = Number(buffered.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (second & 0x80) !== 0;
  const size = offset + (masked ? 4 : 0) + length;
  if (buffered.length < size) return undefined;
  const mask = masked ? buffered.subarray(offset, offset + 4) : undefined;
  const payload = Buffer.from(buffered.subarray(offset + (masked ? 4 : 0), size));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload, size };
}
