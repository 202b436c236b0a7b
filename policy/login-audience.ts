// Which Access application a browser without a session is sent to sign in to: the service's own (the first of
// its accessAudiences) where it names them, else the first of identity.access; on a host no service answers, the
// first no service claims (policy/access-audiences.ts). A login to another application gives a token that does
// not count there, and the browser would come back to the same redirect.
import { unclaimedAudiences } from "./access-audiences.ts";
import { findService, type CompiledPolicy } from "./compile.ts";

/** The AUD to log in to for `host` (a service's host, or any host Ward's own pages answer on). */
export function loginAudience(policy: CompiledPolicy, host: string): string | undefined {
  const access = policy.document.identity.access;
  if (!access) return undefined;
  const service = findService(policy, host);
  // None unclaimed: no login here gives a token that counts here (it would come straight back). Undefined: no redirect.
  if (!service) return unclaimedAudiences(policy.document)[0];
  return policy.document.services[service.name]?.accessAudiences?.[0] ?? access.audiences[0];
}
