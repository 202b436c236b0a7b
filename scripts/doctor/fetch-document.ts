// One JSON document from an issuer, fetched from the operator's machine under the rules the Worker fetches it
// by (worker/identity/issuer-keys.ts): a 200 only, no redirect followed, at most MAX_KEY_DOCUMENT_BYTES, a
// timeout. What the Worker would refuse, doctor reports rather than reading past it.
import { MAX_KEY_DOCUMENT_BYTES } from "../../policy/index.ts";
import { readBounded } from "../../policy/read-bounded.ts";

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
  let read: Awaited<ReturnType<typeof readBounded>>;
  // The timeout and a dropped connection can strike after the headers too: a finding, not a crashed doctor.
  try {
    read = await readBounded(response, MAX_KEY_DOCUMENT_BYTES);
  } catch (error) {
    const timedOut = (error as { name?: string }).name === "TimeoutError";
    return {
      ok: false,
      problem: timedOut ? `no whole answer within ${TIMEOUT_MS / 1000} s` : `answer cut off (${String(error)})`,
    };
  }
  if (!read.ok)
    return {
      ok: false,
      problem:
        read.problem === "too-large"
          ? `larger than ${MAX_KEY_DOCUMENT_BYTES} bytes: the gateway refuses it unread`
          : "not UTF-8",
    };
  try {
    return { ok: true, document: JSON.parse(read.text) };
  } catch {
    return { ok: false, problem: "not JSON" };
  }
}
