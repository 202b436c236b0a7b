// `ward ssf`: connect a security-event transmitter (OpenID SSF 1.0) and see what it delivered. Reads its
// configuration, creates a push stream to this Ward's receiver, asks for a verification event, shows the
// stream's status, and lists the SETs Ward logged (ssf-event lines). Calls go to the transmitter only, over
// HTTPS, never following a redirect; the bearer token for its API comes from the environment, never a flag.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { EVENT_URIS, SSF_EVENT_NAMES, SSF_EVENTS_PREFIX, type SsfEventName } from "../../policy/index.ts";
import {
  adminCall,
  policyState,
  resolveTarget,
  TARGET_USAGE,
  targetOptions,
  type AdminTarget,
} from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { type Io, oneLine } from "../io.ts";
import { readLogTexts, readProcessStdin, type ReadStdin } from "../logs/read.ts";
import { loadPolicyFile } from "../policy-file.ts";
import { eventNamesOf, policySnippet, POLL, PUSH, readConfiguration } from "../ssf/configuration.ts";
import { deliveredLine, deliveredSummary, ssfEventLines } from "../ssf/delivered.ts";
import { call, transmitterUrl, type Fetch } from "../ssf/http.ts";
import { instantFlag } from "../instant.ts";
import { shellWord } from "../shell-word.ts";
import { SCRIPT_HELP, SCRIPT_USAGE, scriptFlag, scriptOption } from "../logs/script-flag.ts";

export const usage = `ward ssf configuration ISSUER|URL|FILE [--name NAME]
ward ssf create ISSUER|URL|FILE --receiver https://WARD_HOST --name NAME [--policy FILE | --events E,...] [--description TEXT]
         [--authorization-env VAR | --poll] [--env ENV | --local] (carried into the printed verify command)
ward ssf verify ISSUER|URL|FILE --stream ID --name NAME ${TARGET_USAGE} [--log FILE --wait 10s] ${SCRIPT_USAGE}
ward ssf status ISSUER|URL|FILE --stream ID [--name NAME ${TARGET_USAGE}]
ward ssf poll NAME ${TARGET_USAGE}
ward ssf delivered LOG... [--transmitter NAME] [--state STATE] [--since ISO] ${SCRIPT_USAGE}
    connect an identity provider's security events (OpenID SSF, CAEP, RISC): read its configuration and the
    policy entry for it, create a push stream to this Ward (/.ward/ssf/events/NAME), request a verification
    event (Ward accepts it only with the state it was told), show the stream's status and when Ward last
    verified it, start polling a transmitter the policy polls, list what it delivered from the logs; the bearer
    token for the transmitter's API is read from $WARD_SSF_TOKEN (--token-env VAR to name another)
    ${SCRIPT_HELP}`;

export interface SsfDeps {
  fetch: Fetch;
  env: Record<string, string | undefined>;
  readStdin: ReadStdin;
  sleep: (ms: number) => Promise<void>;
}

