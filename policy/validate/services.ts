// Services: hosts owned by one service only, an origin reached through a tunnel, a certificate requirement
// that can be met, audit mode in production, forwarded headers, then each route.
import { MAX_HOST_LENGTH } from "../canonical-target.ts";
import { durationSeconds } from "../duration.ts";
import type { PolicyDocument, Service } from "../schema.ts";
import type { Collector } from "./collector.ts";
import { checkForwardHeaders } from "./headers.ts";
import { checkRoutes } from "./routes.ts";

export function checkServices(doc: PolicyDocument, out: Collector): void {
  const hostOwner = new Map<string, string>();
  for (const [name, service] of Object.entries(doc.services)) {
    const at = `services.${name}`;
    checkHosts(name, service.hosts, at, hostOwner, out);
    checkOrigin(service.origin, at, out);
    if (service.requireCertificate && !doc.identity.mtls) {
      out.add(
        "error",
        "mtls-not-configured",
        `${at}.requireCertificate`,
        "the service requires a client certificate but identity.mtls is not set: every request would be refused",
        "pin the client certificate issuers under identity.mtls, or drop requireCertificate",
      );
    }
    if (service.mode === "audit" && doc.metadata.environment === "production") {
      out.add(
        "warning",
        "audit-in-production",
        `${at}.mode`,
        "service is in audit mode in production: denials are logged, not enforced",
      );
    }
    checkForwardHeaders(service.forwardHeaders, at, out);
    checkRoutes(doc, service.routes, at, out, service.caseInsensitivePaths ?? false);
    checkSharedRateLimits(service, at, out);
  }
  checkWildcardHosts(doc, hostOwner, out);
}

/** A host served by two services: which one decides would depend on the order they are read in. */
function checkHosts(
  name: string,
  hosts: readonly string[],
  at: string,
  hostOwner: Map<string, string>,
  out: Collector,
): void {
  hosts.forEach((host, i) => {
    // No request's Host is longer (canonical-target.ts refuses it, host-invalid): such a service is never reached.
    if (!out.stored && host.length > MAX_HOST_LENGTH)
      out.add(
        "error",
        "out-of-range",
        `${at}.hosts[${i}]`,
        `host of ${host.length} characters: a host name has at most ${MAX_HOST_LENGTH}, so no request would reach it`,
      );
    const previous = hostOwner.get(host);
    if (previous !== undefined) {
      out.add(
        "error",
        "overlapping-hosts",
        `${at}.hosts[${i}]`,
        `host "${host}" is already served by service "${previous}"`,
      );
    } else {
      hostOwner.set(host, name);
    }
  });
}

function checkOrigin(origin: Service["origin"], at: string, out: Collector): void {
  if (typeof origin === "string") {
    const binding = /^[A-Z][A-Z0-9_]*$/.test(origin);
    out.add(
      "error",
      "origin-not-tunnel",
      `${at}.origin`,
      binding ? `origin must be written { tunnel: ${origin} }` : `origin "${origin}" is not a tunnel binding`,
      binding
        ? undefined
        : "reach the origin through a Workers VPC service binding: { tunnel: BINDING }; a public URL needs { url, publicUrl: true }",
    );
  } else if ("url" in origin) {
    out.add(
      "warning",
      "public-origin",
      `${at}.origin`,
      `origin ${origin.url} has a routable address: callers can bypass Ward, and Ward forwards only through tunnel bindings, so allowed requests get 503`,
      "put the origin behind Cloudflare Tunnel and use { tunnel: BINDING }",
    );
  }
}

/** A wildcard host overlapping an exact host in another service makes ownership ambiguous. */
function checkWildcardHosts(doc: PolicyDocument, hostOwner: ReadonlyMap<string, string>, out: Collector): void {
  // Each exact host under the one wildcard that would match it (`a.example.com` under `*.example.com`), in the
  // order read: a look-up each, not every wildcard against every host (20,000 of each took 7 s).
  const under = new Map<string, string[]>();
  for (const other of hostOwner.keys()) {
    const dot = other.indexOf(".");
    if (other.startsWith("*.") || dot < 0) continue;
    const wildcard = `*${other.slice(dot)}`;
    if (hostOwner.has(wildcard)) (under.get(wildcard) ?? under.set(wildcard, []).get(wildcard)!).push(other);
  }
  for (const [host, owner] of hostOwner) {
    const others = under.get(host);
    if (!others) continue;
    const i = doc.services[owner]!.hosts.indexOf(host);
    for (const other of others) {
      const otherOwner = hostOwner.get(other)!;
      if (otherOwner === owner) continue;
      out.add(
        "error",
        "overlapping-hosts",
        `services.${owner}.hosts[${i}]`,
        `wildcard "${host}" overlaps host "${other}" of service "${otherOwner}"`,
      );
    }
  }
}

/**
 * Rules of a service whose rateLimit says `key: principal` share one count of the caller's requests only when
 * their limit and period are the same (policy/evaluate.ts): rules of other terms count apart, which a policy that
 * gives one route `limit: 100` and another `limit: 10` most likely did not mean.
 */
function checkSharedRateLimits(service: Service, at: string, out: Collector): void {
  let first: { path: string; limit: number; period: string; seconds: number } | undefined;
  service.routes.forEach((route, r) => {
    route.rules.forEach((rule, i) => {
      const rateLimit = rule.rateLimit;
      if (rateLimit?.key !== "principal" || rule.effect !== "allow") return;
      const path = `${at}.routes[${r}].rules[${i}].rateLimit`;
      const seconds = durationSeconds(rateLimit.period);
      if (!first) first = { path, limit: rateLimit.limit, period: rateLimit.period, seconds };
      else if (seconds !== first.seconds || rateLimit.limit !== first.limit)
        out.add(
          "warning",
          "rate-limit-not-shared",
          path,
          `rules with key: principal share one count of the caller's requests only with the same limit and period: this one (${rateLimit.limit} per ${rateLimit.period}) counts apart from ${first.path} (${first.limit} per ${first.period})`,
          "give them the same limit and period for one count across the service, or key: principal+route for a count per route",
        );
    });
  });
}
