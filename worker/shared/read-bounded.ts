// Request and response bodies read with a bound: a body is never taken into memory whole before its size is
// known, so a client (or a remote endpoint) cannot make an isolate hold more than its caller allows.

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The body as UTF-8 text, unless it is longer than `max` bytes or not UTF-8: then undefined, having read no
 * more than that (whatever Content-Length said, or without one).
 */
export async function readBounded(
  request: Pick<Request, "headers" | "body">,
  max: number,
): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return textDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}