const defaults: SsfDeps = {
  fetch: (input, init) => globalThis.fetch(input, init),
  env: process.env,
  readStdin: readProcessStdin,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
/**
 * A stream id Ward prints in a command to run next and sends back: RFC 3986's unreserved characters (SSF 1.0
 * §7.1.1 says a transmitter SHOULD use them), so no shell, no query, no terminal reads more into it.
 */
const STREAM_ID = /^[A-Za-z0-9._~-]{1,256}$/;

/** --stream, the operator's own: a stream id as STREAM_ID says. */
function streamFlag(values: Values): string {
  const id = values.stream;
  if (!id) throw new CliError(`--stream: the stream's id\n${usage}`);
  if (!STREAM_ID.test(id))
    throw new CliError(`--stream ${JSON.stringify(id)}: a stream id is letters, digits, '.', '_', '~' and '-'`);
  return id;
}

/** What a transmitter sent, quoted for a message: one line, its own characters visible. */
const quoted = (value: unknown): string => JSON.stringify(value) ?? String(value);
/**
 * What a transmitter sent, as text: a string as it is (the caller prints it on one line), anything else quoted.
 * `String()` of an object whose `toString` is no function throws, and a stack trace is no answer.
 */
const shown = (value: unknown): string => (typeof value === "string" ? value : quoted(value));

function token(env: SsfDeps["env"], variable: string): string {
  const value = env[variable];
  if (!value) throw new CliError(`set ${variable} to a bearer token for the transmitter's stream management API`);
  return value;
}

function endpoint(value: string | undefined, name: string): URL {
  if (!value)
    throw new CliError(`the transmitter's configuration has no ${name}: it offers no stream management`, EXIT.failed);
  return transmitterUrl(value, name);
}

function events(list: string | undefined): SsfEventName[] {
  if (list === undefined) return [...SSF_EVENT_NAMES];
  const names = list.split(",").map((e) => e.trim());
  const unknown = names.filter((n) => !(SSF_EVENT_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new CliError(`--events: unknown ${unknown.join(", ")} (known: ${SSF_EVENT_NAMES.join(", ")})`);
  return names as SsfEventName[];
}

function seconds(text: string, flag: string): number {
  const m = /^([0-9]+)(s|m)?$/.exec(text);
  if (!m) throw new CliError(`--${flag} ${text}: expected seconds such as 10s or 2m`);
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}

export async function ssfCommand(args: string[], io: Io, deps: SsfDeps = defaults): Promise<number> {
  const [action, ...rest] = args;
  const { positionals, values: parsed } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      receiver: { type: "string" },
      policy: { type: "string" },
      events: { type: "string" },
      description: { type: "string" },
      "authorization-env": { type: "string" },
      poll: { type: "boolean", default: false },
      "token-env": { type: "string", default: "WARD_SSF_TOKEN" },
      stream: { type: "string" },
      log: { type: "string" },
      wait: { type: "string", default: "10s" },
      transmitter: { type: "string" },
      state: { type: "string" },
      since: { type: "string" },
      ...scriptOption,
      ...targetOptions,
    },
  });
  const values: Values = { ...parsed, local: parsed.local ? "1" : undefined, poll: parsed.poll ? "1" : undefined };
  // Judged before anything is asked of a transmitter or of Ward (verify reads the log last).
  scriptFlag(values.script);
  switch (action) {
    case "configuration":
      return configuration(positionals, values.name ?? "idp", io, deps);
    case "create":
      return create(positionals, values, io, deps);
    case "verify":
      return verify(positionals, values, io, deps);
    case "status":
      return status(positionals, values, io, deps);
    case "delivered":
      return delivered(positionals, values, io, deps);
    case "poll":
      return startPoll(positionals, values, io);
    default:
      throw new CliError(`${action === undefined ? "name a subcommand" : `unknown subcommand ${action}`}\n${usage}`);
  }
}

function source(positionals: string[]): string {
  if (positionals.length !== 1)
    throw new CliError(`name the transmitter: its issuer URL, configuration URL or a file\n${usage}`);
  return positionals[0]!;
}

async function configuration(positionals: string[], name: string, io: Io, deps: SsfDeps): Promise<number> {
  if (!NAME.test(name)) throw new CliError(`--name ${name}: lower-case letters, digits and '-'`);
  const { metadata, from, warnings } = await readConfiguration(source(positionals), deps.fetch);
  // The transmitter's words, each on the line it belongs to: a line break in them is printed, not obeyed.
  io.out(oneLine(`transmitter ${metadata.issuer} (${from})`));
  if (metadata.spec_version) io.out(oneLine(`  spec version   ${metadata.spec_version}`));
  io.out(oneLine(`  key set        ${metadata.jwks_uri ?? "(none)"}`));
  io.out(oneLine(`  delivery       ${(metadata.delivery_methods_supported ?? ["(not said)"]).join(", ")}`));
  io.out(oneLine(`  streams        ${metadata.configuration_endpoint ?? "(no management API)"}`));
  if (metadata.verification_endpoint) io.out(oneLine(`  verification   ${metadata.verification_endpoint}`));
  for (const w of warnings) io.err(oneLine(`warning: ${w}`));
  io.out("");
  io.out(
    `# policy entry (then: npm run ward -- ssf create ${shellWord(metadata.issuer)} --receiver https://WARD_HOST --name ${name})`,
  );
  io.out(policySnippet(name, metadata, SSF_EVENT_NAMES));
  return EXIT.ok;
}

/** The options as text; --local (a flag) as "1". */
type Values = Record<string, string | undefined>;

/**
 * This Ward's admin API, when the command names one (--env or --local), once it has said it serves that
 * environment (as every admin command checks: a WARD_URL left pointing at staging must change nothing there).
 */
function wardTarget(values: Values): Promise<AdminTarget> | undefined {
  if (!values.env && !values.local) return undefined;
  const checked = (async () => {
    const target = await resolveTarget({
      env: values.env,
      local: values.local === "1",
      url: values.url,
      port: values.port,
      as: values.as,
      groups: values.groups,
    });
    if (values.env) await policyState(target, values.env);
    return target;
  })();
  // Awaited later, after checks of the command's own that may throw first: not an unhandled rejection then.
  checked.catch(() => {});
  return checked;
}

