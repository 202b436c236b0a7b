// Which host each service answers on: `<service>.<domain>`, the domain being what the environment's route
// covers (`*.staging.example.com/*` -> staging.example.com). A host no route covers never reaches the gateway.
import { CliError } from "../cli-error.ts";
import { setsRoute } from "../doctor/deployed-routes.ts";
import type { RawTable } from "../doctor/types.ts";
import type { Route } from "./options.ts";

/** The domain a wildcard route covers, or the parent of a custom domain. */
export function routeDomain(routes: readonly unknown[]): string | undefined {
  for (const route of routes) {
    const pattern = typeof route === "string" ? route : (route as { pattern?: unknown }).pattern;
    if (typeof pattern !== "string") continue;
    const wildcard = /^\*\.([a-z0-9.-]+)\/\*$/.exec(pattern);
    if (wildcard) return wildcard[1];
  }
  for (const route of routes) {
    const custom = route as { pattern?: unknown; custom_domain?: unknown };
    if (custom.custom_domain === true && typeof custom.pattern === "string" && custom.pattern.includes("."))
      return custom.pattern.slice(custom.pattern.indexOf(".") + 1);
  }
  return undefined;
}

export function serviceDomain(
  given: string | undefined,
  routes: readonly Route[] | undefined,
  env: RawTable | undefined,
): string {
  const existing = Array.isArray(env?.routes) ? env.routes : setsRoute(env) ? [env?.route] : [];
  const domain = given ?? routeDomain(routes ?? []) ?? routeDomain(existing);
  if (!domain)
    throw new CliError(
      "cannot tell which domain the services are on from the routes: give --domain DOMAIN (hosts are SERVICE.DOMAIN)",
    );
  return domain;
}
