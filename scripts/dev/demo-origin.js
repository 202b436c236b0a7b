// A demo internal app for `ward dev`: it answers with what it received, so you can see exactly what
// Ward forwards (canonical path, query, and which headers survived). Never part of the gateway bundle.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const headers = Object.fromEntries([...request.headers].filter(([name]) => name !== "cookie"));
    const body = JSON.stringify(
      { app: env.APP_NAME, method: request.method, path: url.pathname, query: url.search, headers },
      null,
      2,
    );
    return new Response(`${body}\n`, { headers: { "content-type": "application/json" } });
  },
};