function transmitterName(values: Values): string {
  const name = values.name;
  if (!name || !NAME.test(name)) throw new CliError(`--name: the transmitter's name in the policy\n${usage}`);
  return name;
}

function refusedBy(target: AdminTarget, reply: { status: number; body: unknown; text: string }): CliError {
  const error = (reply.body as { error?: unknown } | undefined)?.error ?? reply.text.slice(0, 300);
  return new CliError(oneLine(`${target.describe} refused (${reply.status}): ${shown(error)}`), EXIT.failed);
}

async function create(positionals: string[], values: Values, io: Io, deps: SsfDeps): Promise<number> {
  const name = values.name;
  if (!name || !NAME.test(name))
    throw new CliError(`--name: the transmitter's name in the policy (lower-case letters, digits, '-')\n${usage}`);
  if (!values.receiver) throw new CliError(`--receiver: this Ward's address, https://HOST\n${usage}`);
  const receiver = transmitterUrl(values.receiver, "--receiver", EXIT.usage);
  if (values.policy && values.events) throw new CliError("--policy or --events, not both");
  let requested = events(values.events);
  let audience: string | undefined;
  if (values.policy) {
    const policy = await loadPolicyFile(values.policy, io.err);
    const signals = policy.document.sharedSignals;
    const entry = signals && Object.hasOwn(signals.transmitters, name) ? signals.transmitters[name] : undefined;
    if (!signals || !entry) throw new CliError(`${values.policy}: no sharedSignals.transmitters.${name}`, EXIT.failed);
    requested = entry.events;
    audience = signals.audience;
  }
  const bearer = token(deps.env, values["token-env"]!);
  const { metadata } = await readConfiguration(source(positionals), deps.fetch);
  const polled = values.poll === "1";
  if (polled && values["authorization-env"])
    throw new CliError("--authorization-env is for push delivery; a polled stream is read with the poll secret");
  const method = polled ? POLL : PUSH;
  if (metadata.delivery_methods_supported && !metadata.delivery_methods_supported.includes(method))
    throw new CliError(
      `${metadata.issuer} does not offer ${polled ? "poll" : "push"} delivery (${method})${polled ? "" : metadata.delivery_methods_supported.includes(POLL) ? ": use --poll" : ""}`,
      EXIT.failed,
    );
  const endpointUrl = `${receiver.origin}${SSF_EVENTS_PREFIX}/${name}`;
  // Polled: the transmitter names the endpoint Ward asks at (RFC 8936; SSF 1.0 §8.1.1).
  const delivery: Record<string, string> = polled ? { method } : { method, endpoint_url: endpointUrl };
  if (values["authorization-env"]) delivery.authorization_header = token(deps.env, values["authorization-env"]);
  const reply = await call(deps.fetch, endpoint(metadata.configuration_endpoint, "configuration_endpoint"), {
    method: "POST",
    token: bearer,
    body: {
      delivery,
      events_requested: requested.map((e) => EVENT_URIS[e]),
      description: values.description ?? `Ward (${name})`,
    },
  });
  if (reply.status !== 201 && reply.status !== 200)
    throw new CliError(oneLine(`creating the stream: ${reply.status} ${reply.text.slice(0, 300)}`), EXIT.failed);
  const stream = reply.body as Record<string, unknown> | undefined;
  if (!stream || typeof stream.stream_id !== "string")
    throw new CliError("creating the stream: no stream_id in the answer", EXIT.failed);
  // §8.1.1.1: the receiver checks the issuer, and the audience it will see in every SET.
  if (stream.iss !== metadata.issuer)
    throw new CliError(
      `the stream names issuer ${quoted(stream.iss)}, not ${metadata.issuer}: do not use it`,
      EXIT.failed,
    );
  // Printed in the command to run next: an id a shell (or this CLI's --stream) would read as more is refused.
  if (!STREAM_ID.test(stream.stream_id))
    throw new CliError(
      `the transmitter named the stream ${quoted(stream.stream_id.slice(0, 300))}: not an id of letters, digits, '.', '_', '~' and '-' (SSF 1.0 §7.1.1); delete that stream at the transmitter`,
      EXIT.failed,
    );
  const aud = typeof stream.aud === "string" ? [stream.aud] : Array.isArray(stream.aud) ? stream.aud.map(shown) : [];
  io.out(`stream ${stream.stream_id} created at ${metadata.issuer}`);
  if (polled) {
    const given = (stream.delivery as { endpoint_url?: unknown } | undefined)?.endpoint_url;
    if (typeof given !== "string")
      throw new CliError("creating the stream: no delivery.endpoint_url to poll in the answer", EXIT.failed);
    transmitterUrl(given, "delivery.endpoint_url");
    io.out(oneLine(`  polled at      ${given}   (the policy entry's poll.endpoint)`));
  } else io.out(`  pushes to      ${endpointUrl}`);
  io.out(oneLine(`  audience       ${aud.join(", ") || "(none)"}`));
  const delivered = eventNamesOf(Array.isArray(stream.events_delivered) ? stream.events_delivered.map(shown) : []);
  io.out(`  events         ${delivered.join(", ") || "(none)"}`);
  let ok = true;
  const missing = requested.filter((e) => !delivered.includes(e));
  if (missing.length > 0) io.err(`warning: the transmitter will not deliver ${missing.join(", ")}`);
  if (audience !== undefined && !aud.includes(audience)) {
    io.err(
      oneLine(
        `the stream's audience is not the policy's (sharedSignals.audience ${audience}): Ward would refuse its SETs`,
      ),
    );
    ok = false;
  }
  // Pasted as printed: quoted, and `--stream=` so that an id such as `-h` or `~root` is read as the id.
  const where = values.local ? "--local" : values.env ? `--env ${shellWord(values.env)}` : "--env ENV";
  io.out(
    oneLine(
      `next: npm run ward -- ssf verify ${shellWord(metadata.issuer)} --stream=${shellWord(stream.stream_id)} --name ${name} ${where}`,
    ),
  );
  return ok ? EXIT.ok : EXIT.failed;
}

