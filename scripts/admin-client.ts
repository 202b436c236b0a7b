// How `ward push|rollback|history` reach a gateway's admin API: a deployed environment by its URL with an
// Access service token from the environment, or, only when asked with --local, the `ward dev` gateway on
// 127.0.0.1 with a token from its local sign-in. Never one when the other was meant.
import { request as httpRequest } from "node:http";
import { CliError, EXIT } from "./cli-error.ts";

import { ADMIN_PREFIX as ADMIN_PATH } from "../policy/index.ts";

export { ADMIN_PATH };

export interface AdminTarget {
  base: URL;
  headers: Record<string, string>;
  /** Said in messages: where the command is acting. */
  describe: string;
}

export interface TargetOptions {
  env?: string | undefined;
  local: boolean;
  url?: string | undefined;
  port?: string | undefined;
  as?: string | undefined;
  groups?: string | undefined;
}

export const TARGET_USAGE = `(--env ENV [--url URL] | --local [--port N] [--as EMAIL] [--groups G,H])`;

export const targetOptions = {
  env: { type: "string" },
  local: { type: "boolean", default: false },
  url: { type: "string" },
  port: { type: "string" },
  as: { type: "string" },
  groups: { type: "string" },
} as const;

/** A token from the `ward dev` sign-in (served on the same port under the host access.localhost). */
function localToken(port: number, email: string, groups: string): Promise<string> {
  const path = `/cdn-cgi/access/dev-token?email=${encodeURIComponent(email)}&groups=${encodeURIComponent(groups)}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { host: `access.localhost:${port}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(body.trim())
          : reject(
              new CliError(`the local sign-in on port ${port} answered ${res.statusCode}: ${body.trim()}`, EXIT.failed),
            ),
      );
    });
    req.on("error", (error) =>
      reject(
        new CliError(
          `no local gateway on 127.0.0.1:${port} (${(error as NodeJS.ErrnoException).code}): start it with npm start`,
          EXIT.failed,
        ),
      ),
    );
    req.end();
  });
}

export async function resolveTarget(
  options: TargetOptions,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<AdminTarget> {
  if (options.local) {
    if (options.url) throw new CliError("--local and --url: choose one");
    const port = Number(options.port ?? "8787");
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new CliError(`--port ${options.port}: expected 1-65535`);
    const email = options.as ?? processEnv.WARD_LOCAL_ADMIN ?? "admin@example.com";
    const token = await localToken(port, email, options.groups ?? "ward-admins");
    return {
      base: new URL(`http://127.0.0.1:${port}`),
      headers: { "cf-access-jwt-assertion": token },
      describe: `the local gateway on 127.0.0.1:${port} as ${email}`,
    };
  }
  if (!options.env)
    throw new CliError("name the environment with --env ENV (or --local for the gateway of `npm start`)");
  if (options.as || options.groups || options.port) throw new CliError("--as, --groups and --port are for --local");
  const url = options.url ?? processEnv.WARD_URL;
  if (!url)
    throw new CliError(
      `--env ${options.env}: set WARD_URL (or --url) to that environment's gateway, e.g. https://ward.internal.example.com`,
    );
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new CliError(`${url}: expected the gateway's https URL`);
  }
  if (base.protocol !== "https:") throw new CliError(`${url}: a deployed gateway is reached over https only`);
  const id = processEnv.CF_ACCESS_CLIENT_ID;
  const secret = processEnv.CF_ACCESS_CLIENT_SECRET;
  // A setting missing, as WARD_URL above: a usage error (2), nothing sent. Exit 1 says the gateway refused or failed.
  if (!id || !secret) {
    throw new CliError(
      "set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET: an Access service token that the policy's admin.principals name",
    );
  }
  // Access checks the service token at the edge and hands the gateway its JWT.
  return {
    base,
    headers: { "cf-access-client-id": id, "cf-access-client-secret": secret },
    describe: `${options.env} at ${base.origin}`,
  };
}

export interface AdminReply {
  status: number;
  body: unknown;
  text: string;
  /** The answer's headers (absent where a test stands in for the gateway without them). */
  headers?: Headers;
}

/**
 * What a refusal says about where the credentials failed: at Access's edge (a redirect to its sign-in), at the
 * gateway's check of the Access token (401: no identity it accepts), or at the policy (403: not an admin).
 */
function refusal(status: number): string | undefined {
  if (status >= 300 && status < 400)
    return (
      `redirected the request to a sign-in (${status}): Cloudflare Access did not take these credentials. Check ` +
      "CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET, and that this host's Access application has a Service Auth " +
      "policy that includes the operators' service token (docs/deployment.md, section 5)"
    );
  if (status === 401)
    return (
      "found no identity it accepts in the request (401): the token Access issued for this host did not verify. " +
      "Is this host's Access application's AUD tag in the policy's identity.access.audiences (and, where services " +
      "name their audiences, claimed by no service)? The gateway's log names the problem (access-token-rejected)"
    );
  if (status === 403)
    return (
      "refused these credentials (403): the caller it identified is not in the policy's admin.principals " +
      "(or is revoked or quarantined: ward revoke list)"
    );
  return undefined;
}

