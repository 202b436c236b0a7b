// A var named like a secret. Beside secrets.required's entry for it, wrangler (4.x) refuses the config: one name,
// two bindings. Without one, the var deploys and is what the Worker reads: `NOTIFY_WEBHOOK = ""` announces
// break-glass to nobody, and `ASSERTION_SIGNING_KEYS` as a var is the private key in the repository. doctor
// passed both. Vars are not inherited by [env.NAME]: the environment's own are the ones that count.
import { WEBHOOK } from "./breakglass.ts";
import { isTable, requiredSecrets } from "./config.ts";
import { neededSecrets, secretNames, SIGNING_KEYS } from "./secrets.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

function consequence(name: string, value: unknown): string {
  if (typeof value === "string" && value.trim() === "")
    return `here blank, which the Worker reads as unset${name === WEBHOOK ? ": break-glass and quarantines would be announced to nobody" : ""}`;
  if (name === SIGNING_KEYS)
    return "the private key that signs every identity assertion, in plain text for anyone who can read the config";
  return "a credential in plain text for anyone who can read the config";
}

export const checkSecretVars: Check = (ctx: DoctorContext) => {
  const vars = isTable(ctx.env.vars) ? ctx.env.vars : {};
  const secrets = new Set([...secretNames(ctx.top, ctx.env), ...neededSecrets(ctx)]);
  const declared = new Set(requiredSecrets(ctx.env) ?? []);
  const findings: Finding[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (!secrets.has(name)) continue;
    const put =
      name === SIGNING_KEYS
        ? `npm run --silent ward -- keygen | npx wrangler secret put ${name} --env ${ctx.envName} (a new key: the one in the config is known)`
        : `npx wrangler secret put ${name} --env ${ctx.envName}`;
    const effect = declared.has(name)
      ? "secrets.required names it too, so wrangler refuses the config (one name, two bindings)"
      : "the var is what the Worker reads in its place";
    findings.push({
      severity: "error",
      code: "secret-as-var",
      where: envWhere(ctx, "vars"),
      message: `${name} is a secret, and a var of ${ctx.envName}: ${effect}; ${consequence(name, value)}`,
      fix: `remove ${name} from [env.${ctx.envName}.vars] and set the secret: ${put}`,
    });
  }
  return findings;
};
