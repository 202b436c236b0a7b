// A reference, not a gateway: the bare pass-through plus one decision-log line of the size and shape Ward
// writes. Under Miniflare every console line is piped to Node, so this row shows what logging alone costs here.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const response = await env.ORIGIN.fetch(new Request(`http://origin${url.pathname}${url.search}`, request));
    console.log(
      JSON.stringify({
        level: "info",
        event: "decision",
        time: new Date().toISOString(),
        requestId: crypto.randomUUID(),
        principal: "workload:spiffe://demo.ward.internal/ns/shop/sa/checkout",
        method: request.method,
        host: url.host,
        path: url.pathname,
        service: "bench",
        route: "bench/r500",
        rule: "bench/r500/checkout",
        effect: "allow",
        mode: "enforce",
        reasons: [],
        wouldDeny: null,
        status: response.status,
        policyVersion: "0".repeat(64),
        latencyMs: 0,
        credential: { kind: "client-certificate", lifetimeSeconds: 86400 },
        exception: null,
      }),
    );
    return response;
  },
};
