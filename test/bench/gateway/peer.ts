// Variant (b): what a Workers user would deploy today: Hono with @hono/cloudflare-access checking the same
// Access JWT (team and AUD set), then forwarding.
import { cloudflareAccess } from "@hono/cloudflare-access";
import { Hono } from "hono";

type Bindings = { ORIGIN: Fetcher };
const app = new Hono<{ Bindings: Bindings }>();
app.use("*", cloudflareAccess("ward-demo", "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"));
app.all("*", (c) => {
  const url = new URL(c.req.url);
  return c.env.ORIGIN.fetch(new Request(`http://origin${url.pathname}${url.search}`, c.req.raw));
});
export default app;
