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
// - headers a rule sets, added or changed: the origin is told more about every caller the rule admits;
// - a rate limit made failOpen: it admits requests uncounted while its store cannot answer.
import type { ServiceSettings } from "./model.ts";
import type { SettingChange } from "./setting-change.ts";
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
  // What a rule sets on what it forwards is what the origin is told: a header added or changed may give every
  // caller the rule admits more at an origin that reads it (a role, a user name). Taken away, it is listed.
  for (const [rule, headers] of n.ruleHeaders) {
    const before = o.ruleHeaders.get(rule) ?? [];
    const added = headers.filter((h) => !before.includes(h));
    if (added.length > 0)
      changes.push({ kind: "rule headers", change: `${rule}: + ${added.join(", ")}`, widens: true });
  }
  for (const [rule, headers] of o.ruleHeaders) {
    const after = n.ruleHeaders.get(rule) ?? [];
    const removed = headers.filter((h) => !after.includes(h));
    if (removed.length > 0)
      changes.push({ kind: "rule headers", change: `${rule}: - ${removed.join(", ")}`, widens: false });
  }
  // failOpen admits requests uncounted while the rate-limit store cannot answer: a limit that may not hold.
  for (const rule of n.failOpen)
    if (!o.failOpen.has(rule))
      changes.push({
        kind: "rate limit",
        change: `${rule}: failOpen (admits uncounted requests when the limit cannot be checked)`,
        widens: true,
      });
  for (const rule of o.failOpen)
    if (!n.failOpen.has(rule))
      changes.push({ kind: "rate limit", change: `${rule}: no longer failOpen`, widens: false });
  return changes;
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
