// A principal on the command line, as one policy principal matcher: the same spellings as `ward explain --as`.
import type { PrincipalMatcher } from "../../policy/index.ts";
import { CliError } from "../cli-error.ts";

export const PRINCIPAL_SYNTAX = "spiffe://...|EMAIL|token:CLIENT_ID|group:NAME";

export function principalFromFlag(text: string): PrincipalMatcher {
  if (text.startsWith("spiffe://")) return { spiffe: text };
  if (text.startsWith("token:") && text.length > 6) return { serviceToken: text.slice(6) };
  if (text.startsWith("group:") && text.length > 6) return { group: text.slice(6) };
  if (/^[^\s@]+@[^\s@]+$/.test(text)) return { email: text };
  throw new CliError(`--principal ${text}: expected ${PRINCIPAL_SYNTAX}`);
}

export function describePrincipal(p: PrincipalMatcher): string {
  if ("spiffe" in p) return p.spiffe;
  if ("email" in p) return p.email;
  if ("serviceToken" in p) return `token:${p.serviceToken}`;
  // Quoted when white space surrounds it (refused in a new grant; one stored before must not look like another).
  if ("group" in p) return `group:${p.group.trim() === p.group ? p.group : JSON.stringify(p.group)}`;
  return JSON.stringify(p);
}
