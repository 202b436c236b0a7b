// What ward prints reaches a terminal: a control character (ESC rewrites lines), a bidirectional control or a
// line separator from text someone else wrote (a path a client sent, in a log line written before the gateway
// percent-encoded such paths; an admin's grant reason) is printed as \uXXXX (scripts/io.ts), by every command
// (scripts/ward.ts's main passes each line through it).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isCleanText } from "../../policy/index.ts";
import { isVisibleText } from "../../policy/invisible-text.ts";
import { describePrincipal } from "../../scripts/grants/principal.ts";
import { terminalText } from "../../scripts/io.ts";
import { wardLines } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-terminal-text-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ID = "0f0f0f0f-1111-2222-3333-444444444444";
/** A line as an older gateway wrote it for `GET /v1/<U+202E>exe.txt<CSI>2J<ESC>[1A/../healthz`: the raw path. */
const RAW_PATH = "/v1/\u202eexe.txt\u009b2J\u001b[1A/../healthz";
const LINE = JSON.stringify({
  level: "info",
  event: "decision",
  time: "2026-12-01T10:00:00.000Z",
  requestId: ID,
  method: "GET",
  host: "payments.localhost",
  path: RAW_PATH,
  effect: "deny",
  reasons: ["bad-request"],
  problem: "path-dot-segment",
  status: 400,
  mode: "enforce",
  principal: "anonymous",
  policyVersion: "ab".repeat(32),
  service: null,
  route: null,
  rule: null,
  trace: [],
  latencyMs: 1,
});

describe("terminalText", () => {
  it("writes controls, separators, bidirectional controls and lone surrogates as \\uXXXX", () => {
    expect(terminalText("a\u001b[2Jb\rc\u0085d\u2028e\u202ef\u2066g\ud800h\udc00i")).toBe(
      "a\\u001b[2Jb\\u000dc\\u0085d\\u2028e\\u202ef\\u2066g\\ud800h\\udc00i",
    );
  });

  it("keeps tabs, letters of every script and whole surrogate pairs", () => {
    const text = "name\tvalue é ß 中文 עברית 😀";
    expect(terminalText(text)).toBe(text);
  });

  it("keeps JSON output JSON, with the same strings", () => {
    const json = JSON.stringify({ path: RAW_PATH });
    expect(JSON.parse(terminalText(json))).toEqual({ path: RAW_PATH });
  });

  it("writes what shows as nothing as \\uXXXX: a grant to group:s<U+200B>re does not list as group:sre", () => {
    expect(terminalText("group:s\u200bre \u00adx \ufeffy z\u2060 t\u{e0001}")).toBe(
      "group:s\\u200bre \\u00adx \\ufeffy z\\u2060 t\\udb40\\udc01",
    );
    const json = JSON.stringify({ principal: { group: "s\u200bre\u{e0041}" } });
    expect(JSON.parse(terminalText(json))).toEqual({ principal: { group: "s\u200bre\u{e0041}" } });
  });

  it("keeps the joiners and selectors that spell emoji, keycaps, words, ideographs and flags", () => {
    const text =
      "👩\u200d💻 ❤\ufe0f 1\ufe0f\u20e3 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u845b\u{e0100} " +
      "\u1820\u180b \u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}";
    expect(terminalText(text)).toBe(text);
  });

  it("writes them where they only hide: a grant stored before for a look-alike group lists as what it is (review)", () => {
    // Each is refused in a new grant's principal (isVisibleText): printed, it must show.
    for (const group of [
      "contr\u200dactors",
      "s\u200cre",
      "sre\ufe0f",
      "sre\ufe0e",
      "sre1\ufe0f",
      "s\u{e0100}re",
      "sre\u180b",
      "sre\u{e0067}\u{e007f}",
      "\u{1f3f4}\u{e0067}sre",
    ]) {
      expect(isVisibleText(group), JSON.stringify(group)).toBe(false);
      const listed = terminalText(describePrincipal({ group }));
      expect(isVisibleText(listed), JSON.stringify(listed)).toBe(true);
      // Quoted (column: not all visible ASCII), each unseen letter written \uXXXX inside the quotes.
      expect(listed.startsWith('group:"')).toBe(true);
      expect(JSON.parse(listed.slice("group:".length))).toBe(group);
    }
    // White space around a stored group name shows too.
    expect(describePrincipal({ group: "sre " })).toBe('group:"sre "');
  });
});

describe("what ward prints from a log line", () => {
  const log = join(dir, "decisions.jsonl");
  writeFileSync(log, `${LINE}\n`);

  it.each([
    ["why", ID, log],
    ["metrics", log],
  ])("ward %s prints the raw path escaped", async (...args) => {
    const run = await wardLines(...args);
    expect(run.status, run.output).toBe(0);
    const text = run.out.join(" ");
    expect(text).toContain("/v1/\\u202eexe.txt\\u009b2J\\u001b[1A/../healthz");
    expect(isCleanText(text), text).toBe(true);
  });
});