async function verify(positionals: string[], values: Values, io: Io, deps: SsfDeps): Promise<number> {
  const streamId = streamFlag(values);
  const name = transmitterName(values);
  // Read before anything is asked of Ward or the transmitter: a usage error must not leave a verification asked.
  const waitMs = seconds(values.wait!, "wait") * 1000;
  const targeted = wardTarget(values);
  if (!targeted)
    throw new CliError(`name this Ward (--env ENV or --local): it accepts only the state it was told\n${usage}`);
  const bearer = token(deps.env, values["token-env"]!);
  const { metadata } = await readConfiguration(source(positionals), deps.fetch);
  const state = randomBytes(18).toString("base64url");
  // Ward first: a verification event with a state it was not told is refused.
  const target = await targeted;
  const told = await adminCall(target, "POST", "/ssf/verification", { transmitter: name, state });
  if (told.status !== 200) throw refusedBy(target, told);
  const reply = await call(deps.fetch, endpoint(metadata.verification_endpoint, "verification_endpoint"), {
    method: "POST",
    token: bearer,
    body: { stream_id: streamId, state },
  });
  if (reply.status !== 204 && reply.status !== 200)
    throw new CliError(oneLine(`requesting verification: ${reply.status} ${reply.text.slice(0, 300)}`), EXIT.failed);
  io.out(`verification requested on stream ${streamId}, state ${state}`);
  if (!values.log) {
    io.out(`when Ward has logged it: npm run ward -- ssf delivered LOG --state ${state}`);
    return EXIT.ok;
  }
  // The transmitter sends it when it will (§8.1.4.2): look in the log until it shows or the wait is over.
  const until = Date.now() + waitMs;
  for (;;) {
    const found = ssfEventLines(await readLogTexts([values.log], deps.readStdin), values.script).filter(
      (l) => l.state === state,
    );
    if (found.length > 0) {
      const last = found[found.length - 1]!;
      io.out(oneLine(deliveredLine(last)));
      if (last.outcome === "stream") {
        io.out("verified: Ward received and accepted the transmitter's verification event");
        return EXIT.ok;
      }
      io.err(
        oneLine(
          `Ward received the verification event but did not accept it (${last.err ?? last.problem ?? last.outcome})`,
        ),
      );
      return EXIT.failed;
    }
    if (Date.now() >= until) break;
    await deps.sleep(1000);
  }
  io.err(`no verification event with state ${state} in ${values.log} yet`);
  return EXIT.failed;
}

