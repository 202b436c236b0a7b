// Where the admin API answers: on any host Ward serves except an application's. An application's pages share
// their origin with whatever is served on that host, so a script on one (an XSS, an app that serves its users'
// HTML, an app team gone rogue) could call the admin API same-origin while an admin visits: Access adds the
// visitor's token to every request from the browser, and a same-origin request is not a cross-site one. The
// operators' CLI uses a host of its own (WARD_URL), one no service names.
import { findService, type CompiledPolicy } from "./compile.ts";
import { canonicalHost } from "./canonical-target.ts";

/** Whether the admin API answers on `rawHost` (the request's Host, port and all): valid, and no service's host. */
export function adminAnswersOn(policy: CompiledPolicy, rawHost: string): boolean {
  const host = canonicalHost(rawHost);
  return host !== undefined && findService(policy, host) === undefined;
}
