// Denylist entries as operators read them.
import { isServiceTokenId, type DenyEntry } from "../../policy/index.ts";
import { oneLine } from "../io.ts";
import { column } from "./column.ts";

/**
 * One line whatever the entry holds: a reason stored before the admin API refused line breaks prints as one. Who
 * made the entry ends the line, and reads whole (Ward's own quarantines are by `ward (quarantine)`).
 */
export function denyLine(e: DenyEntry, now: number): string {
  const until =
    e.releasedAt !== null
      ? `released by ${column(String(e.releasedBy))}`
      : e.expiresAt === null
        ? "until lifted"
        : e.expiresAt <= now
          ? "expired"
          : `until ${new Date(e.expiresAt).toISOString()}`;
  // The reason as a JSON string: a `"` in it cannot end it and pass for who made the entry (`" by X`).
  const line = `${e.id}  ${e.kind}  ${e.match} ${column(e.value)}  ${until}  ${JSON.stringify(e.reason)} by ${e.createdBy}`;
  return oneLine(namesOldServiceToken(e) ? `${line}  ${MATCHES_NO_ONE}` : line);
}

const MATCHES_NO_ONE =
  "(matches no one: its service token is no client id, and such a token is no longer read as one; revoke the caller by --fingerprint, --serial or --spiffe)";

/**
 * An entry made before service tokens were known by their client id's shape (policy/service-token-id.ts), for a
 * token that carried something else in common_name (a certificate's CN): no caller is named so any more.
 */
function namesOldServiceToken(e: DenyEntry): boolean {
  if (e.match === "token") return !isServiceTokenId(e.value);
  if (e.match !== "principal") return false;
  // A quarantine's key: the token part comes after the workload and person parts, before a workload token's
  // subject (policy/identity.ts principalParts). Only a note: a name holding "+subject:" may be misread.
  const token = /(?:^|\+)token:(.*?)(?:\+subject:|$)/.exec(e.value);
  return token !== null && !isServiceTokenId(token[1]!);
}
