// From a review: a deny on a literal path is escaped by a format suffix. Rails matches every route with an
// optional `(.:format)` (`get "/admin"` serves `/admin.html` and `/admin.json` with the same action), and Spring
// MVC before 5.3 (useSuffixPatternMatch, on by default) maps `/admin.*` to the `/admin` handler. Ward reads
// `admin.json` as another segment, so neither the exact deny nor the `pathPrefix` deny reaches it, and the
// catch-all allow forwards it to the handler the deny was written for.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../policy/compile.ts";
import { evaluate } from "../../policy/evaluate.ts";
import { validatePolicy } from "../../policy/validate/index.ts";

async function policy(adminRoute: Record<string, unknown>) {
  const v = validatePolicy({
    version: 1,
    metadata: { environment: "dev", owners: ["sec@example.com"] },
    identity: { access: { teamDomain: "https://t.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: {
      app: {
        hosts: ["app.example.com"],
        origin: { tunnel: "APP" },
        owner: "o",
        routes: [
          {
            id: "all",
            methods: ["GET"],
            pathPrefix: "/",
            rules: [{ id: "staff", effect: "allow", principals: [{ authenticated: true }] }],
          },
          {
            id: "admin",
            methods: ["GET"],
            ...adminRoute,
            rules: [{ id: "not-bob", effect: "deny", principals: [{ email: "bob@example.com" }] }],
          },
        ],
      },
    },
  });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return compilePolicy(v.policy);
}

const bob = { user: { email: "bob@example.com" } };
const decide = async (route: Record<string, unknown>, path: string) =>
  evaluate(await policy(route), { method: "GET", host: "app.example.com", path, identity: bob }, 0);

describe("a deny on /admin and the same handler spelt with a format suffix", () => {
  it.each([
    [{ path: "/admin" }, "/admin"],
    [{ pathPrefix: "/admin" }, "/admin"],
  ])("%j denies %s (control)", async (route, path) => {
    expect((await decide(route, path)).effect).toBe("deny");
  });

  it.each([
    [{ path: "/admin" }, "/admin.json"],
    [{ path: "/admin" }, "/admin.html"],
    [{ pathPrefix: "/admin" }, "/admin.json"],
    [{ path: "/admin/users" }, "/admin/users.json"],
    // From a review of the fix: Rails drops a trailing slash before it reads the format.
    [{ path: "/admin" }, "/admin.json/"],
    [{ pathPrefix: "/admin" }, "/admin.json/"],
    [{ path: "/admin" }, "/admin.v2.json"],
  ])("%j also denies %s (Rails' (.:format), Spring's suffix pattern)", async (route, path) => {
    const d = await decide(route, path);
    expect(d.effect, `${path} decided by ${d.route} (${d.reasons})`).toBe("deny");
  });
});

describe("the suffix look-ups stay bounded", () => {
  it("cuts a segment of many dots only at its first and last dot", async () => {
    // Spring reads `/admin.a.a...` as `/admin`, Rails `/admin.a.a....json` as `/admin.a.a...`: a deny on either.
    const dots = `admin${".a".repeat(500)}`;
    expect((await decide({ path: "/admin" }, `/${dots}`)).effect).toBe("deny");
    expect((await decide({ path: `/${dots}` }, `/${dots}.json`)).effect).toBe("deny");
    // A cut in the middle reaches nothing: /admin.a is neither spelling's handler.
    expect((await decide({ path: "/admin.a" }, `/${dots}`)).effect).toBe("allow");
  });
});

// From a review: PHP (nginx's fastcgi_split_path_info, Apache's AcceptPathInfo), CGI and ASP.NET run
// `/admin.php` for `/admin.php/x`, with `/x` as PATH_INFO, so a deny on the exact script path was escaped by
// anything after it while a catch-all allow took the request.
describe("a deny on a script's path and the same script with PATH_INFO after it", () => {
  it.each([
    [{ path: "/admin.php" }, "/admin.php/x"],
    [{ path: "/admin.php" }, "/admin.php/x/y/"],
    [{ path: "/admin.php/" }, "/admin.php/x"],
    [{ path: "/tools/admin.php" }, "/tools/admin.php/x"],
    [{ path: "/{name}" }, "/x.php/y"],
    [{ path: "/cgi-bin/report.cgi" }, "/cgi-bin/report.cgi/2026"],
    [{ path: "/App/Default.aspx" }, "/App/Default.aspx/page"],
  ])("%j also denies %s", async (route, path) => {
    const d = await decide(route, path);
    expect(d.effect, `${path} decided by ${d.route} (${d.reasons})`).toBe("deny");
  });

  it.each([
    // The last segment alone, a trailing slash alone: the path itself and its other spelling (control).
    [{ path: "/admin.php" }, "/admin.php"],
    [{ path: "/admin.php" }, "/admin.php/"],
  ])("%j denies %s (control)", async (route, path) => {
    expect((await decide(route, path)).effect).toBe("deny");
  });

  it.each([
    // No dot in the segment: not a script a server picks by its extension.
    [{ path: "/admin" }, "/admin/x"],
    // A dot only at the start: a hidden file or directory, not an extension.
    [{ path: "/.well-known" }, "/.well-known/x"],
    // Another script: `/admin.php.bak/x` runs `admin.php.bak`, not `admin.php`.
    [{ path: "/admin.php" }, "/admin.phpx/y"],
  ])("%j does not deny %s", async (route, path) => {
    expect((await decide(route, path)).effect).toBe("allow");
  });
});
