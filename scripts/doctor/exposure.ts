// workers_dev and preview_urls: either one publishes the Worker on an address that is not the mTLS host
// and that no Access application guards. Both default to on, so both must say false, in so many words.
import { envWhere, topWhere, type Check, type DoctorContext, type Finding, type FindingCode } from "./types.ts";

const KEYS: readonly {
  key: "workers_dev" | "preview_urls";
  enabled: FindingCode;
  inherited: FindingCode;
  what: string;
}[] = [
  {
    key: "workers_dev",
    enabled: "workers-dev-enabled",
    inherited: "workers-dev-inherited",
    what: "the *.workers.dev address",
  },
  {
    key: "preview_urls",
    enabled: "preview-urls-enabled",
    inherited: "preview-urls-inherited",
    what: "preview URLs of every version",
  },
];

function shown(value: unknown): string {
  return value === undefined ? "not set (wrangler's default is on)" : `${JSON.stringify(value)}`;
}

export const checkExposure: Check = (ctx: DoctorContext) => {
  const findings: Finding[] = [];
  for (const { key, enabled, inherited, what } of KEYS) {
    const top = ctx.top[key];
    const env = ctx.env[key];
    if (top !== false) {
      findings.push({
        severity: "error",
        code: enabled,
        where: topWhere(ctx),
        message: `${key} is ${shown(top)}: the top-level Worker is served on ${what}, bypassing the mTLS host and Access, and every environment that does not set ${key} inherits it`,
        fix: `set \`${key} = false\` at the top level`,
      });
    }
    if (env === false) continue;
    if (env === undefined && top === false) {
      findings.push({
        severity: "warning",
        code: inherited,
        where: envWhere(ctx),
        message: `${key} is not set here: ${ctx.envName} inherits false from the top level (the local Worker's settings), so a change made there for local runs would expose ${ctx.envName}`,
        fix: `set \`${key} = false\` under [env.${ctx.envName}]`,
      });
      continue;
    }
    findings.push({
      severity: "error",
      code: enabled,
      where: envWhere(ctx),
      message: `${key} is ${env === undefined ? `not set and the top level does not say false` : shown(env)}: ${ctx.envName} is served on ${what}, bypassing the mTLS host and Access`,
      fix: `set \`${key} = false\` under [env.${ctx.envName}]`,
    });
  }
  return findings;
};
