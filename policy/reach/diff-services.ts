// A service's settings beside its routes, before and after. Each change is listed, widening or not:
// - added: a new origin behind Ward (its hosts are listed too); removed: a narrowing;
// - origin: the requests Ward allows now reach another backend, which never had them;
// - mode enforce -> audit: every request the service takes is forwarded, whatever the rules say;
// - hide true -> false: a refused caller is told 403 where it was told 404, so learns that the route exists:
//   more is disclosed, which a CI gate on widening should stop for a person to look at;
// - paths matched case-sensitively again: `/ADMIN` escapes a deny on `/admin` at an origin that serves both
//   alike; matched whatever their case: allow rules also take requests in other cases. Either way reach changes;
// - a client certificate no longer required: callers without one reach the rules;
// - forwarded headers added: the origin sees more of what clients send (an `authorization` its own login reads);
// - headers the deciding allow rule may set, added or changed: the origin is told more about callers it admits;
// - a limit that always counted may now fail open: requests admitted uncounted while its store cannot answer;
//   or be gone: every request admitted uncounted.
import type { ServiceSettings } from "./model.ts";
import type { SettingChange } from "./setting-change.ts";
import { droppedHeaders, widerTerms } from "./deciding-terms.ts";
import { compare } from "./sort.ts";

type Services = ReadonlyMap<string, ServiceSettings>;

function changesOf(name: string, o: ServiceSettings, n: ServiceSettings): SettingChange[] {
  const changes: SettingChange[] = [];
  if (o.origin !== n.origin) {
    changes.push({
      kind: "origin",
      change: `${name}: ${o.origin} -> ${n.origin} (allowed requests now reach another backend)`,
      widens: true,
    });
  }
  if (o.mode !== n.mode) {
    const audit = n.mode === "audit";
    changes.push({
      kind: "mode",
      change: `${name}: ${o.mode} -> ${n.mode}${audit ? " (every request it serves is forwarded)" : ""}`,
      widens: audit,
    });
  }
  if (o.hide !== n.hide) {
    changes.push({
      kind: "hide",
      change: n.hide
        ? `${name}: refusals now answered 404, as if nothing were there`
        : `${name}: refusals now answered 403 (was 404): callers learn which routes exist`,
      widens: !n.hide,
    });
  }
  if (o.caseInsensitivePaths !== n.caseInsensitivePaths) {
    changes.push({
      kind: "path case",
      change: n.caseInsensitivePaths
        ? `${name}: paths now matched whatever their case (allow rules take /Admin for /admin too)`
        : `${name}: paths now matched case-sensitively again (/ADMIN escapes a deny on /admin where the origin serves both)`,
      widens: true,
    });
  }
  if (o.requireCertificate !== n.requireCertificate) {
    changes.push({
      kind: "certificate",
      change: n.requireCertificate
        ? `${name}: a client certificate is now required`
        : `${name}: a client certificate is no longer required`,
      widens: !n.requireCertificate,
    });
  }
  // A new route is compared with what every old route forwarded (the service's own headers at least).
  const everyRoute =
    [...o.forwardHeaders.values()].reduce<readonly string[] | undefined>(
      (a, b) => (a === undefined ? b : a.filter((h) => b.includes(h))),
      undefined,
    ) ?? [];
  for (const [route, headers] of n.forwardHeaders) {
    const before = o.forwardHeaders.get(route) ?? everyRoute;
    const added = headers.filter((h) => !before.includes(h));
    if (added.length > 0) {
      changes.push({ kind: "forwarded headers", change: `${route}: + ${added.join(", ")}`, widens: true });
    }
  }
  // A connection held open carries more than one request's worth: a route newly allowing upgrades widens.
  for (const route of n.websockets)
    if (!o.websockets.has(route))
      changes.push({ kind: "websocket", change: `${route}: WebSocket upgrades now allowed`, widens: true });
  for (const route of o.websockets)
    if (!n.websockets.has(route))
      changes.push({ kind: "websocket", change: `${route}: WebSocket upgrades no longer allowed`, widens: false });
  // What bounds a connection (message size, bytes a second, idle time): listed for the reviewer, not access.
  for (const [route, limits] of n.websocketLimits) {
    const before = o.websocketLimits.get(route);
    if (before !== undefined && before !== limits)
      changes.push({ kind: "websocket", change: `${route}: WebSocket limits ${before} -> ${limits}`, widens: false });
  }
  changes.push(...decidingChanges(o, n));
  return changes;
}

/**
 * Per route and principal granted there in both, what the deciding allow rule may now set or leave uncounted
 * (deciding-terms.ts), grouped by route and change. A principal granted anew is the grants' part.
 */
function decidingChanges(o: ServiceSettings, n: ServiceSettings): SettingChange[] {
  const widened = new Map<string, { route: string; change: string; principals: string[]; widens: boolean }>();
  const note = (route: string, change: string, principal: string, widens: boolean) => {
    const key = `${route}\u0000${change}`;
    const entry = widened.get(key);
    if (entry) entry.principals.push(principal);
    else widened.set(key, { route, change, principals: [principal], widens });
  };
  for (const [route, byPrincipal] of n.deciding) {
    const before = o.deciding.get(route);
    if (!before) continue;
    for (const [principal, terms] of byPrincipal) {
      const old = before.get(principal);
      if (!old) continue;
      const wider = widerTerms(old, terms);
      if (wider.headers.length > 0) note(route, `+ ${wider.headers.join(", ")}`, principal, true);
      if (wider.failOpen)
        note(route, "its rate limit may now fail open (admit uncounted when it cannot be checked)", principal, true);
      if (wider.uncounted) note(route, "its rate limit may now be gone (admit uncounted)", principal, true);
      const dropped = droppedHeaders(old, terms);
      if (dropped.length > 0) note(route, `- ${dropped.join(", ")}`, principal, false);
    }
  }
  return [...widened.values()]
    .sort((a, b) => compare(a.route, b.route) || compare(a.change, b.change))
    .map((e) => ({
      kind: e.change.startsWith("its rate limit") ? ("rate limit" as const) : ("rule headers" as const),
      change: `${e.route} for ${e.principals.sort(compare).join(", ")}: ${e.change}`,
      widens: e.widens,
    }));
}

/** Services added, removed and changed, by name. */
export function serviceChanges(before: Services, after: Services): SettingChange[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort(compare);
  return names.flatMap((name) => {
    const [o, n] = [before.get(name), after.get(name)];
    if (!o) return [{ kind: "service" as const, change: `+ ${name} (${n!.hosts.join(", ")})`, widens: true }];
    if (!n) return [{ kind: "service" as const, change: `- ${name} (${o.hosts.join(", ")})`, widens: false }];
    return changesOf(name, o, n);
  });
}
