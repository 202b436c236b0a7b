// Grants as operators read them: one line each, with what, for whom, until when and why.
import { isServiceTokenId, type GrantRecord } from "../../policy/index.ts";
import { oneLine } from "../io.ts";
import { column } from "./column.ts";
import { describePrincipal } from "./principal.ts";

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

function left(ms: number): string {
  if (ms <= 0) return "expired";
  const minutes = Math.round(ms / 60_000);
  return minutes < 120
    ? `${minutes}m left`
    : minutes < 2 * 24 * 60
      ? `${Math.round(minutes / 60)}h left`
      : `${Math.round(minutes / 1440)}d left`;
}

/**
 * One line whatever the grant holds (a reason or ticket stored before the admin API refused line breaks), its
 * columns apart: the principal and ticket quoted when they hold white space (describePrincipal, column), the
 * reason always a JSON string, so that a `"` in it cannot end it and pass for who granted it (`" by X`).
 */
export function grantLine(g: GrantRecord, now: number): string {
  const what = `${g.service}/${g.routes === "*" ? "*" : g.routes.join(",")} ${g.methods === "*" ? "*" : g.methods.join(",")}`;
  const uses = g.maxUses !== undefined ? `  uses ${g.uses}/${g.maxUses}` : "";
  const status = g.status === "active" ? left(g.notAfter - now) : g.status;
  const ticket = g.kind === "break-glass" ? "" : `${column(g.ticket)}  `;
  const why = `${JSON.stringify(g.reason)} by ${g.createdBy}`;
  const line = `${g.id}  ${g.kind}  ${describePrincipal(g.principal)} -> ${what}  until ${iso(g.notAfter)} (${status})${uses}  ${ticket}${why}`;
  // Granted before service tokens were known by their client id's shape (policy/service-token-id.ts), to a name
  // no token is read as any more (a certificate's CN): it applies to no one.
  const stale = "serviceToken" in g.principal && !isServiceTokenId(g.principal.serviceToken);
  return oneLine(
    stale
      ? `${line}  (applies to no one: its service token is no client id; revoke it and grant the caller's spiffe:// ID)`
      : line,
  );
}
