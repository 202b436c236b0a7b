// The request headers the gateway reads for itself, each read once per request: every read of request.headers,
// and every get on it, is a call into the runtime (docs/performance.md). Credentials are read where they are
// verified (worker/identity/), and the allow-list walks the names (worker/origin/headers.ts).

export interface ReceivedHeaders {
  /** request.headers, read once. */
  all: Headers;
  upgrade: string | null;
  connection: string | null;
  /** CF-Connecting-IP: set (overwritten) by Cloudflare's edge, never the client's own. */
  clientAddress: string | null;
}

export function receivedHeaders(request: Request): ReceivedHeaders {
  const all = request.headers;
  return {
    all,
    upgrade: all.get("upgrade"),
    connection: all.get("connection"),
    clientAddress: all.get("cf-connecting-ip"),
  };
}
