// The objects one log line may hold Ward's own lines in: the line itself, or the places the documented
// exports put a console line. Only those places: a Tail Worker's trace item and a Workers Logs record also
// carry the request (its URL, its headers), and a client that sends a header whose value is a JSON decision
// line must not have it read as one of Ward's (from a review: every field of a wrapper used to be searched).
//
// - Logpush `workers_trace_events`: `Logs[].Message[]` (texts);
// - a Tail Worker's trace item and other shippers: `logs[].message[]`, `message` / `Message` (a text or a list);
// - Workers Logs exports: the parsed line under `source`, its text in `$metadata.message`.
//
// With a script name (the readers' `--script NAME`), only lines a wrapper says that Worker wrote are read:
// an export of the whole account holds other Workers' lines, and one that logs what a client sent as a
// single argument could otherwise add a line the readers cannot tell from Ward's. A bare line names no
// Worker, so none is read then.

/** A console line's text, or a value that may be one (a shipper may have parsed it already). */
function consoleLine(value: unknown, out: object[]): void {
  if (typeof value === "string") {
    // Only text that looks like a JSON object is worth parsing: messages are mostly prose.
    if (!value.trimStart().startsWith("{")) return;
    try {
      consoleLine(JSON.parse(value), out);
    } catch {
      // text that only looks like JSON
    }
    return;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) out.push(value);
}

/**
 * `message` / `Message`: one text, or the list of a console call's arguments. Ward writes each line as the one
 * argument of its call: a call of several (`console.log("order received", body)` in another Worker whose logs
 * share the export) holds none of Ward's lines, whatever a client put in them.
 */
function messages(value: unknown, out: object[]): void {
  if (Array.isArray(value)) {
    if (value.length === 1) consoleLine(value[0], out);
  } else consoleLine(value, out);
}

function field(record: object, name: string): unknown {
  return Object.hasOwn(record, name) ? (record as Record<string, unknown>)[name] : undefined;
}

/**
 * The Worker a wrapper says wrote its lines: Logpush's `ScriptName`, a Tail Worker's or `wrangler tail`'s
 * `scriptName`, a Workers Logs record's `$workers.scriptName` (else its `$metadata.service`). Cloudflare
 * writes these fields, not the Worker, so a line cannot name itself.
 */
function scriptNamed(record: object): unknown {
  const workers = field(record, "$workers");
  const metadata = field(record, "$metadata");
  return (
    field(record, "ScriptName") ??
    field(record, "scriptName") ??
    (workers !== null && typeof workers === "object" ? field(workers, "scriptName") : undefined) ??
    (metadata !== null && typeof metadata === "object" ? field(metadata, "service") : undefined)
  );
}

/** One record of an export (or Ward's own line): itself, then what it wraps. */
function record(value: unknown, out: object[], script: string | undefined): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  if (script === undefined) out.push(value);
  else if (scriptNamed(value) !== script) return;
  // A line that names its event is a line, not a wrapper (a Tail Worker's `event` is the request: an object).
  if (typeof field(value, "event") === "string") return;
  consoleLine(field(value, "source"), out);
  const metadata = field(value, "$metadata");
  if (metadata !== null && typeof metadata === "object") consoleLine(field(metadata, "message"), out);
  messages(field(value, "message"), out);
  messages(field(value, "Message"), out);
  for (const name of ["logs", "Logs"]) {
    const logs = field(value, name);
    if (!Array.isArray(logs)) continue;
    for (const entry of logs) {
      if (entry === null || typeof entry !== "object") continue;
      messages(field(entry, "message"), out);
      messages(field(entry, "Message"), out);
    }
  }
}

/**
 * The objects a line of log text may be one of Ward's lines as: the line's object (or each of a JSON array's)
 * and what it wraps where exports put console lines. The caller picks those that are the event it reads.
 * With `script`, only what a wrapper naming that Worker holds.
 */
export function candidateLines(line: string, script?: string): object[] {
  const out: object[] = [];
  const text = line.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return out;
  }
  if (Array.isArray(parsed)) for (const item of parsed) record(item, out, script);
  else record(parsed, out, script);
  return out;
}
