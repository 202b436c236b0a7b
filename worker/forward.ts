// Forwards an allowed request to its origin binding, on exactly the canonical path the policy matched.
import type { CompiledService, Decision } from "../policy/index.ts";
import type { Env } from "./env.ts";
import { forwardHeaders } from "./strip-headers.ts";
import { ASSERTION_HEADER } from "./assertion.ts";

export type ForwardResult = { ok: true; response: Response } | { ok: false; status: 502 | 503 };

function isFetcher(value: unknown): value is Fetcher {
  return typeof value === "object" && value !== null && typeof (value as Fetcher).fetch === "function";
}

export async function forward(
  request: Request,
  service: CompiledService,
  decision: Decision,
  env: Env,
  requestId: string,
  assertion: string,
): Promise<ForwardResult> {
  const origin = service.origin;
  // Only tunnel bindings are reachable from the Worker; a public URL origin is refused by validation
  // unless acknowledged, and even then Ward does not fetch arbitrary URLs.
  const binding = typeof origin === "object" && "tunnel" in origin ? env[origin.tunnel] : undefined;
  if (!isFetcher(binding) || !decision.target) return { ok: false, status: 503 };

  const query = new URL(request.url).search;
  const url = `https://${decision.target.host}${decision.target.path}${query}`;
  const headers = forwardHeaders(request.headers);
  headers.set("ward-request-id", requestId);
  headers.set(ASSERTION_HEADER, assertion);
  for (const [name, value] of Object.entries(decision.obligations.headers)) headers.set(name, value);
  try {
    const response = await binding.fetch(url, {
      method: decision.target.method,
      headers,
      body: request.body,
      redirect: "manual",
    });
    // Origin responses are immutable; copy so the caller can correlate with the decision log.
    const answered = new Response(response.body, response);
    answered.headers.set("ward-request-id", requestId);
    return { ok: true, response: answered };
  } catch {
    return { ok: false, status: 502 };
  }
}
