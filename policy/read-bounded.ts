// Request and response bodies read with a bound, by the Worker and the CLI alike: a body is never taken into
// memory whole before its size is known, so a client (or a remote endpoint) cannot make an isolate (or the
// operator's CLI) hold more than its caller allows. A function of the body alone: no clock, no other I/O.

const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export type BoundedText = { ok: true; text: string } | { ok: false; problem: "too-large" | "not-utf8" };

/**
 * The body as UTF-8 text, unless it is longer than `max` bytes (refused having read no more than that,
 * whatever Content-Length said, or without one) or not UTF-8.
 */
export async function readBounded(source: Pick<Request, "headers" | "body">, max: number): Promise<BoundedText> {
  const declared = Number(source.headers.get("content-length") ?? "0");
  if (declared > max) {
    await source.body?.cancel();
    return { ok: false, problem: "too-large" };
  }
  if (!source.body) return { ok: true, text: "" };
  const reader = source.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { ok: false, problem: "too-large" };
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
    return { ok: true, text: textDecoder.decode(bytes) };
  } catch {
    return { ok: false, problem: "not-utf8" };
  }
}
