// Every log event Ward writes is named in docs/operations.md's log reference ("Log events: what each line means"),
// with what it means and what to do. The names are read from the source, not listed here: a log call whose event
// this test cannot read is itself a failure, so a new line cannot slip past it. Two forms are read:
// - a call to a logging function (`logEvent`, `log`, a parameter of type EventLog: any callee whose name has
//   "log" in it) with a level ("info", "warn", "error") and then the event, a string or a choice of strings;
// - a line's shape (an object, an interface, a zod object) with a `level` and a literal `event` (the decision
//   line, the ssf-event line, the websocket-closed line), written whole by its own writer.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const LEVELS = new Set(["info", "warn", "error"]);
const REFERENCE = "## Log events: what each line means";

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** The strings an expression can only be: a literal, `x as const`, `(...)`, a choice `c ? "a" : "b"`, z.literal("a"). */
function literals(node: ts.Node): string[] | undefined {
  if (ts.isStringLiteralLike(node)) return [node.text];
  if (ts.isAsExpression(node) || ts.isParenthesizedExpression(node) || ts.isSatisfiesExpression(node))
    return literals(node.expression);
  if (ts.isConditionalExpression(node)) {
    const [a, b] = [literals(node.whenTrue), literals(node.whenFalse)];
    return a && b ? [...a, ...b] : undefined;
  }
  if (ts.isLiteralTypeNode(node)) return literals(node.literal);
  if (ts.isCallExpression(node) && node.expression.getText().endsWith(".literal") && node.arguments.length === 1)
    return literals(node.arguments[0]!);
  return undefined;
}

function calleeName(call: ts.CallExpression): string {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return "";
}

/** A member's name and value (or type): of an object literal, an interface, a type literal. */
function members(node: ts.Node): Map<string, ts.Node> | undefined {
  const out = new Map<string, ts.Node>();
  if (ts.isObjectLiteralExpression(node)) {
    for (const p of node.properties)
      if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) out.set(p.name.text, p.initializer);
    return out;
  }
  if (ts.isInterfaceDeclaration(node) || ts.isTypeLiteralNode(node)) {
    for (const m of node.members)
      if (ts.isPropertySignature(m) && ts.isIdentifier(m.name) && m.type) out.set(m.name.text, m.type);
    return out;
  }
  return undefined;
}

interface Collected {
  events: Map<string, string>;
  /** Log calls whose event is neither a literal nor the `event` a forwarding function was given. */
  unread: string[];
}

function collect(): Collected {
  const events = new Map<string, string>();
  const unread: string[] = [];
  for (const file of [...sourceFiles("worker"), ...sourceFiles("policy")]) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const where = (node: ts.Node) =>
      `${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && /log/i.test(calleeName(node)) && node.arguments.length >= 2) {
        const [level, event] = node.arguments as unknown as [ts.Expression, ts.Expression];
        // A level: one written out, or the `level` a forwarding function was given.
        const levelIs = ts.isStringLiteralLike(level) ? LEVELS.has(level.text) : level.getText() === "level";
        if (levelIs) {
          const names = literals(event);
          if (names) for (const n of names) events.set(n, where(node));
          // A function that hands on the event it was given (log/events.ts's callers, the ssf-event writer).
          else if (!(ts.isIdentifier(event) && event.text === "event")) unread.push(where(node));
        }
      }
      const shape = members(node);
      if (shape?.has("level") && shape.has("event")) {
        const names = literals(shape.get("event")!);
        if (names) for (const n of names) events.set(n, where(node));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { events, unread };
}

/** The event names in the first cell of the reference's table rows: | `name` | ... or | `one`, `other` | ... */
function documented(): Set<string> {
  const page = readFileSync(join(ROOT, "docs/operations.md"), "utf8");
  const start = page.indexOf(`\n${REFERENCE}\n`);
  expect(start, `docs/operations.md has no section "${REFERENCE}"`).toBeGreaterThan(-1);
  const end = page.indexOf("\n## ", start + 1);
  const section = page.slice(start, end === -1 ? undefined : end);
  const cells = [...section.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]!);
  return new Set(cells.flatMap((cell) => [...cell.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!)));
}

describe("the log reference in docs/operations.md", () => {
  const { events, unread } = collect();

  it("reads every log call's event from the source", () => {
    expect(unread).toEqual([]);
    // The collector itself: the lines of each form it reads are found (a broken reader would find none).
    for (const known of ["decision", "ssf-event", "websocket-closed", "policy-loaded", "break-glass-granted"])
      expect(events.has(known), known).toBe(true);
    expect(events.size).toBeGreaterThan(40);
  });

  it("names every event Ward logs, with what it means and what to do", () => {
    const names = documented();
    const missing = [...events].filter(([name]) => !names.has(name)).map(([name, at]) => `${name} (${at})`);
    expect(missing).toEqual([]);
  });

  it("names no event Ward does not log", () => {
    expect([...documented()].filter((name) => !events.has(name))).toEqual([]);
  });
});
