import { parseArgs } from "node:util";
import { CliError, EXIT } from "../cli-error.ts";
import type { Io } from "../io.ts";
import { computeMetrics } from "../metrics/aggregate.ts";
import { metricsText } from "../metrics/format.ts";
import { readDecisionLogs, readProcessStdin, type ReadStdin } from "../logs/read.ts";

export const usage = `ward metrics LOG... [--since ISO] [--until ISO] [--baseline LOG] [--top N] [--now ISO] [--format text|json]
    lateral-movement figures from decision logs (- is stdin): denied attempts, exceptions and their age,
    credential lifetimes, call paths never seen before (baseline: --baseline, else the first half of the window)`;

function instant(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // A date-time without an offset would be read in this machine's time zone, a date alone in UTC: say which.
  if (value.includes("T") && !/(Z|[+-]\d{2}:?\d{2})$/i.test(value))
    throw new CliError(`--${flag} ${value}: give the offset (Z for UTC, or +01:00)`);
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new CliError(`--${flag} ${value}: expected an ISO 8601 instant`);
  return t;
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
    },
  });
  if (positionals.length === 0)
    throw new CliError(`name at least one decision log (JSON lines, - for stdin)\n${usage}`);
  if (values.format !== "text" && values.format !== "json")
    throw new CliError(`--format ${values.format}: expected text or json`);
  if (!/^[1-9][0-9]*$/.test(values.top)) throw new CliError(`--top ${values.top}: expected a positive whole number`);
  const top = Number(values.top);
  const since = instant("since", values.since);
  const until = instant("until", values.until);
  const now = instant("now", values.now);
  if (since !== undefined && until !== undefined && since >= until)
    throw new CliError(`--since ${values.since} is not before --until ${values.until}`);
  const stdinUses = positionals.filter((f) => f === "-").length + (values.baseline === "-" ? 1 : 0);
  if (stdinUses > 1) throw new CliError("standard input (-) can be read once only");

  const { records, skipped } = await readDecisionLogs(positionals, readStdin);
  const baseline =
    values.baseline !== undefined ? (await readDecisionLogs([values.baseline], readStdin)).records : undefined;
  const metrics = computeMetrics(records, {
    top,
    linesSkipped: skipped,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(now !== undefined ? { now } : {}),
    ...(baseline ? { baseline } : {}),
  });
  if (values.format === "json") io.out(JSON.stringify(metrics, null, 2));
  else for (const line of metricsText(metrics)) io.out(line);
  return EXIT.ok;
}
