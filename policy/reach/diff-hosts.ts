// Which service serves a host, before and after: a host added (exact, or under a wildcard), moved to another
// service or newly covered by a wildcard sends requests to routes that never saw them, so it may widen
// access even when no grant changes. Compared as the gateway resolves hosts (policy/compile.ts findService):
// an exact host first, else a wildcard `*.d` for any host one label below d.
import type { ServiceSettings } from "./model.ts";
import type { SettingChange } from "./setting-change.ts";
import { compare } from "./sort.ts";

type Services = ReadonlyMap<string, ServiceSettings>;

interface HostIndex {
  exact: Map<string, string>;
  /** `*.d` by d. */
  wildcard: Map<string, string>;
}

function indexOf(services: Services): HostIndex {
  const index: HostIndex = { exact: new Map(), wildcard: new Map() };
  for (const [name, service] of services) {
    for (const host of service.hosts) {
      if (host.startsWith("*.")) index.wildcard.set(host.slice(2), name);
      else index.exact.set(host, name);
    }
  }
  return index;
}

function resolve(index: HostIndex, host: string): string | undefined {
  const exact = index.exact.get(host);
  if (exact !== undefined) return exact;
  const dot = host.indexOf(".");
  return dot === -1 ? undefined : index.wildcard.get(host.slice(dot + 1));
}

/**
 * One host for each set of hosts the two policies resolve alike: every exact host either names, and for each
 * wildcard `*.d` either names, `*.d` itself, standing for every host one label below d that neither names.
 */
function hostClasses(
  before: HostIndex,
  after: HostIndex,
): { shown: string; resolve: (i: HostIndex) => string | undefined }[] {
  const exact = [...new Set([...before.exact.keys(), ...after.exact.keys()])];
  const wildcards = [...new Set([...before.wildcard.keys(), ...after.wildcard.keys()])];
  return [
    ...exact.map((host) => ({ shown: host, resolve: (i: HostIndex) => resolve(i, host) })),
    ...wildcards.map((domain) => ({ shown: `*.${domain}`, resolve: (i: HostIndex) => i.wildcard.get(domain) })),
  ].sort((a, b) => compare(a.shown, b.shown));
}

/** Hosts served by another service than before, or by none: the first may widen, the second narrows. */
export function hostChanges(before: Services, after: Services): SettingChange[] {
  const [was, now] = [indexOf(before), indexOf(after)];
  const changes: SettingChange[] = [];
  for (const host of hostClasses(was, now)) {
    const [from, to] = [host.resolve(was), host.resolve(now)];
    if (from === to) continue;
    if (to === undefined) {
      changes.push({ kind: "host", change: `${host.shown}: no longer served (was ${from})`, widens: false });
    } else {
      const what = from === undefined ? "was served by no service" : `was ${from}`;
      changes.push({ kind: "host", change: `${host.shown}: now served by ${to} (${what})`, widens: true });
    }
  }
  return changes;
}
