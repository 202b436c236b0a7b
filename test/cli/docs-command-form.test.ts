// The docs' command lines run on a fresh clone: the CLI is `npm run ward -- COMMAND` there (README), so a code
// line of README.md or docs/*.md that starts with a bare `ward COMMAND` must be a usage synopsis, word for
// word as `--help` prints it, and every `npm run ward -- X` names a command the CLI has.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../../scripts/ward.ts";
import { wardLines } from "../support/ward-cli.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).flatMap((f) => (f.endsWith(".md") ? [`docs/${f}`] : [])),
];

/** Every line of every command's usage, trimmed. */
async function usageLines(): Promise<Set<string>> {
  const lines = (await wardLines("help")).out.flatMap((text) => text.split("\n"));
  return new Set(lines.map((l) => l.trim()));
}

/** The lines inside the page's ``` blocks, with their line numbers. */
function codeLines(page: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let inBlock = false;
  page.split("\n").forEach((text, i) => {
    if (text.startsWith("```")) inBlock = !inBlock;
    else if (inBlock) out.push({ line: i + 1, text });
  });
  return out;
}

const BARE = new RegExp(`^\\s*(\\$ )?ward (${COMMAND_NAMES.join("|")}|help)( |$)`);

describe("the docs' command lines", () => {
  it("use npm run ward -- COMMAND; a bare ward COMMAND line is a usage synopsis as --help prints it", async () => {
    const usage = await usageLines();
    const bare: string[] = [];
    const unknown: string[] = [];
    let npmForm = 0;
    for (const page of PAGES) {
      for (const { line, text } of codeLines(readFileSync(join(ROOT, page), "utf8"))) {
        if (BARE.test(text) && !usage.has(text.trim())) bare.push(`${page}:${line}: ${text}`);
        for (const m of text.matchAll(/npm run (?:--silent )?ward -- ([a-z]+)/g)) {
          npmForm++;
          if (!COMMAND_NAMES.includes(m[1]!) && m[1] !== "help") unknown.push(`${page}:${line}: ${text}`);
        }
      }
    }
    expect(bare).toEqual([]);
    expect(unknown).toEqual([]);
    expect(npmForm).toBeGreaterThan(50);
  });
});

describe("the docs' flags", () => {
  it("name every flag a command's usage lists, somewhere in README.md or docs/*.md", async () => {
    const docs = PAGES.map((page) => readFileSync(join(ROOT, page), "utf8")).join("\n");
    const missing: string[] = [];
    let checked = 0;
    for (const command of COMMAND_NAMES) {
      const usage = (await wardLines(command, "--help")).output;
      for (const flag of new Set([...usage.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map((m) => m[1]!))) {
        checked++;
        if (!new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(docs)) missing.push(`ward ${command} ${flag}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});
