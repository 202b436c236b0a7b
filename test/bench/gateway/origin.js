// The origin every variant forwards to: a few bytes, so the benchmark measures the gateways, not the app.
export default {
  async fetch() {
    return new Response('{"ok":true}\n', { headers: { "content-type": "application/json" } });
  },
};