async function status(positionals: string[], values: Values, io: Io, deps: SsfDeps): Promise<number> {
  const streamId = streamFlag(values);
  const targeted = wardTarget(values);
  const name = targeted ? transmitterName(values) : undefined;
  const bearer = token(deps.env, values["token-env"]!);
  const { metadata } = await readConfiguration(source(positionals), deps.fetch);
  const query = (u: URL) => {
    u.searchParams.set("stream_id", streamId);
    return u;
  };
  const state = await call(deps.fetch, query(endpoint(metadata.status_endpoint, "status_endpoint")), { token: bearer });
  if (state.status !== 200)
    throw new CliError(oneLine(`stream status: ${state.status} ${state.text.slice(0, 300)}`), EXIT.failed);
  const s = state.body as { status?: unknown; reason?: unknown } | undefined;
  io.out(
    oneLine(
      `stream ${streamId} at ${metadata.issuer}: ${shown(s?.status ?? "(unknown)")}${s?.reason ? ` (${shown(s.reason)})` : ""}`,
    ),
  );
  if (metadata.configuration_endpoint) {
    const config = await call(
      deps.fetch,
      query(transmitterUrl(metadata.configuration_endpoint, "configuration_endpoint")),
      { token: bearer },
    );
    const c =
      config.status === 200
        ? (config.body as
            | { delivery?: { endpoint_url?: unknown }; aud?: unknown; events_delivered?: unknown }
            | undefined)
        : undefined;
    if (c) {
      io.out(oneLine(`  pushes to      ${shown(c.delivery?.endpoint_url ?? "(not said)")}`));
      io.out(oneLine(`  audience       ${[c.aud].flat().map(shown).join(", ")}`));
      io.out(
        `  events         ${eventNamesOf(Array.isArray(c.events_delivered) ? c.events_delivered.map(shown) : []).join(", ") || "(none)"}`,
      );
    }
  }
  if (targeted) {
    const target = await targeted;
    const reply = await adminCall(target, "GET", `/ssf/status?transmitter=${encodeURIComponent(name!)}`);
    if (reply.status !== 200) throw refusedBy(target, reply);
    const r = reply.body as ReceiverStatus;
    const at = (ms: number | null) => (ms === null ? "never" : new Date(ms).toISOString());
    io.out(`  verified       ${at(r.verifiedAt)} (by ${target.describe})`);
    if (r.verificationRequestedAt !== null) io.out(`  verification requested ${at(r.verificationRequestedAt)}`);
    if (r.poll)
      io.out(
        oneLine(
          `  polled         last ok ${at(r.poll.lastOkAt)}, next ${at(r.poll.nextAt)}${r.poll.failures > 0 ? `, ${r.poll.failures} failures (${r.poll.lastError})` : ""}`,
        ),
      );
  }
  return s?.status === "enabled" ? EXIT.ok : EXIT.failed;
}

/** What the receiver keeps of a transmitter (worker/ssf/replay.ts ReceiverStatus). */
interface ReceiverStatus {
  verifiedAt: number | null;
  verificationRequestedAt: number | null;
  poll: { lastOkAt: number | null; failures: number; lastError: string | null; nextAt: number | null } | null;
}

async function startPoll(positionals: string[], values: Values, io: Io): Promise<number> {
  if (positionals.length !== 1 || !NAME.test(positionals[0]!))
    throw new CliError(`name the transmitter as the policy does\n${usage}`);
  const targeted = wardTarget(values);
  if (!targeted) throw new CliError(`name this Ward (--env ENV or --local)\n${usage}`);
  const target = await targeted;
  const reply = await adminCall(target, "POST", `/ssf/poll?transmitter=${encodeURIComponent(positionals[0]!)}`);
  if (reply.status !== 200) throw refusedBy(target, reply);
  io.out(`polling ${positionals[0]} now (${target.describe}); ward ssf status shows how it goes`);
  return EXIT.ok;
}

async function delivered(positionals: string[], values: Values, io: Io, deps: SsfDeps): Promise<number> {
  if (positionals.length === 0) throw new CliError(`name at least one log (JSON lines, - for stdin)\n${usage}`);
  let since: number | undefined;
  if (values.since !== undefined) {
    since = instantFlag("since", values.since);
  }
  const lines = ssfEventLines(await readLogTexts(positionals, deps.readStdin), values.script).filter(
    (l) =>
      (values.transmitter === undefined || l.transmitter === values.transmitter) &&
      (values.state === undefined || l.state === values.state) &&
      (since === undefined || Date.parse(l.time) >= since),
  );
  // Logged values (a transmitter's name from the URL, a reason) shown on one line, controls escaped.
  for (const l of lines) io.out(oneLine(deliveredLine(l)));
  for (const s of deliveredSummary(lines)) io.out(oneLine(s));
  return lines.length > 0 ? EXIT.ok : EXIT.failed;
}
