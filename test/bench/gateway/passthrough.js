// Variant (a): a bare pass-through Worker, the floor every gateway is compared with.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return env.ORIGIN.fetch(new Request(`http://origin${url.pathname}${url.search}`, request));
  },
};
