// A principal on the command line, as one policy principal matcher: the same spellings as `ward explain --as`.
import type { PrincipalMatcher } from "../../policy/index.ts";
import { CliError } from "../cli-error.ts";
import { column } from "./column.ts";

export const PRINCIPAL_SYNTAX = "spiffe://...|EMAIL|token:CLIENT_ID|group:NAME";

export function principalFromFlag(text: string): PrincipalMatcher {
  if (text.startsWith("spiffe://")) return { spiffe: text };
  if (text.startsWith("token:") && text.length > 6) return { serviceToken: text.slice(6) };
  if (text.startsWith("group:") && text.length > 6) return { group: text.slice(6) };
  if (/^[^\s@]+@[^\s@]+$/.test(text)) return { email: text };
  throw new CliError(`--principal ${text}: expected ${PRINCIPAL_SYNTAX}`);
}

/**
 * A grant's principal as one column of its line: a name holding white space (an Access group's may, and one stored
 * before white space around it was refused), `"` or `\` quoted as JSON, so that it cannot look like another.
 */
export function describePrincipal(p: PrincipalMatcher): string {
  if ("spiffe" in p) return column(p.spiffe);
  if ("email" in p) return column(p.email);
  if ("serviceToken" in p) return `token:${column(p.serviceToken)}`;
  if ("group" in p) return `group:${column(p.group)}`;
  return JSON.stringify(p);
}
