// Which routes wrangler deploys an environment with, read from the raw config as wrangler reads it. Not
// through wrangler's own reader: doctor reads the config as written (scripts/doctor/config.ts), and this is
// the one place it needs wrangler's inheritance of `route` / `routes`, which is (wrangler 4, config
// validation: normalizeAndValidateRoute, validateRoutes, `inheritable`; deploy: `routes ?? [route]`):
//   - each key is inherited on its own: routes = env.routes ?? top.routes, route = env.route ?? top.route;
//   - `route = ""` is ignored, with a warning, as if it were not written (and is no conflict with `routes`);
//   - deploy takes `routes` whenever there is one (inherited included), else `[route]` when route is set.
// So an environment that sets `route` under a top level with `routes` deploys the top level's routes, and its
// own `route` never: taking the environment's `route` first would call routed what reaches no gateway.
import type { RawTable } from "./types.ts";

/** `route` as wrangler keeps it: a blank string is dropped (wrangler warns and ignores it). */
function route(table: RawTable | undefined): unknown {
  return table?.route === "" ? undefined : table?.route;
}

/** Whether the table itself sets `route` (one wrangler does not ignore). */
export function setsRoute(table: RawTable | undefined): boolean {
  return route(table) !== undefined;
}

/** The route values (strings or tables, as written) wrangler deploys `env` (the top level if undefined) with. */
export function deployedRouteValues(top: RawTable, env: RawTable | undefined): unknown[] {
  const routes = env?.routes ?? top.routes;
  if (routes !== undefined && routes !== null) return Array.isArray(routes) ? routes : [];
  const single = route(env) ?? route(top);
  return single ? [single] : [];
}

/**
 * An environment's `route` that wrangler never deploys: the environment sets `route` and no `routes`, and
 * inherits the top level's `routes`, which deploy takes in its place.
 */
export function routeIgnored(top: RawTable, env: RawTable | undefined): boolean {
  return env !== undefined && setsRoute(env) && env.routes === undefined && top.routes !== undefined;
}
