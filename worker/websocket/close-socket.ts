// Closing one side of a relayed WebSocket so that it is closed: a close the runtime refuses must not leave that
// side open, unwatched, for good. The runtime refuses a reason of more than 123 bytes of UTF-8, and the reason
// one side sent can be longer once received: it decodes each invalid byte as U+FFFD (three bytes), so 42 such
// bytes, a legal 44-byte close payload on the wire, arrive as 126 bytes.
import { utf8Prefix } from "../shared/utf8.ts";

/** RFC 6455 §5.5: a control frame's payload is at most 125 bytes, two of them the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** A lone surrogate (no UTF-8 form: the encoder writes U+FFFD, three bytes, where utf8Prefix counts two). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A reason one side sent, as it can be passed to the other: cut to 123 bytes of UTF-8 between characters. */
export function passedOnReason(reason: string): string {
  return utf8Prefix(reason.replace(LONE_SURROGATE, "\ufffd"), MAX_CLOSE_REASON_BYTES);
}

/**
 * Sends `socket` a close frame: `code` and `reason`, else the code alone, else 1001 "going away", else no code.
 * Undefined once one was sent (closing one already closed is no error: nothing is left to tell it); else what the
 * last attempt threw, for the caller to log.
 */
export function closeSocket(socket: WebSocket, code?: number, reason?: string): unknown {
  const attempts: (() => void)[] = [
    ...(code === undefined
      ? []
      : [() => socket.close(code, reason), () => socket.close(code), () => socket.close(1001)]),
    () => socket.close(),
  ];
  let failure: unknown;
  for (const attempt of attempts) {
    try {
      attempt();
      return undefined;
    } catch (error) {
      failure = error;
    }
  }
  return failure;
}
