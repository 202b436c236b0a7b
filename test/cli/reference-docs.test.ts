// The reference pages no other test runs: docs/policy.md, docs/operations.md, docs/architecture.md. What they
// print as a command's output must be what the command prints; what they say the code does (endpoints and
// their bodies, log fields, bounds, what this version cannot do) must be what the code does. Like
// test/dev/deployment-doc.test.ts, each `$ npm run ward -- ...` example with its shown output is run.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { decisionLineSchema } from "../../policy/decision-log.ts";
import { wardLines } from "../support/ward-cli.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const policyPage = read("docs/policy.md");
const operationsPage = read("docs/operations.md");
const architecturePage = read("docs/architecture.md");

interface Example {
  line: number;
  args: string[];
  shown: string[];
  exit?: number;
}

/** Shell-like words: spaces split, double and single quotes group. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Every `$ npm run ward -- COMMAND ...` in a code block (continued with `\`), with the lines shown after it. */
function examples(page: string, command: string): Example[] {
  const lines = page.split("\n");
  const out: Example[] = [];
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith("```")) {
      inBlock = !inBlock;
      continue;
    }
    if (!inBlock || !lines[i]!.startsWith(`$ npm run ward -- ${command} `)) continue;
    const start = i;
    let text = lines[i]!.slice(2);
    while (text.endsWith("\\")) text = `${text.slice(0, -1)} ${lines[++i]!.trim()}`;
    const shown: string[] = [];
    let exit: number | undefined;
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith("```") && !lines[i + 1]!.startsWith("$ ")) {
      const next = lines[++i]!;
      const status = /^\[exit (\d+)\]$/.exec(next.trim());
      if (status) exit = Number(status[1]);
      else if (next.trim() !== "") shown.push(next.trimEnd());
    }
    out.push({ line: start + 1, args: words(text).slice(4), shown, ...(exit !== undefined ? { exit } : {}) });
  }
  return out;
}

/** The policy version as explain prints it (its first 12 hex digits) made a placeholder. */
const withoutVersion = (line: string) => line.replace(/\bpolicy [0-9a-f]{12}\b/, "policy <version>");

const explainExamples = examples(policyPage, "explain");

describe("docs/policy.md: the ward explain examples", () => {
  it("has the examples this test runs", () => {
    expect(explainExamples.length).toBeGreaterThanOrEqual(10);
  });

  it.each(explainExamples.map((e) => [`docs/policy.md:${e.line}`, e] as const))(
    "%s prints every line shown (the policy version aside), with the exit status shown",
    async (_where, example) => {
      const run = await wardLines(...example.args);
      const printed = run.output.split("\n").map((l) => withoutVersion(l.trimEnd()));
      const missing = example.shown.map(withoutVersion).filter((line) => !printed.includes(line));
      expect(missing, `printed:\n${run.output}`).toEqual([]);
      if (example.exit !== undefined) expect(run.status).toBe(example.exit);
    },
  );

  it.each(explainExamples.map((e) => [`docs/policy.md:${e.line}`, e] as const))(
    "%s shows the version of the example policy as it is committed",
    async (_where, example) => {
      const run = await wardLines(...example.args);
      const printed = /\bpolicy ([0-9a-f]{12})\b/.exec(run.output)?.[1];
      const shown = example.shown.map((l) => /\bpolicy ([0-9a-f]{12})\b/.exec(l)?.[1]).find(Boolean);
      expect(shown).toBe(printed);
    },
  );
});

describe("docs/policy.md: the Decision ward explain --json prints", () => {
  const section = policyPage.slice(policyPage.indexOf("## The decision"), policyPage.indexOf("## Validation issues"));

  it("shows exactly what its example command prints", async () => {
    const command = /`npm run ward -- (explain [^`]+ --json)`/.exec(section)![1]!.replace(/\s+/g, " ");
    const block = section.slice(section.indexOf("```json\n") + 8);
    const shown: unknown = JSON.parse(block.slice(0, block.indexOf("```")));
    const run = await wardLines(...words(command));
    expect(run.status).toBe(0);
    expect(shown).toEqual(JSON.parse(run.out.join("\n")));
  });

  it("has a row for every field of a Decision (policy/decision.ts), and explain's headers", () => {
    const source = read("policy/decision.ts");
    const body = source.slice(source.indexOf("export interface Decision {"));
    const fields = [...body.slice(0, body.indexOf("\n}")).matchAll(/^ {2}([a-zA-Z]+)\??:/gm)].map((m) => m[1]!);
    expect(fields.length).toBeGreaterThanOrEqual(15);
    const rows = new Set([...section.matchAll(/^\| `([a-zA-Z]+)` \|/gm)].map((m) => m[1]!));
    expect([...fields, "headers"].filter((field) => !rows.has(field))).toEqual([]);
  });

  it("names every member of a rate-limit obligation (policy/decision.ts)", () => {
    const source = read("policy/decision.ts");
    const body = source.slice(source.indexOf("export interface RateLimitObligation {"));
    const members = [...body.slice(0, body.indexOf("\n}")).matchAll(/^ {2}([a-zA-Z]+)\??:/gm)].map((m) => m[1]!);
    expect(members.length).toBeGreaterThanOrEqual(5);
    const row = section.split("\n").find((l) => l.startsWith("| `obligations` |"))!;
    const documented = /rateLimits: \[\{ ([a-zA-Z, ]+) \}\]/.exec(row)![1]!.split(", ");
    expect(documented.sort()).toEqual([...members].sort());
  });
});

