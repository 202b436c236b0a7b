// Reads decision-log records from JSON-lines files as Ward writes them (one `{"event":"decision",...}` per
// line), also when an export wraps them (Workers Logs / Logpush put the console line in `message`, or in a
// `logs[].message` list). Anything else is counted as skipped, never fatal: logs mix events and text.
import { readFile } from "node:fs/promises";
import { CliError, EXIT } from "../cli-error.ts";

export type DecisionRecord = Record<string, unknown> & { event: "decision" };

function decisionsIn(value: unknown, out: DecisionRecord[]): boolean {
  if (typeof value === "string") {
    try {
      return decisionsIn(JSON.parse(value), out);
    } catch {
      return false;
    }
  }
  if (value === null || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  if (record.event === "decision") {
    out.push(record as DecisionRecord);
    return true;
  }
  let found = false;
  for (const field of ["message", "Message"]) {
    const message = record[field];
    if (typeof message === "string") found = decisionsIn(message, out) || found;
    else if (Array.isArray(message) && typeof message[0] === "string") found = decisionsIn(message[0], out) || found;
  }
  if (Array.isArray(record.logs)) for (const entry of record.logs) found = decisionsIn(entry, out) || found;
  return found;
}

export function parseDecisionLines(text: string): { records: DecisionRecord[]; skipped: number } {
  const records: DecisionRecord[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!decisionsIn(parsed, records)) skipped++;
  }
  return { records, skipped };
}

/** Files in order; "-" is standard input. An unreadable file is an error that names it. */
export async function readDecisionFiles(files: readonly string[]): Promise<{ records: DecisionRecord[]; skipped: number }> {
  const all: DecisionRecord[] = [];
  let skipped = 0;
  for (const file of files) {
    let text: string;
    try {
      text = file === "-" ? await readStdin() : await readFile(file, "utf8");
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT.failed);
    }
    const parsed = parseDecisionLines(text);
    all.push(...parsed.records);
    skipped += parsed.skipped;
  }
  return { records: all, skipped };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
