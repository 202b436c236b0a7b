// Sizes in UTF-8 without encoding: what a WebSocket message weighs (worker/websocket/relay.ts) and how much of a
// principal fits an Analytics Engine index (worker/log/decisions.ts). One rule for a UTF-16 unit's bytes: below
// U+0080 one, below U+0800 two, a surrogate pair four (two each), the rest of the BMP three.

/** Bytes of the UTF-16 unit `unit`: a surrogate counts two, so a pair counts four. */
const unitBytes = (unit: number): number =>
  unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 2 : 3;

const NOT_ASCII = /[^\0-\x7f]/;

/** `text`'s length in UTF-8 (a lone surrogate counted as half a pair: what the encoder writes is not needed). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) bytes += unitBytes(text.charCodeAt(i));
  return bytes;
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, cut between characters, never inside a pair. */
export function utf8Prefix(text: string, maxBytes: number): string {
  // Most principals are ASCII (a SPIFFE ID, an e-mail address): one byte a unit, no walk needed.
  if (maxBytes >= 0 && !NOT_ASCII.test(text)) return text.length <= maxBytes ? text : text.slice(0, maxBytes);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate starts a pair: the two units fit together or not at all.
    const pair = unit >= 0xd800 && unit <= 0xdbff;
    const size = pair ? 4 : unitBytes(unit);
    if (bytes + size > maxBytes) return text.slice(0, i);
    bytes += size;
    if (pair) i++;
  }
  return text;
}
