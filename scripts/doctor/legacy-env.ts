// `legacy_env`: wrangler 4 refuses any config that sets it at the top level, true or false ("The legacy_env field
// is no longer supported"), so nothing in it deploys. `legacy_env = false` asked for service environments (one
// Worker with an environment per [env.*]), which Cloudflare removed: every environment is a Worker of its own now,
// `name` or `<top-level name>-ENV`, which is how doctor reads it. `true` was the default, and is what remains.
import { topWhere, type Check, type DoctorContext, type RawTable } from "./types.ts";

/** What to say about the top level's `legacy_env`, or undefined when it sets none. */
export function legacyEnvProblem(top: RawTable): { message: string; fix: string } | undefined {
  if (!Object.hasOwn(top, "legacy_env")) return undefined;
  const value = JSON.stringify(top.legacy_env);
  const meant =
    top.legacy_env === false
      ? "it asked for service environments (one Worker for every [env.*]), which Cloudflare removed"
      : "it was the default, and is the only way wrangler deploys environments now";
  return {
    message: `legacy_env = ${value} is set: wrangler refuses the whole config ("The legacy_env field is no longer supported"), so no environment deploys; ${meant}`,
    fix: "delete the `legacy_env` line: each environment then deploys as a Worker of its own, its `name` or `<top-level name>-ENV`, as doctor checks it",
  };
}

export const checkLegacyEnv: Check = (ctx: DoctorContext) => {
  const problem = legacyEnvProblem(ctx.top);
  return problem ? [{ severity: "error", code: "legacy-env", where: topWhere(ctx), ...problem }] : [];
};
