// An upgrade answered 502 without a socket is answered with Ward's own 502 (forward.ts): the client is not sent
// what came with it. That is the runtime's own diagnosis when it refused the origin's 101 ("Server failed
// WebSocket handshake: added Sec-WebSocket-Extensions when client did not offer any."), or the origin's own
// answer: the operator's only word of what went wrong, so it is logged (from a review: it was seen nowhere).
// Text from the runtime or an origin, so read to a bound, in time, and logged as an error's detail is (one line).
import { logEvent } from "../log/events.ts";
import { errorText } from "../respond.ts";

/** Read no further than this: errorText keeps 500 characters of it. */
const MAX_READ_BYTES = 2_048;
/** The client's 502 waits for this read: a body that does not come at once is waited for no longer. */
const READ_WAIT_MS = 1_000;
/**
 * Read no more empty chunks than this either. A network body gives the timer its turn between chunks; one whose
 * chunks come through promises alone would not, and the loop would never see the time pass: chunks with bytes in
 * them end at MAX_READ_BYTES, empty ones here (from the review: counting every chunk cut a body of one-byte chunks
 * short).
 */
const MAX_EMPTY_READS = 64;

/** Logs the start of the failed upgrade's answer (`websocket-handshake-failed`), and ends that answer's body. */
export async function logFailedHandshake(response: Response, requestId: string): Promise<void> {
  const body = await bodyStart(response.body);
  logEvent("warn", "websocket-handshake-failed", { requestId, status: response.status, body: errorText(body) });
}

/**
 * The body's first MAX_READ_BYTES or so, as far as it came within READ_WAIT_MS and MAX_EMPTY_READS; the rest is
 * cancelled, and the cancel is waited for within the same READ_WAIT_MS (a body's cancel may itself never end).
 */
async function bodyStart(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  // Not fatal: a byte that is not UTF-8 is a replacement character, the rest still read.
  const decoder = new TextDecoder();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), READ_WAIT_MS);
  });
  let text = "";
  try {
    for (let size = 0, empty = 0; size < MAX_READ_BYTES && empty < MAX_EMPTY_READS; ) {
      const chunk = await Promise.race([reader.read(), late]);
      if (!chunk || chunk.done) break;
      if (chunk.value.byteLength === 0) empty++;
      size += chunk.value.byteLength;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } catch {
    // A body that failed midway: what came before it.
  } finally {
    await Promise.race([reader.cancel().catch(() => undefined), late]);
    clearTimeout(timer);
  }
  return text;
}
