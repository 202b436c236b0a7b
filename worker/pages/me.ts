// Where do I stand: the identity Ward verified for this caller, the facts it sees (groups, device posture),
// how long each credential has left, and the apps the caller may open. Only the caller's own data, and never
// why a particular request was refused (that stays in the decision log, for `ward why`).
import { displayName, principalKey, type CredentialSeen, type Identity } from "../../policy/index.ts";
import type { ListedApp } from "./portal.ts";
import { escapeHtml, PAGE_STYLE } from "../../policy/page-style.ts";
import { pageHeaders } from "./browser.ts";

export interface Standing {
  identity: Identity;
  credentials: readonly CredentialSeen[];
  expiresAt: Partial<Record<CredentialSeen["kind"], number>>;
  apps: readonly ListedApp[];
  now: number;
}

const CREDENTIAL_NAMES: Record<CredentialSeen["kind"], string> = {
  "access-jwt": "Cloudflare Access sign-in",
  "client-certificate": "client certificate",
  "workload-token": "workload token",
};

/** The facts as data: what an API client (or a workload) gets as JSON. */
export function standingRecord(s: Standing) {
  const { user, serviceToken } = s.identity;
  // The workload the caller is signed in as: its certificate's, else the one its workload token names (a JWT-SVID
  // alone is a workload too, as its principal and the origin's assertion say; `credentials` tells which vouched).
  const workload = s.identity.workload?.id ?? s.identity.workloadToken?.spiffeId;
  return {
    principal: principalKey(s.identity),
    ...(user
      ? {
          user: {
            email: user.email,
            // null: Ward could not learn them (Access get-identity did not answer); rules that need them fail closed.
            groups: user.groups ?? null,
            devicePosture: user.devicePosture ?? null,
            // Reported with a result too old to count (identity.access.maxPostureAge): unknown to every rule.
            devicePostureStale: user.devicePostureStale ?? [],
          },
        }
      : {}),
    ...(serviceToken ? { serviceToken: { clientId: serviceToken.clientId } } : {}),
    ...(workload !== undefined ? { workload: { id: workload } } : {}),
    credentials: s.credentials.map((c) => {
      const left = secondsLeft(c, s.expiresAt[c.kind], s.now);
      return {
        kind: c.kind,
        lifetimeSeconds: c.lifetimeSeconds,
        ...(left !== undefined ? { expiresInSeconds: left } : {}),
      };
    }),
    apps: s.apps.map((a) => ({ service: a.service, owner: a.owner, url: a.url })),
  };
}

/**
 * The credential's own time left (to its `exp` or `notAfter`), never more than Ward accepts it for. `acceptedUntil`
 * alone would add the clock skew Ward allows past `exp`: a fresh token would show ~30 s more than its lifetime.
 */
function secondsLeft(c: CredentialSeen, acceptedUntil: number | undefined, now: number): number | undefined {
  if (acceptedUntil === undefined) return undefined;
  const accepted = Math.floor((acceptedUntil - now) / 1000);
  const own = c.remainingSeconds ?? accepted;
  return Math.max(0, Math.min(own, accepted));
}

function timeLeft(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function factLines(s: Standing): string[] {
  const record = standingRecord(s);
  const lines: string[] = [];
  for (const c of record.credentials) {
    const left = c.expiresInSeconds !== undefined ? `, ${timeLeft(c.expiresInSeconds)} left` : "";
    lines.push(`<li>${escapeHtml(CREDENTIAL_NAMES[c.kind])}${left}</li>`);
  }
  const user = record.user;
  if (user) {
    const groups =
      user.groups === null ? "not known right now" : user.groups.length > 0 ? user.groups.join(", ") : "none";
    lines.push(`<li id="groups">Groups: ${escapeHtml(groups)}</li>`);
    if (user.devicePosture !== null) {
      const checks = Object.entries(user.devicePosture).map(([id, ok]) => `${id} ${ok ? "passed" : "failed"}`);
      // A stale result counts as neither: said, so the person knows to let their device report again.
      for (const id of user.devicePostureStale) checks.push(`${id} stale (no recent result)`);
      lines.push(`<li id="posture">Device checks: ${escapeHtml(checks.length > 0 ? checks.join(", ") : "none")}</li>`);
    }
  }
  if (record.workload) lines.push(`<li>Workload: ${escapeHtml(record.workload.id)}</li>`);
  return lines;
}

/** The page for people: who, what Ward sees, the apps (the portal), and a way out. */
export function standingPage(s: Standing, requestId: string): Response {
  const who = displayName(s.identity) ?? "nobody";
  const items = s.apps
    .map(
      (a) =>
        `<li><a href="${escapeHtml(a.url)}">${escapeHtml(a.service)}</a> <small>(owner: ${escapeHtml(a.owner)})</small></li>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Where you stand</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_STYLE}</style>
</head><body>
<h1>Where you stand</h1>
<p>Signed in as <strong id="who">${escapeHtml(who)}</strong>.</p>
<ul id="facts">
${factLines(s).join("\n")}
</ul>
<h2>Apps you can open</h2>
${s.apps.length > 0 ? `<ul id="apps">\n${items}\n</ul>` : `<p id="apps">No internal app lets you in yet. Ask an app's owner for access.</p>`}
<p><a id="sign-out" href="/cdn-cgi/access/logout">Sign out</a> · <a href="/cdn-cgi/access/logout">Sign in as someone else</a></p>
</body></html>
`;
  return new Response(html, { headers: pageHeaders(requestId) });
}

export function standingJson(s: Standing, requestId: string): Response {
  return new Response(JSON.stringify(standingRecord(s)), {
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "ward-request-id": requestId,
    },
  });
}
