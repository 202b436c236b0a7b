// The Worker's name: wrangler refuses a config whose top level or [env.ENV] writes a name outside its rule (lower
// case letters, digits, '-' and '_', not starting with '-'), refuses to deploy a Worker without one, and does not
// check the name it makes itself, `<top-level name>-ENV`: `[env.Staging]` deploys as "ward-Staging", which the
// rule (the API's) refuses. Each of these passed doctor and stopped the deploy, or made a Worker doctor never saw.
import { envWhere, topWhere, type Check, type DoctorContext, type Finding, type RawTable } from "./types.ts";

/** wrangler's rule for a Worker's name (its isValidName, "the same RegEx as the backend"); "" is no name. */
const WORKER_NAME = /^[a-z0-9_][a-z0-9-_]*$/;

export function isWorkerName(value: unknown): value is string {
  return typeof value === "string" && WORKER_NAME.test(value);
}

/** The nearest name the rule takes: lower case, any other character a '-', no '-' first; "ward" if none is left. */
export function suggestWorkerName(value: string): string {
  const name = value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "-")
    .replace(/^-+/, "");
  return name || "ward";
}

/** What is wrong with the Worker name a table writes or wrangler makes, where, and what to write instead. */
export interface NameProblem {
  /** "top" for the top level, "env" for [env.ENV]. */
  table: "top" | "env";
  message: string;
  fix: string;
}

const RULE = "lower-case letters, digits, '-' and '_', not starting with '-'";

/**
 * The problem with the name `[env.envName]` deploys as (undefined when wrangler reads and deploys it): the top
 * level's written name first (wrangler refuses the whole config for it), then the environment's, then the one
 * wrangler would make from the environment's name, or none at all.
 */
export function workerNameProblem(top: RawTable, env: RawTable | undefined, envName: string): NameProblem | undefined {
  if (top.name !== undefined && top.name !== "" && !isWorkerName(top.name)) {
    const fixed = typeof top.name === "string" ? suggestWorkerName(top.name) : "ward";
    return {
      table: "top",
      message: `name = ${JSON.stringify(top.name)} is not a Worker name wrangler takes (${RULE}): it refuses the whole config, so no environment deploys`,
      fix: `set \`name = "${fixed}"\` at the top level (each environment that sets no name of its own deploys as "${fixed}-ENV")`,
    };
  }
  const base = isWorkerName(top.name) ? top.name : "ward";
  const own = isWorkerName(`${base}-${envName}`) ? `${base}-${envName}` : suggestWorkerName(`${base}-${envName}`);
  const name = env?.name;
  if (name !== undefined && name !== "" && !isWorkerName(name)) {
    const fixed = typeof name === "string" ? suggestWorkerName(name) : own;
    return {
      table: "env",
      message: `name = ${JSON.stringify(name)} is not a Worker name wrangler takes (${RULE}): it refuses the config for ${envName}`,
      fix: `set \`name = "${fixed}"\` under [env.${envName}]`,
    };
  }
  if (name === "" || (name === undefined && (top.name === undefined || top.name === ""))) {
    return {
      table: "env",
      message: `${envName} has no Worker name (${name === "" ? 'name = ""' : "none here, and none at the top level to make one of"}): \`wrangler deploy --env ${envName}\` refuses to deploy a Worker without one`,
      fix: `set \`name = "${own}"\` under [env.${envName}]`,
    };
  }
  if (name === undefined && !isWorkerName(`${top.name}-${envName}`)) {
    return {
      table: "env",
      message: `${envName} sets no name, so wrangler deploys it as "${top.name}-${envName}", a Worker name Cloudflare refuses (${RULE}; wrangler checks the names written, not the one it makes from the environment's)`,
      fix: `set \`name = "${own}"\` under [env.${envName}], or name the environment in lower case`,
    };
  }
  return undefined;
}

export const checkWorkerName: Check = (ctx: DoctorContext) => {
  const problem = workerNameProblem(ctx.top, ctx.env, ctx.envName);
  if (!problem) return [];
  const finding: Finding = {
    severity: "error",
    code: "worker-name-invalid",
    where: problem.table === "top" ? topWhere(ctx) : envWhere(ctx),
    message: problem.message,
    fix: problem.fix,
  };
  return [finding];
};