describe("docs/policy.md: limits of this version", () => {
  const limits = policyPage.slice(policyPage.indexOf("## Limits of this version"));

  it("does not say security events are pushed only, while the policy polls them (sharedSignals...poll)", async () => {
    // The schema takes a poll entry and `ward ssf poll` starts a poller (worker/ssf/poll.ts): RFC 8936 is there.
    const help = await wardLines("ssf", "--help");
    expect(help.output).toContain("ward ssf poll NAME");
    expect(read("policy/ssf/schema.ts")).toContain("export const SsfPoll");
    expect(limits).not.toMatch(/no RFC 8936 polling/);
  });

  it("does not say ward explain ignores an upgrade, while it takes --websocket", async () => {
    const help = await wardLines("explain", "--help");
    expect(help.output).toContain("--websocket");
    expect(limits).not.toMatch(/`ward explain` does not take an upgrade into\s+account/);
  });
});

describe("docs/policy.md: the ward explain flags", () => {
  it("lists every flag explain's usage names", async () => {
    const usage = (await wardLines("explain", "--help")).output;
    const flags = new Set([...usage.matchAll(/(?<![\w-])(--[a-z][a-z-]+)/g)].map((m) => m[1]!));
    const section = policyPage.slice(policyPage.indexOf("### `ward explain`"), policyPage.indexOf("### Editor"));
    const table = new Set([...section.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]!));
    for (const m of section.matchAll(/^\| `-H`, `(--[a-z-]+)/gm)) table.add(m[1]!);
    expect([...flags].filter((f) => f !== "--help" && !table.has(f))).toEqual([]);
  });
});

describe("docs/operations.md: the ward why and ward metrics examples", () => {
  const logExamples = [...examples(operationsPage, "why"), ...examples(operationsPage, "metrics")];

  it("has the examples this test runs", () => {
    expect(logExamples.map((e) => e.args[0])).toEqual(["why", "metrics"]);
  });

  it.each(logExamples.map((e) => [`docs/operations.md:${e.line}`, e] as const))(
    "%s prints exactly the lines shown, on a fixture log and a policy in the repository",
    async (_where, example) => {
      const run = await wardLines(...example.args);
      expect(run.out.map((l) => l.trimEnd()).filter((l) => l !== "")).toEqual(example.shown);
      expect(run.err).toEqual([]);
      expect(run.status).toBe(example.exit ?? 0);
    },
  );

  it("the metrics --baseline example shows the newCallPaths member it prints", async () => {
    const at = operationsPage.indexOf("(`ward metrics test/fixtures/logs/decisions.jsonl --baseline");
    const command = /`ward (metrics [^`]+)`/.exec(operationsPage.slice(at))![1]!;
    const block = operationsPage.slice(operationsPage.indexOf("```json\n", at) + 8);
    const shown: unknown = JSON.parse(block.slice(0, block.indexOf("```")));
    const run = await wardLines(...words(command));
    expect((JSON.parse(run.out.join("\n")) as { newCallPaths: unknown }).newCallPaths).toEqual(shown);
  });

  it("the why example's decision is the one its policy makes: ward explain decides the request alike", async () => {
    const example = logExamples.find((e) => e.args[0] === "why")!;
    const [, requestId, log, , policy] = example.args as [string, string, string, string, string];
    const logged = read(log)
      .split("\n")
      .filter(Boolean)
      .map((l) => decisionLineSchema.parse(JSON.parse(l)))
      .find((l) => l.requestId === requestId)!;
    const email = logged.principal!.replace(/^user:/, "");
    const url = `https://${logged.host}${logged.path}`;
    const run = await wardLines("explain", policy, "--as", email, logged.method!, url, "--json");
    const decided = JSON.parse(run.out.join("\n")) as Record<string, unknown>;
    for (const field of [
      "principal",
      "service",
      "route",
      "effect",
      "mode",
      "status",
      "reasons",
      "trace",
      "policyVersion",
    ] as const)
      expect(logged[field], field).toEqual(decided[field]);
  });
});

