// Ward's gateway Worker: the entry point. Ward's own paths go to the Hono app (worker/own-paths.ts), everything
// else to the gateway (worker/gateway.ts), a plain function with no router or framework context on the hot path.
import type { Env } from "./env.ts";
import { gateway } from "./gateway.ts";
import { app, mayBeReserved } from "./own-paths.ts";
import { parseReceived, rawPath } from "./request-target.ts";
import { respondToUnexpected } from "./respond.ts";

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const started = Date.now();
    const received = request.url;
    try {
      // Hono answers errors itself (onError); what it cannot (a thrown non-Error) still gets a logged 500. A URL
      // that does not parse (bare workerd builds it from the Host header as sent: `Host: a b`) goes to the
      // gateway, which refuses it as it refuses any request so (400 host-invalid), not to handlers that parse it.
      if (mayBeReserved(rawPath(received)) && parseReceived(received)) return await app.fetch(request, env, ctx);
      return await gateway(request, env, ctx, received);
    } catch (error) {
      return respondToUnexpected(error, crypto.randomUUID(), request, started);
    }
  },
} satisfies ExportedHandler<Env>;

// Durable Object classes are exported by the Worker's main module.
export { PolicyControl } from "./policy-store/control.ts";
export { RateLimiter } from "./rate-limit/limiter.ts";
export { Grants } from "./grants/store.ts";
export { Denylist } from "./denylist/store.ts";
export { DenialCounter } from "./denylist/quarantine.ts";
export { SsfReplay } from "./ssf/replay.ts";
