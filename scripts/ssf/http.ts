// The CLI's calls to a transmitter (its SSF configuration, its stream management API): HTTPS only (plain HTTP to
// this machine's loopback, for a local transmitter under test), redirects never followed (a 3xx would carry the
// bearer token elsewhere), bounded in time and size. `fetch` is injectable: the tests never leave 127.0.0.1.
import { readBounded } from "../../policy/read-bounded.ts";
import { CliError, EXIT } from "../cli-error.ts";

export type Fetch = typeof globalThis.fetch;

const TIMEOUT_MS = 10_000;
const MAX_BODY = 1024 * 1024;

/**
 * A URL the CLI may call: https, or http to 127.0.0.1, ::1 or localhost (a local transmitter). `refused`: the exit
 * status when it is not one, 1 for a transmitter's (what it sent is refused), 2 for the operator's own argument
 * (a usage error).
 */
export function transmitterUrl(text: string, what: string, refused: number = EXIT.failed): URL {
  // The WHATWG parser drops tabs and line breaks where the text keeps them: such a text is no URL to print.
  if (/[\s\u0000-\u001f\u007f]/.test(text)) throw new CliError(`${what} ${JSON.stringify(text)}: not a URL`, refused);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${what} ${text}: not a URL`, refused);
  }
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new CliError(`${what} ${text}: must be https (SSF 1.0 §7.1)`, refused);
  if (url.username || url.password) throw new CliError(`${what} ${text}: no credentials in the URL`, refused);
  return url;
}

export interface Reply {
  status: number;
  /** The JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
  text: string;
}

export async function call(
  fetchImpl: Fetch,
  url: URL,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<Reply> {
  const headers = new Headers({ accept: "application/json" });
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: init.method ?? "GET",
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  } catch (error) {
    throw new CliError(`${url.origin}${url.pathname}: ${(error as Error).message}`, EXIT.failed);
  }
  if (response.status >= 300 && response.status < 400)
    throw new CliError(`${url.origin}${url.pathname} redirects (${response.status}): not followed`, EXIT.failed);
  // Read with the bound, never whole first: a transmitter answering without end cannot fill this process. A
  // body cut off or stalled past the timeout is a failed call like a refused connection, not a crash.
  let read: Awaited<ReturnType<typeof readBounded>>;
  try {
    read = await readBounded(response, MAX_BODY);
  } catch (error) {
    throw new CliError(`${url.origin}${url.pathname}: the answer broke off: ${(error as Error).message}`, EXIT.failed);
  }
  if (!read.ok)
    throw new CliError(
      `${url.origin}${url.pathname}: ${read.problem === "too-large" ? `an answer over ${MAX_BODY} bytes` : "an answer that is not UTF-8"}`,
      EXIT.failed,
    );
  const text = read.text;
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}
