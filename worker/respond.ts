// Every response Ward answers itself comes from here: a generic body with the request id, never the reason.
const TITLES: Record<number, string> = {
  400: "bad request",
  401: "authentication required",
  403: "forbidden",
  404: "not found",
  429: "too many requests",
  500: "internal error",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/** `extra` adds headers (e.g. Retry-After, RateLimit) without changing the generic body. */
export function gatewayResponse(status: number, requestId: string, extra: Record<string, string> = {}): Response {
  const headers = new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "ward-request-id": requestId,
  });
  if (status === 401) headers.set("www-authenticate", 'Bearer realm="ward"');
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(JSON.stringify({ error: TITLES[status] ?? "error", requestId }) + "\n", { status, headers });
}
