// Secrets are not in the config and doctor cannot list them offline. It checks that the config names the
// ones the Worker needs (`secrets.required`, which wrangler uses to warn when they are missing) and, given
// what `wrangler secret list` printed (--secrets NAME,NAME, or its output with --secret-list), that they are set.
import { requiredSecrets } from "./config.ts";
import { envWhere, type Check, type DoctorContext, type Finding, type RawTable } from "./types.ts";
import { workerNames } from "./worker-env.ts";

/** Secrets worker/env.ts needs: without the signing keys the gateway answers 503 to every allowed request. */
export const SIGNING_KEYS = "ASSERTION_SIGNING_KEYS";
export const WORKER_SECRETS: readonly string[] = [SIGNING_KEYS];

/** Every secret the environment needs: the Worker's own, and whatever the config lists as required. */
export function neededSecrets(ctx: DoctorContext): string[] {
  return [
    ...new Set([
      ...WORKER_SECRETS,
      ...(requiredSecrets(ctx.top) ?? []),
      ...(requiredSecrets(ctx.env) ?? []),
      ...policySecrets(ctx),
    ]),
  ];
}

/**
 * Every name that is a secret in this environment, needed or not: the Worker's (worker/env.ts: the signing keys
 * and NOTIFY_WEBHOOK), and those secrets.required lists at the top level or in the environment. None of them
 * may be a var: wrangler counts a var of the name as the secret.
 */
export function secretNames(top: RawTable, env: RawTable | undefined): string[] {
  return [
    ...new Set([
      ...workerNames("secret"),
      ...(requiredSecrets(top) ?? []),
      ...(env ? (requiredSecrets(env) ?? []) : []),
    ]),
  ];
}

/** Secrets the policy names: a transmitter's push authorization and its poll authorization (worker/ssf/). */
function policySecrets(ctx: DoctorContext): string[] {
  const transmitters = Object.values(ctx.policy?.document.sharedSignals?.transmitters ?? {});
  return transmitters.flatMap((t) => [t.authorization, t.poll?.authorization].filter((s): s is string => !!s));
}

function quoted(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

export const checkSecrets: Check = (ctx: DoctorContext) => {
  const findings: Finding[] = [];
  const needed = neededSecrets(ctx);
  const declared = requiredSecrets(ctx.env) ?? [];
  const undeclared = needed.filter((name) => !declared.includes(name));
  const declare = `add \`[env.${ctx.envName}.secrets] required = [${quoted([...declared, ...undeclared])}]\``;
  // Declared, wrangler refuses to deploy without it: the gateway can never run keyless, answering 503 to all.
  if (undeclared.includes(SIGNING_KEYS)) {
    findings.push({
      severity: "error",
      code: "signing-key-not-declared",
      where: envWhere(ctx, "secrets"),
      message: `secrets.required does not name ${SIGNING_KEYS} (it is not inherited): ${ctx.envName} could be deployed without the key that signs the assertion, and would answer 503 to every allowed request`,
      fix: `${declare} and set it: npm run --silent ward -- keygen | npx wrangler secret put ${SIGNING_KEYS} --env ${ctx.envName}`,
    });
  }
  const others = undeclared.filter((name) => name !== SIGNING_KEYS);
  if (others.length > 0) {
    findings.push({
      severity: "warning",
      code: "secret-not-declared",
      where: envWhere(ctx, "secrets"),
      message: `secrets.required does not name ${others.join(", ")} (it is not inherited): nothing in the config records that ${ctx.envName} needs ${others.length === 1 ? "it" : "them"}`,
      fix: `${declare} and set each: ${others.map((n) => `wrangler secret put ${n} --env ${ctx.envName}`).join("; ")}`,
    });
  }
  if (ctx.secrets) {
    for (const name of needed.filter((n) => !ctx.secrets!.includes(n))) {
      findings.push({
        severity: "error",
        code: "secret-missing",
        where: envWhere(ctx),
        message: `secret ${name} is not among the secrets given (${ctx.secrets.length ? ctx.secrets.join(", ") : "none"})${name === "ASSERTION_SIGNING_KEYS" ? ": the gateway would answer 503 to every allowed request" : ""}`,
        fix: `wrangler secret put ${name} --env ${ctx.envName}`,
      });
    }
  }
  return findings;
};

/** The reminder printed when --secrets was not given: what doctor could not check. */
export function secretsReminder(ctx: DoctorContext): string | undefined {
  if (ctx.secrets) return undefined;
  return `note: secrets cannot be seen offline; to check that ${neededSecrets(ctx).join(", ")} ${neededSecrets(ctx).length === 1 ? "is" : "are"} set, pipe \`npx wrangler secret list --env ${ctx.envName}\` into doctor with --secret-list - (or pass the names with --secrets NAME,NAME)`;
}
