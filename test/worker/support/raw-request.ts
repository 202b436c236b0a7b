// Requests as the runtime hands them to the Worker when no URL parser ran first. `new Request` (and so
// exports.default.fetch) parses its URL with the WHATWG parser, resolving dot segments and turning `\` into `/`,
// and refuses a GET or HEAD with a body; bare workerd does neither: its request.url is "http://" + the Host
// header + the request target as sent, and a GET with a Content-Length (even 0) or a Transfer-Encoding has a
// non-null body. Both were checked against `workerd serve` with raw sockets (docs/policy.md, canonical targets).
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../../worker/index.ts";

export interface RawInit {
  method?: string;
  headers?: Headers | Record<string, string>;
  /** Content, on any method (GET and HEAD included). */
  body?: string;
  cf?: Record<string, unknown>;
}

/** A Request whose url (kept exactly as given, even unparseable) and method are what bare workerd would hand over. */
export function rawRequest(url: string, init: RawInit = {}): Request {
  const method = init.method ?? "GET";
  let parsable = "https://raw.invalid/";
  try {
    parsable = new URL(url).href;
  } catch {
    // kept only for the constructor; the Worker sees `url`
  }
  const request = new Request(parsable, {
    method: init.body === undefined ? method : "POST",
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.cf ? { cf: init.cf } : {}),
  });
  Object.defineProperty(request, "url", { value: url });
  Object.defineProperty(request, "method", { value: method });
  return request;
}

/** The Worker's own fetch handler (the one exports.default.fetch reaches), given the request as is. */
export async function fetchRaw(request: Request, bindings: typeof env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
