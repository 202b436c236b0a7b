// The sign-in host of the local Access stand-in (http://access.localhost:PORT, the URL `ward dev` prints): its
// home page (sign in, or whom you are signed in as and the apps), the login an app sends people to, and
// signing out. One sign-in serves every app the local gateway fronts, as Access's session does across one team
// (access-session.ts); tokens go only to those apps. Dev only, never in the gateway bundle.
import { EMAIL, mintToken, parseGroups, type IssuerEnv } from "./access-issuer.ts";
import {
  CLEAR_SESSION_COOKIE,
  endSession,
  endSessionOfToken,
  newSession,
  readSession,
  sessionCookie,
  sessionTokenOf,
  type Session,
} from "./access-session.ts";
import { devPage, escapeHtml } from "./dev-page.ts";

const LOGIN_PREFIX = "/cdn-cgi/access/login/";

interface Person {
  email: string;
  groups: string[];
}

function personas(env: IssuerEnv): Person[] {
  try {
    return env.ISSUER_PERSONAS ? (JSON.parse(env.ISSUER_PERSONAS) as Person[]) : [];
  } catch {
    return [];
  }
}

function appHosts(env: IssuerEnv): string[] {
  try {
    const hosts: unknown = JSON.parse(env.ISSUER_APP_HOSTS ?? "[]");
    return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === "string") : [];
  } catch {
    return [];
  }
}

/**
 * An app the local gateway serves: a host of the policy, or one label under one of its `*.` hosts. A token is
 * never sent anywhere else: with a session, the login answers without a click, so a link naming another host
 * would otherwise hand it a token.
 */
export function servesApp(env: IssuerEnv, host: string): boolean {
  return appHosts(env).some((pattern) => {
    if (!pattern.startsWith("*.")) return pattern === host;
    const suffix = pattern.slice(1);
    const label = host.slice(0, -suffix.length);
    return host.endsWith(suffix) && label.length > 0 && !label.includes(".");
  });
}

/** Where to go after the login: only a path on the app's own host. */
export function safeReturnPath(value: string | null): string {
  if (!value?.startsWith("/")) return "/";
  // Judged as the browser will read it (it drops tabs and newlines anywhere, and reads "\\" as "/"): a path on
  // this host, sent back in the form the parser gives it. That form is judged again: the parser removes dot
  // segments, so `/.//evil.test/x` comes out as `//evil.test/x`, another host to the browser.
  const base = "http://return-path.invalid";
  const url = URL.parse(value, base);
  const path = url && url.origin === base ? url.pathname + url.search + url.hash : "/";
  return !path.startsWith("//") && URL.parse(path, base)?.origin === base ? path : "/";
}

/** Back to the app with a token of this session for it; the app's /cdn-cgi/access/authorized sets its cookie. */
async function backToApp(
  env: IssuerEnv,
  url: URL,
  app: { host: string; audience: string; returnPath: string },
  session: Session,
  setCookie?: string,
): Promise<Response> {
  const token = await mintToken(env, session.email, session.groups, app.audience, session.id);
  const back = new URL(`${url.protocol}//${app.host}${url.port ? `:${url.port}` : ""}/cdn-cgi/access/authorized`);
  back.searchParams.set("token", token);
  back.searchParams.set("redirect_url", app.returnPath);
  const headers = new Headers({ location: back.href, "cache-control": "no-store" });
  if (setCookie) headers.append("set-cookie", setCookie);
  return new Response(null, { status: 302, headers });
}

async function personFromForm(request: Request): Promise<Person | undefined> {
  const form = await request.formData();
  const email = String(form.get("email") ?? "").trim();
  return EMAIL.test(email) ? { email, groups: parseGroups(String(form.get("groups") ?? "")) } : undefined;
}

/**
 * A new sign-in in this browser: the session it replaces (another person, say) ends, so the apps never go on
 * serving the previous person beside the new one.
 */
async function startSession(request: Request, env: IssuerEnv, person: Person): Promise<Session> {
  const { session: previous } = await readSession(request, env);
  if (previous) endSession(previous.id, previous.expiresAt);
  return newSession(person.email, person.groups);
}

function signInForm(env: IssuerEnv, action: string): string {
  const target = escapeHtml(action);
  const quick = personas(env)
    .map(
      (p) =>
        `<form method="post" action="${target}"><input type="hidden" name="email" value="${escapeHtml(p.email)}">` +
        `<input type="hidden" name="groups" value="${escapeHtml(p.groups.join(","))}">` +
        `<button type="submit">${escapeHtml(p.email)}${p.groups.length ? ` (${escapeHtml(p.groups.join(", "))})` : ""}</button></form>`,
    )
    .join("\n");
  return `<p>Local development sign-in (ward dev). It stands in for Cloudflare Access: one sign-in opens every app of
this local gateway, as Access does across a team. Tokens are signed with a key made for this run.</p>
${quick ? `<h2>Sign in as</h2>\n${quick}\n<h2>Or anyone</h2>` : ""}
<form method="post" action="${target}">
<label>Email <input name="email" type="email" required autofocus></label>
<label>Groups (comma-separated) <input name="groups"></label>
<button type="submit">Sign in</button>
</form>`;
}

