// With a terminal attached, ward init asks for what the flags left out and the config does not say yet;
// each answer becomes the flag it stands for, so it is checked exactly as a flag would be. Without a terminal
// (CI) nothing is asked: the flags are all there is.
import { setsRoute } from "../doctor/deployed-routes.ts";
import type { RawTable } from "../doctor/types.ts";
import { planOrigins } from "./environment-plan.ts";
import { type InitOptions, parseInitArgs } from "./options.ts";

/** Asks one question; an empty answer takes the default (or skips, when there is none). */
export type Ask = (question: string, fallback?: string) => Promise<string>;

/** The flags an operator's answers add to `args`, then parsed again. */
export async function askForMissing(
  args: readonly string[],
  options: InitOptions,
  top: RawTable,
  env: RawTable | undefined,
  ask: Ask,
): Promise<InitOptions> {
  const extra: string[] = [];
  const hasRoutes = (Array.isArray(env?.routes) && env.routes.length > 0) || setsRoute(env);
  if (!options.routes && !hasRoutes) {
    const route = await ask(`Route for ${options.env} (a pattern such as *.${options.env}.example.com/*)`);
    if (route) extra.push("--route", route, "--zone", await ask("Zone of that route (such as example.com)"));
  }
  if (options.origins.length === 0) {
    const planned = planOrigins(top, env, []).map((o) => o.binding);
    const answer = await ask("Origins: Worker binding names, comma-separated", planned.join(","));
    for (const binding of answer
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean)) {
      const address = await ask(`Where does cloudflared reach ${binding}? HOST:PORT of its HTTPS (Enter to skip)`);
      extra.push("--origin", address ? `${binding}=${address}` : binding);
    }
  }
  if (!options.tunnelId) {
    const tunnel = await ask("Tunnel id for the VPC services (cloudflared tunnel list; Enter to skip)");
    if (tunnel) extra.push("--tunnel-id", tunnel);
  }
  return extra.length > 0 ? parseInitArgs([...args, ...extra]) : options;
}
