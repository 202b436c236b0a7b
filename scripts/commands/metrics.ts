import { parseArgs } from "node:util";
import { CliError, EXIT } from "../cli-error.ts";
import { type Io, oneLine } from "../io.ts";
import { computeMetrics } from "../metrics/aggregate.ts";
import { metricsText } from "../metrics/format.ts";
import { parseDecisionLogs } from "../logs/parse.ts";
import { readDecisionLogs, readLogTexts, readProcessStdin, type ReadStdin } from "../logs/read.ts";
import { ssfMetrics } from "../metrics/ssf.ts";
import { ssfEventLines } from "../ssf/delivered.ts";
import { instantFlag } from "../instant.ts";
import { SCRIPT_HELP, SCRIPT_USAGE, scriptFlag, scriptOption } from "../logs/script-flag.ts";

export const usage = `ward metrics LOG... [--since ISO] [--until ISO] [--baseline LOG] [--top N] [--now ISO] [--format text|json]
    ${SCRIPT_USAGE}
    lateral-movement figures from decision logs (- is stdin): denied attempts, exceptions and their age,
    credential lifetimes, call paths never seen before (baseline: --baseline, else the first half of the window);
    where the logs carry security events (ssf-event lines): events per type, and the time from each event's
    iat to the first request it refused
    ${SCRIPT_HELP}`;

function instant(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : instantFlag(flag, value);
}

/** `readStdin` is for tests; the CLI reads the process's standard input. */
export async function metricsCommand(args: string[], io: Io, readStdin: ReadStdin = readProcessStdin): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      since: { type: "string" },
      until: { type: "string" },
      now: { type: "string" },
      baseline: { type: "string" },
      top: { type: "string", default: "10" },
      format: { type: "string", default: "text" },
      ...scriptOption,
    },
  });
  if (positionals.length === 0)
    throw new CliError(`name at least one decision log (JSON lines, - for stdin)\n${usage}`);
  if (values.format !== "text" && values.format !== "json")
    throw new CliError(`--format ${values.format}: expected text or json`);
  if (!/^[1-9][0-9]*$/.test(values.top)) throw new CliError(`--top ${values.top}: expected a positive whole number`);
  const top = Number(values.top);
  const script = scriptFlag(values.script);
  const since = instant("since", values.since);
  const until = instant("until", values.until);
  const now = instant("now", values.now);
  if (since !== undefined && until !== undefined && since >= until)
    throw new CliError(`--since ${values.since} is not before --until ${values.until}`);
  const stdinUses = positionals.filter((f) => f === "-").length + (values.baseline === "-" ? 1 : 0);
  if (stdinUses > 1) throw new CliError("standard input (-) can be read once only");

  // Read once (standard input can be), parsed for decisions and for security events.
  const texts = await readLogTexts(positionals, readStdin);
  const { records, skipped, duplicates } = parseDecisionLogs(texts, script);
  const baseline =
    values.baseline !== undefined ? await readDecisionLogs([values.baseline], readStdin, script) : undefined;
  const metrics = computeMetrics(records, {
    top,
    linesSkipped: skipped,
    duplicatesDropped: duplicates,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(now !== undefined ? { now } : {}),
    ...(baseline ? { baseline: baseline.records, baselineDuplicatesDropped: baseline.duplicates } : {}),
  });
  const inWindow = (time: string | undefined) => {
    const t = time === undefined ? Number.NaN : Date.parse(time);
    if (since === undefined && until === undefined) return true;
    return Number.isFinite(t) && (since === undefined || t >= since) && (until === undefined || t < until);
  };
  const events = ssfEventLines(texts, script).filter((l) => inWindow(l.time));
  // Only where the logs carry security events: the figures of a Ward without them stay as they were.
  if (events.length > 0)
    metrics.ssf = ssfMetrics(
      events,
      records.filter((r) => inWindow(r.time)),
      top,
    );
  if (values.format === "json") io.out(JSON.stringify(metrics, null, 2));
  else for (const line of metricsText(metrics)) io.out(oneLine(line));
  return EXIT.ok;
}