const unknownApp = () =>
  devPage(
    "Unknown application",
    "<h1>Unknown application</h1>\n<p>This local gateway serves no such host: no token is issued for it.</p>",
    400,
  );

/** GET: straight back to the app when signed in, else the sign-in form. POST: sign in, then back to the app. */
export async function login(request: Request, env: IssuerEnv): Promise<Response> {
  const url = new URL(request.url);
  let host: string;
  try {
    host = decodeURIComponent(url.pathname.slice(LOGIN_PREFIX.length)).toLowerCase();
  } catch {
    return unknownApp();
  }
  if (!/^[a-z0-9.-]+$/.test(host) || !servesApp(env, host)) return unknownApp();
  const kid = url.searchParams.get("kid") ?? "";
  const app = {
    host,
    audience: /^[0-9a-f]{64}$/.test(kid) ? kid : env.ACCESS_AUDIENCE,
    returnPath: safeReturnPath(url.searchParams.get("redirect_url")),
  };
  if (request.method === "POST") {
    const person = await personFromForm(request);
    if (!person) return devPage("Sign in", "<h1>Sign in</h1>\n<p>Enter an email address.</p>", 400);
    const session = await startSession(request, env, person);
    return backToApp(env, url, app, session, await sessionCookie(env, session));
  }
  // Signed in already, to this app or another one of the team: back at once, with a token for this app.
  const { session, present } = await readSession(request, env);
  if (session) return backToApp(env, url, app, session);
  return devPage(
    `Sign in to ${host}`,
    `<h1>Sign in to ${escapeHtml(host)}</h1>\n${signInForm(env, url.pathname + url.search)}`,
    200,
    present ? { "set-cookie": CLEAR_SESSION_COOKIE } : {},
  );
}

/** The apps of the local gateway, linked where a browser reaches them (`*.localhost`). */
function appList(env: IssuerEnv, url: URL): string {
  const items = appHosts(env)
    .filter((host) => !host.startsWith("*."))
    .map((host) =>
      host.endsWith(".localhost")
        ? `<li><a href="${escapeHtml(`http://${host}${url.port ? `:${url.port}` : ""}/`)}">${escapeHtml(host)}</a></li>`
        : `<li>${escapeHtml(host)}</li>`,
    );
  return items.length > 0 ? `<ul id="apps">\n${items.join("\n")}\n</ul>` : "<p>This policy names no app host.</p>";
}

/** The URL `ward dev` advertises: sign in once (POST), or see whom you are signed in as and the apps (GET). */
export async function home(request: Request, env: IssuerEnv): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "POST") {
    const person = await personFromForm(request);
    if (!person) return devPage("Sign in", "<h1>Sign in</h1>\n<p>Enter an email address.</p>", 400);
    const session = await startSession(request, env, person);
    const headers = new Headers({ location: "/", "cache-control": "no-store" });
    headers.append("set-cookie", await sessionCookie(env, session));
    return new Response(null, { status: 303, headers });
  }
  const { session, present } = await readSession(request, env);
  if (!session) {
    return devPage(
      "Sign in",
      `<h1>Sign in</h1>\n${signInForm(env, "/")}`,
      200,
      present ? { "set-cookie": CLEAR_SESSION_COOKIE } : {},
    );
  }
  const groups = session.groups.length > 0 ? session.groups.join(", ") : "none";
  return devPage(
    "Signed in",
    `<h1>Signed in</h1>
<p>You are signed in as <strong id="who">${escapeHtml(session.email)}</strong> (groups: ${escapeHtml(groups)}), for every app of this local gateway:</p>
${appList(env, url)}
<p>On any app, <code>/.ward/me</code> shows where you stand.</p>
<p><a id="sign-out" href="/cdn-cgi/access/logout">Sign out of every app</a></p>`,
  );
}

/** Signed out, on the sign-in host or an app's; `again` is where to sign in again. */
export function signedOutPage(again: string, clearCookie: string): Response {
  return devPage(
    "Signed out",
    `<h1>You are signed out</h1>
<p>You are signed out of every app you opened with that sign-in.</p>
<p><a href="${escapeHtml(again)}">Sign in again</a></p>`,
    200,
    { "set-cookie": clearCookie },
  );
}

/** Signing out on the sign-in host: the session ends for every app. */
export async function teamLogout(request: Request, env: IssuerEnv): Promise<Response> {
  const token = sessionTokenOf(request);
  if (token) await endSessionOfToken(env, token);
  return signedOutPage("/", CLEAR_SESSION_COOKIE);
}
