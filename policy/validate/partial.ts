// When the schema fails: the part of the document that still has its shape, so that the checks beyond the
// schema report their issues (warnings among them) in the same run, not after every schema error is fixed.
//
// Only parts nothing else depends on are left out of it: a route (routes are checked one by one and against
// the other routes of their service, and one route fewer can only mean fewer findings), a service, and the
// optional sections exceptions, quarantine and admin. Anywhere else (metadata, identity, principal sets, a
// misspelt top-level section...) a broken part would make the other checks report what is not wrong, such as
// every reference to a misspelt section: then there is no checkable part, and only the schema speaks.
import type { z } from "zod";
import type { Issue } from "../issues.ts";
import { PolicyDocument } from "../schema.ts";

export interface CheckablePart {
  doc: PolicyDocument;
  /** An issue found in `doc`, with the route indexes of the document as written. */
  restore(issue: Issue): Issue;
}

/** Sections no other part of the document refers to, so they can be left out when broken. */
const SELF_CONTAINED = new Set(["exceptions", "quarantine", "admin"]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

export function checkablePart(input: unknown, issues: readonly z.core.$ZodIssue[]): CheckablePart | undefined {
  const brokenSections = new Set<string>();
  const brokenServices = new Set<string>();
  const brokenRoutes = new Map<string, Set<number>>();
  for (const issue of issues) {
    const [section, name, field, index] = issue.path;
    if (typeof section === "string" && SELF_CONTAINED.has(section)) brokenSections.add(section);
    else if (section !== "services" || typeof name !== "string") return undefined;
    else if (field === "routes" && typeof index === "number") {
      const routes = brokenRoutes.get(name) ?? new Set<number>();
      brokenRoutes.set(name, routes.add(index));
    } else brokenServices.add(name);
  }
  if (!isRecord(input) || !isRecord(input.services)) return undefined;

  // Per service that lost a route: the index in the document as written of each route kept.
  const kept = new Map<string, number[]>();
  const services: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(input.services)) {
    if (brokenServices.has(name)) continue;
    const broken = brokenRoutes.get(name);
    if (!broken) {
      services[name] = service;
      continue;
    }
    const routes: unknown = isRecord(service) ? service.routes : undefined;
    if (!Array.isArray(routes)) continue;
    const indexes = routes.map((_, i) => i).filter((i) => !broken.has(i));
    if (indexes.length === 0) continue;
    kept.set(name, indexes);
    services[name] = { ...(service as object), routes: indexes.map((i) => routes[i]) };
  }
  const rest = Object.fromEntries(Object.entries(input).filter(([key]) => !brokenSections.has(key)));
  const parsed = PolicyDocument.safeParse({ ...rest, services });
  if (!parsed.success) return undefined;
  return { doc: parsed.data, restore: (issue) => restoreRouteIndexes(issue, kept) };
}

/** `services.s.routes[1]` of the checked part is `routes[2]` as written when routes[1] was left out. */
function restoreRouteIndexes(issue: Issue, kept: ReadonlyMap<string, number[]>): Issue {
  const service = /^services\.([a-z][a-z0-9-]*)\.routes\[/.exec(issue.path)?.[1];
  const indexes = service === undefined ? undefined : kept.get(service);
  if (!indexes) return issue;
  // Messages of a route's issues name other routes of the same service by index too (`routes[0]`).
  const fix = (text: string) =>
    text.replace(/routes\[(\d+)\]/g, (_, n: string) => `routes[${indexes[Number(n)] ?? n}]`);
  return {
    ...issue,
    path: fix(issue.path),
    message: fix(issue.message),
    ...(issue.hint === undefined ? {} : { hint: fix(issue.hint) }),
  };
}