describe("docs/operations.md: the ward reach, ward diff and ward doctor examples", () => {
  const shownExamples = [
    ...examples(operationsPage, "reach"),
    ...examples(operationsPage, "diff"),
    ...examples(operationsPage, "doctor"),
  ].filter((e) => e.shown.length > 0);

  it("has the examples this test runs", () => {
    expect(shownExamples.map((e) => e.args[0])).toEqual(["reach", "diff", "diff", "doctor", "doctor", "doctor"]);
  });

  it.each(shownExamples.map((e) => [`docs/operations.md:${e.line}`, e] as const))(
    "%s prints the lines shown (all of them, where the page elides none), with the exit status shown",
    async (_where, example) => {
      const run = await wardLines(...example.args);
      const printed = run.output.split("\n").map((l) => l.trimEnd());
      if (example.shown.includes("...")) {
        const missing = example.shown.filter((line) => line !== "..." && !printed.includes(line));
        expect(missing, `printed:\n${run.output}`).toEqual([]);
      } else {
        expect(
          printed.filter((l) => l !== ""),
          `printed:\n${run.output}`,
        ).toEqual(example.shown);
      }
      expect(run.status).toBe(example.exit ?? 0);
    },
  );
});

describe("docs/operations.md: the admin API", () => {
  it("names every `match` a revocation takes (worker/admin/denylist.ts RevokeBody)", () => {
    const source = read("worker/admin/denylist.ts");
    const kinds = /match: z\.enum\(\[([^\]]+)\]\)/
      .exec(source)![1]!
      .match(/"[a-z]+"/g)!
      .map((k) => k.slice(1, -1));
    expect(kinds.length).toBeGreaterThanOrEqual(6);
    const row = operationsPage.split("\n").find((l) => l.startsWith("| `POST /.ward/admin/revocations`"))!;
    const documented = /match: ([a-z|]+)/.exec(row)![1]!.split("|");
    expect(documented.sort()).toEqual([...kinds].sort());
  });

  it("lists every admin endpoint the Worker serves", () => {
    const served: string[] = [];
    for (const file of ["api.ts", "grants.ts", "denylist.ts", "ssf.ts"]) {
      for (const m of read(`worker/admin/${file}`).matchAll(/admin\.(get|put|post|delete)\("([^"]+)"/g))
        served.push(`${m[1]!.toUpperCase()} /.ward/admin${m[2]!.replace(/\{.*\}$/, "")}`);
    }
    expect(served.length).toBeGreaterThanOrEqual(15);
    // The tables write parameters as <name> and leave queries after `?`.
    const documented = new Set(
      [...operationsPage.matchAll(/^\| `(GET|PUT|POST|DELETE) (\/\.ward\/admin\/[^`?]*)/gm)].map(
        (m) => `${m[1]} ${m[2]!.replace(/<([a-z0-9]+)>/g, ":$1")}`,
      ),
    );
    const normalise = (e: string) => e.replace(/:sha256/, ":version");
    expect(served.filter((e) => !documented.has(e) && ![...documented].map(normalise).includes(e))).toEqual([]);
  });
});

describe("docs/operations.md: the decision log", () => {
  it("has a row for every field a decision line carries (policy/decision-log.ts)", () => {
    const section = operationsPage.slice(
      operationsPage.indexOf("## The decision log"),
      operationsPage.indexOf("## Why was this request"),
    );
    const rows = new Set(
      [...section.matchAll(/^\| ((?:`[a-zA-Z]+`(?:, )?)+) \|/gm)].flatMap((m) =>
        [...m[1]!.matchAll(/`([a-zA-Z]+)`/g)].map((n) => n[1]!),
      ),
    );
    // `credentials` is read for other Workers' lines, never written by this one (its comment says so).
    const written = Object.keys(decisionLineSchema.shape).filter((field) => field !== "credentials");
    expect(written.filter((field) => !rows.has(field))).toEqual([]);
  });
});

describe("docs/operations.md: NOTIFY_WEBHOOK", () => {
  it("is a secret, as deployment.md and ward init have it, never a var", () => {
    // deployment.md: "A chat webhook URL is a credential: keep it a secret (ward init declares it one), not a var".
    expect(read("docs/deployment.md")).toMatch(/keep it a secret/);
    expect(operationsPage).not.toMatch(/`NOTIFY_WEBHOOK` set \(a var per environment\)/);
  });
});

describe("docs/architecture.md: bounds it quotes", () => {
  it("remembers as many verified Access tokens as worker/identity/access-jwt.ts keeps", () => {
    const limit = Number(
      /const VERIFIED_CACHE_LIMIT = ([\d_]+);/.exec(read("worker/identity/access-jwt.ts"))![1]!.replace(/_/g, ""),
    );
    const quoted = /a verified\s+token is remembered \(keyed by the token itself, at most ([\d,]+)/.exec(
      architecturePage,
    )![1]!;
    expect(Number(quoted.replace(/,/g, ""))).toBe(limit);
  });

  it("names the function that answers denials where it is", () => {
    const named = /\(one place, `([a-zA-Z]+)` in (worker\/[a-z-]+\.ts)\)/.exec(architecturePage)!;
    expect(read(named[2]!)).toMatch(new RegExp(`function ${named[1]}\\b`));
  });
});