export async function adminCall(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<AdminReply> {
  let response: Response;
  try {
    response = await fetch(new URL(`${ADMIN_PATH}${path}`, target.base), {
      method,
      headers: { ...target.headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      redirect: "manual",
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    throw new CliError(`cannot reach ${target.describe}: ${cause}`, EXIT.failed);
  }
  const text = await response.text();
  const refused = refusal(response.status);
  if (refused) throw new CliError(`${target.describe} ${refused}`, EXIT.failed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // An admitted call that failed says what is known of it (worker/admin/store-fault.ts); the generic answers do not.
  const failed = parsed as { error?: unknown; changed?: unknown } | undefined;
  if (response.status >= 500 && typeof failed?.error === "string" && typeof failed.changed === "string")
    throw new CliError(`${target.describe} answered ${response.status}: ${failed.error}`, EXIT.failed);
  if (response.status === 503) {
    throw new CliError(
      `${target.describe} answered 503: a push, promotion or rollback in the last two minutes has not reached this location yet, ` +
        `or it cannot read its denylist or its policy's history right now (try again in a minute or two; the gateway's log says which). ` +
        `Only an environment that has never had a policy needs the bootstrap steps in docs/operations.md: ` +
        `they write KV directly, past the history and the check that nobody else moved the policy`,
      EXIT.failed,
    );
  }
  // The gateway's own 404 (its admin endpoints name what is missing): the admin API is not on this host.
  if (response.status === 404 && (parsed as { error?: unknown } | undefined)?.error === "not found") {
    throw new CliError(
      `${target.describe} has no admin API on this host: it answers only on a host no service of the active policy names ` +
        "(so that no application's page can use it); set WARD_URL (or --url) to such a host, e.g. https://ward.internal.example.com",
      EXIT.failed,
    );
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

export interface PolicyState {
  environment: string | null;
  active: string | null;
  shadow: string | null;
  history: {
    seq: number;
    at: string;
    action: string;
    version: string;
    previous: string | null;
    who: string;
    message: string;
  }[];
}

/** The admin state, after checking that the gateway serves the environment the operator named. */
export async function policyState(target: AdminTarget, env: string | undefined): Promise<PolicyState> {
  const reply = await adminCall(target, "GET", "/policy");
  if (reply.status !== 200)
    throw new CliError(
      `${target.describe}: unexpected answer ${reply.status}: ${reply.text.slice(0, 200)}`,
      EXIT.failed,
    );
  const state = reply.body as PolicyState;
  if (env && state.environment !== env) {
    // A gateway without WARD_ENV serves no environment in particular (and takes a policy for any): say so.
    const serves =
      typeof state.environment === "string" && state.environment.trim() !== ""
        ? `serves environment "${state.environment}"`
        : "names no environment (its WARD_ENV is not set; ward doctor says how)";
    throw new CliError(`${target.describe} ${serves}, not "${env}": nothing done`, EXIT.failed);
  }
  return state;
}

export const short = (version: string | null | undefined): string => (version ? version.slice(0, 12) : "(none)");

/**
 * A push, rollback or promotion the admin API did not make, as far as its answer says: refused (4xx), or not known
 * (an answer of 5xx that Ward's own failures would not give, such as an error page of Cloudflare's edge: the
 * change may have been made before the answer was lost), so the operator looks at the history before trying again.
 */
export function policyChangeFailed(target: AdminTarget, reply: AdminReply, action: string): CliError {
  const said = (reply.body as { error?: unknown } | undefined)?.error;
  const text = typeof said === "string" ? said : reply.text.slice(0, 300);
  return reply.status >= 500
    ? new CliError(
        `${target.describe} answered ${reply.status} to the ${action}: ${text}; whether it was made is not known: look at ward history before trying again`,
        EXIT.failed,
      )
    : new CliError(`${target.describe} refused the ${action} (${reply.status}): ${text}`, EXIT.failed);
}

/**
 * A refusal's text saying "nothing changed", said once: the gateway's 409s for what is already ended, and for a write
 * whose admitting version was replaced on its way (`...: nothing changed; try again`), say it already.
 */
const saysNothingChanged = (text: string) => (/\bnothing changed\b/.test(text) ? text : `${text}; nothing changed`);

/**
 * A change the admin API did not confirm. A refusal (4xx) changed nothing; a failure (5xx) may have been stored
 * before its answer was lost, so the operator is told to look before trying again.
 */
export function unconfirmedChange(target: AdminTarget, reply: AdminReply): CliError {
  const said = (reply.body as { error?: unknown } | undefined)?.error;
  const text = typeof said === "string" ? said : reply.text.slice(0, 300);
  return reply.status >= 500
    ? new CliError(
        `${target.describe} answered ${reply.status}: ${text}; whether the change was made is not known: list it before trying again`,
        EXIT.failed,
      )
    : new CliError(`${target.describe} refused (${reply.status}): ${saysNothingChanged(text)}`, EXIT.failed);
}
