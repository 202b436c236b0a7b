// Variant (b'): the peer as a Workers user would run it in production: Hono's own `logger()` (an access log,
// which nobody who audits goes without) in front of @hono/cloudflare-access, then forwarding. Beside the bare
// peer, so Ward (which logs every decision) is compared with a peer that logs too.
import { cloudflareAccess } from "@hono/cloudflare-access";
import { Hono } from "hono";
import { logger } from "hono/logger";

type Bindings = { ORIGIN: Fetcher };
const app = new Hono<{ Bindings: Bindings }>();
app.use("*", logger());
app.use("*", cloudflareAccess("ward-demo", "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"));
app.all("*", (c) => {
  const url = new URL(c.req.url);
  return c.env.ORIGIN.fetch(new Request(`http://origin${url.pathname}${url.search}`, c.req.raw));
});
export default app;
