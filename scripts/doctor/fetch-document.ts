// One JSON document from an issuer, fetched from the operator's machine under the rules the Worker fetches it
// by (worker/identity/issuer-keys.ts): a 200 only, no redirect followed, at most MAX_KEY_DOCUMENT_BYTES, a
// timeout. What the Worker would refuse, doctor reports rather than reading past it.
import { MAX_KEY_DOCUMENT_BYTES } from "../../policy/index.ts";

export type DocumentFetch = (url: string, init: RequestInit) => Promise<Response>;

const TIMEOUT_MS = 5_000;

export type FetchedDocument = { ok: true; document: unknown } | { ok: false; problem: string };

export async function fetchDocument(url: string, fetchImpl: DocumentFetch): Promise<FetchedDocument> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "GET",
      redirect: "manual",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    return {
      ok: false,
      problem: timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : `unreachable (${cause ?? String(error)})`,
    };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    const location = response.headers.get("location");
    return {
      ok: false,
      problem:
        response.status >= 300 && response.status < 400
          ? `answered ${response.status}, a redirect${location ? ` to ${location}` : ""}: the gateway follows no redirect for keys`
          : `answered ${response.status}, not 200`,
    };
  }
  const tooLarge = {
    ok: false,
    problem: `larger than ${MAX_KEY_DOCUMENT_BYTES} bytes: the gateway refuses it unread`,
  } as const;
  if (Number(response.headers.get("content-length") ?? "0") > MAX_KEY_DOCUMENT_BYTES) {
    await response.body?.cancel();
    return tooLarge;
  }
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // The timeout and a dropped connection can strike after the headers too: a finding, not a crashed doctor.
  try {
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_KEY_DOCUMENT_BYTES) {
        await reader.cancel();
        return tooLarge;
      }
      chunks.push(value);
    }
  } catch (error) {
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    return {
      ok: false,
      problem: timedOut ? `no whole answer within ${TIMEOUT_MS / 1000} s` : `answer cut off (${String(error)})`,
    };
  }
  try {
    return { ok: true, document: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { ok: false, problem: "not JSON" };
  }
}
