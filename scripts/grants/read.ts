// Grants as `ward exceptions list --json` (and `ward breakglass list --json`) print them, read for
// `ward explain --grants` and `ward reach --grants`: the records the gateway reads from its store, taken as
// the gateway takes them (only those in force).
import { readFile } from "node:fs/promises";
import type { TimedGrant } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";

/** A list of names, or every one (`*`); absent: every one. */
function isList(value: unknown): boolean {
  return value === undefined || value === "*" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
}

/** Grants as `ward exceptions list --json` prints them (instants as epoch ms or ISO-8601), those in force. */
export async function readGrants(file: string): Promise<TimedGrant[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CliError(`--grants ${file}: ${(error as NodeJS.ErrnoException).code ?? "not JSON"}`, EXIT.failed);
  }
  return grantsInForce(parsed, `--grants ${file}`);
}

/**
 * Grant records (a `--grants` file's, or the admin API's `GET /grants` answer's `grants`), checked, those in
 * force. `source` names where they came from in an error.
 */
export function grantsInForce(parsed: unknown, source: string): TimedGrant[] {
  if (!Array.isArray(parsed))
    throw new CliError(`${source}: expected a JSON array of grants (ward exceptions list --json)`, EXIT.failed);
  // An instant outside what a Date holds is refused like one that does not parse: it has no ISO form to show.
  const instant = (v: unknown) => new Date(typeof v === "number" ? v : Date.parse(String(v))).getTime();
  return parsed
    .map((g: Record<string, unknown>, i) => {
      const grant = { ...g, notBefore: instant(g?.notBefore), notAfter: instant(g?.notAfter) } as TimedGrant;
      const principal: unknown = grant.principal;
      if (
        typeof grant.id !== "string" ||
        typeof grant.service !== "string" ||
        principal === null ||
        typeof principal !== "object" ||
        Array.isArray(principal) ||
        Number.isNaN(grant.notBefore) ||
        Number.isNaN(grant.notAfter)
      ) {
        throw new CliError(`${source}: grant ${i} needs id, principal, service, notBefore and notAfter`, EXIT.failed);
      }
      if (
        (grant.kind !== undefined && grant.kind !== "exception" && grant.kind !== "break-glass") ||
        !isList(grant.routes) ||
        !isList(grant.methods)
      ) {
        throw new CliError(
          `${source}: grant ${i}: kind is exception or break-glass, routes and methods each a list of names or "*"`,
          EXIT.failed,
        );
      }
      return { ...grant, kind: grant.kind ?? "exception", routes: grant.routes ?? "*", methods: grant.methods ?? "*" };
    })
    .filter((g) => inForce(g as TimedGrant & { status?: unknown; uses?: unknown }));
}

/** As the gateway reads the store: only active grants with uses left (`ward exceptions list --all` has the others too). */
export function inForce(grant: { status?: unknown; uses?: unknown; maxUses?: number }): boolean {
  if (grant.status !== undefined && grant.status !== "active") return false;
  return !(grant.maxUses !== undefined && typeof grant.uses === "number" && grant.uses >= grant.maxUses);
}
