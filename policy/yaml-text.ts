// Policy text in YAML -> the value it means, read so that a reviewer and Ward cannot read it differently, and so
// that no text within push's bounds costs more than the isolate has (the yaml parser's nodes, an alias cycle).
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  type Node,
  parseDocument,
  type Pair,
} from "yaml";
import type { Issue } from "./issues.ts";
import { pathText } from "./validate/proto-key.ts";

export type ParseResult = { ok: true; value: unknown } | { ok: false; issue: Issue };

export const syntaxIssue = (message: string): { ok: false; issue: Issue } => ({
  ok: false,
  issue: { severity: "error", code: "invalid-syntax", path: "(document)", message },
});

/**
 * What the yaml parser holds per piece of text, counted by its lexer without building anything: a scalar, each
 * `:` `?`, anchor, tag and document 1; a flow item's `,` and a block sequence's `-` 2; an alias and a flow
 * collection's opening 3. The weights follow the parser's heap per unit, so MAX_YAML_UNITS bounds its memory
 * whatever the shape: a whole load of eight shapes at the bound, from `[0,0,...]` to `- a: 0` lines and nested
 * flow collections, takes 40-48 MiB (test/cli/push-memory-shapes.test.ts).
 */
const WEIGHT: Readonly<Record<string, number>> = {
  "\x1f": 1, // the lexer's mark before each scalar
  ",": 2, // a flow collection's item: its scalar costs more than a block one
  ":": 1,
  "?": 1,
  "&": 1,
  "!": 1,
  "\x02": 1, // a document's start
  "-": 2,
  "*": 3,
  "[": 3,
  "{": 3,
};

/**
 * At most this many units of YAML (yamlUnits) where the Worker parses it: a load within 48 MiB of heap at worst;
 * the generated policy at MAX_POLICY_BYTES has ~92,000.
 * Hand-written policies run 7-13 bytes a unit, so a few of them near the byte bound are over this: `ward push`
 * sends those, as it sends any YAML over the byte bound, in their JSON form.
 */
export const MAX_YAML_UNITS = 100_000;

/** The units of `text` (WEIGHT), counting stopped past `stopAbove`. */
export function yamlUnits(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let units = 0;
  for (const token of new Lexer().lex(text)) {
    units += WEIGHT[token[0]!] ?? 0;
    if (units > stopAbove) break;
  }
  return units;
}

/** How one mapping's key becomes a property name, as the parser names it: null "", any other scalar its String. */
const propertyName = (value: unknown): string => (value === null || value === undefined ? "" : String(value));

/**
 * A key that becomes a known property name, or undefined: an alias (`*k`), a collection (`? [a, b]`) or a
 * scalar that resolves to an object (a YAML 1.1 timestamp) may become any name, another key's included.
 */
function keyName(key: unknown): string | undefined {
  if (key === null || key === undefined) return "";
  if (!isScalar(key)) return undefined;
  const value = key.value;
  return value !== null && (typeof value === "object" || typeof value === "function") ? undefined : propertyName(value);
}

/** One mapping or sequence being walked: its entries and where the walk is among them. */
interface Frame {
  node: Node;
  items: readonly unknown[];
  next: number;
  /** Its items are key-value pairs (a mapping; a YAML 1.1 `!!pairs` or `!!omap` sequence), walked key, value. */
  pairs: boolean;
  /** A mapping's names so far, where they are checked. */
  names: Set<string> | undefined;
  /** Inside a key: the parser makes a key a string, so nothing in it is a cycle, and it counts one value. */
  inKey: boolean;
  /** This node is a key itself. */
  isKey: boolean;
  /** The values it becomes, its aliases' included. */
  size: number;
}

/**
 * At most this many values in a YAML document as written, its aliases expanded (text as written): an alias
 * copies what it names into every place it stands (zod's output, the checks, the compiled policy), and the
 * parser's limit of 100 aliases does not bound what they copy. 99 aliases of a 3,000-matcher list, 64 KB of
 * YAML, took 11 s and 60 MiB to load. The generated policy at 768 KiB has ~70,000 values.
 */
export const MAX_YAML_VALUES = 250_000;

const invalid = (path: string, message: string): { ok: false; issue: Issue } => ({
  ok: false,
  issue: { severity: "error", code: "invalid-value", path, message },
});

const PROTO_MESSAGE =
  '"__proto__" cannot be a name in a policy: a JavaScript object cannot hold it as an ordinary key, so it would be dropped';
export const protoIssue = (path: string) => invalid(path, PROTO_MESSAGE);

/** " (line N)" for an offset in `text`. */
const lineAt = (text: string, offset: number | undefined): string =>
  offset === undefined ? "" : ` (line ${text.slice(0, offset).split("\n").length})`;

/**
 * The first thing in a parsed YAML document that Ward refuses before reading its value, or undefined: an alias
 * inside the value it names (a value holding itself, which nothing after could walk); and, for text as written,
 * two keys of a mapping that name one property (`true:` and `"true":`: the object would keep the last while a
 * reviewer reads the first), a key that may name any property beside others, a YAML 1.1 merge (`<<`, which brings
 * in keys nobody wrote there), a `__proto__` key, and aliases that expand past MAX_YAML_VALUES. One pass, each
 * mapping's names in a set: the parser's own uniqueKeys check compares each key with every earlier one (30,000
 * keys took 13 s). Its own stack: no depth of document can overflow it.
 */
function refused(doc: Document, text: string, asWritten: boolean): { ok: false; issue: Issue } | undefined {
  if (doc.contents === null) return undefined;
  // Anchors seen so far, in document order: an alias names the latest anchor of its name before it.
  const anchors = new Map<string, Node>();
  // What each anchored collection walked so far expands to.
  const anchoredSize = new Map<Node, number>();
  const onPath = new Set<Node>();
  const frames: Frame[] = [];
  const keys: (string | number)[] = [];
  let total = 0;
  /** Enters `node`, a child of `parent` (undefined: the document), adding its size when it has no frame. */
  const enter = (node: unknown, parent: Frame | undefined, isKey: boolean): { ok: false; issue: Issue } | undefined => {
    const inKey = isKey || (parent?.inKey ?? false);
    const add = (size: number) => {
      if (parent) parent.size += isKey ? 1 : size;
      else total = size;
    };
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target !== undefined && onPath.has(target) && !inKey)
        return invalid(
          pathText(keys) || "(document)",
          `an alias (*${node.source}) inside the value it names${lineAt(text, node.range?.[0])}: a value cannot hold itself`,
        );
      add(target === undefined ? 1 : (anchoredSize.get(target) ?? 1));
      return undefined;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) {
      add(1);
      return undefined;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    // A tag of YAML 1.1's other types (`!!omap`, `!!set`, `!!pairs`, `!!binary`, `!!timestamp`) makes a Map, a Set,
    // a Date or bytes: zod took a Map as a rule's `when` and read no condition in it (from a closing review).
    if (asWritten && node.tag !== undefined && !JSON_TAGS.has(node.tag))
      return syntaxIssue(
        `the tag ${node.tag}${lineAt(text, node.range?.[0])} makes a value JSON does not have: write it without`,
      );
    if (isScalar(node)) {
      // `010` is 10, `0x1F` 31, `+1` 1 to YAML 1.2 (a deny rule's `claims: { zip: 02134 }` was 2134): a number is
      // taken as JSON writes it, which reads one way only, tagged and quoted too (`!!int "02134"`), and finite.
      if (asWritten && typeof node.value === "number") {
        const source = node.range ? text.slice(node.range[0], node.range[1]) : "";
        if (!JSON_NUMBER.test(source) || !Number.isFinite(node.value))
          return syntaxIssue(
            `${source.slice(0, 40)}${lineAt(text, node.range?.[0])} is read as the number ${node.value}: write it as JSON writes numbers, or quote it`,
          );
      }
      add(1);
      return undefined;
    }
    onPath.add(node);
    const pairs = isMap(node) || node.items.some(isPair);
    const names = isMap(node) && asWritten ? new Set<string>() : undefined;
    frames.push({ node, items: node.items, next: 0, pairs, names, inKey, isKey, size: 1 });
    return undefined;
  };
  const first = enter(doc.contents, undefined, false);
  if (first) return first;
  while (frames.length > 0) {
    const top = frames[frames.length - 1]!;
    const slot = top.next++;
    if (slot === (top.pairs ? top.items.length * 2 : top.items.length)) {
      frames.pop();
      onPath.delete(top.node);
      if (top.node.anchor) anchoredSize.set(top.node, top.size);
      const parent = frames[frames.length - 1];
      if (parent) {
        parent.size += top.isKey ? 1 : top.size;
        keys.pop();
      } else total = top.size;
      continue;
    }
    let child: unknown;
    let key: string | number;
    let isKey = false;
    const item = top.items[top.pairs ? slot >> 1 : slot];
    if (!top.pairs) {
      child = item;
      key = slot;
    } else {
      // Pairs are walked key, value, key, value...: a key is a node too (an alias or a collection in it).
      const pair = (isPair(item) ? item : { key: item, value: null }) as Pair;
      const name = keyName(pair.key);
      if (slot % 2 === 1) {
        child = pair.value;
        key = name ?? "(key)";
      } else {
        if (top.names) {
          const problem = keyProblem(pair.key, name, top.names, top.items.length, text);
          if (problem) return problem === PROTO ? protoIssue(pathText([...keys, "__proto__"])) : syntaxIssue(problem);
          top.names.add(name ?? ANY_NAME);
        }
        child = pair.key;
        key = "(key)";
        isKey = true;
      }
    }
    keys.push(key);
    const found = enter(child, top, isKey);
    if (found) return found;
    if (frames[frames.length - 1] === top) keys.pop();
  }
  if (asWritten && total > MAX_YAML_VALUES)
    return syntaxIssue(
      `its aliases make this document ${total} values, more than the ${MAX_YAML_VALUES} a policy may have: name a principal set (set:) rather than repeating a list by alias`,
    );
  return undefined;
}

const PROTO = "__proto__";

/** Whether the text holds at most one `%YAML` directive (the lexer's directive tokens), and the parser knew it. */
function oneYamlDirective(text: string, doc: Document): boolean {
  if (doc.warnings.some((w) => w.code === "BAD_DIRECTIVE")) return false;
  if (!text.includes("%YAML")) return true;
  let seen = 0;
  for (const token of new Lexer().lex(text)) if (token.startsWith("%YAML") && ++seen > 1) return false;
  return true;
}

/** A number as JSON writes it (RFC 8259 §6). */
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** The tags of JSON's own types: what a policy is (`!!str 1` is read, as written, as the string "1"). */
const JSON_TAGS: ReadonlySet<string> = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** What is wrong with a mapping's key as written, or undefined; PROTO for a `__proto__` key. */
function keyProblem(
  key: unknown,
  name: string | undefined,
  names: ReadonlySet<string>,
  entries: number,
  text: string,
): string | undefined {
  // Counted only for the one issue reported: per key, it would make the walk quadratic.
  const at = () => lineAt(text, (key as Node | null)?.range?.[0]);
  if (isScalar(key) && typeof key.value === "symbol")
    return `a merge key (<<) brings in keys not written there${at()}: write the keys out`;
  if (name === PROTO) return PROTO;
  // `007:` is the name "7", `1.0:` "1", `null:` "", `0x1F:` "31": a claim a deny rule names that way matched no token
  // carrying the name as written (from a closing review). A key that is not a string is taken where it reads as it is.
  if (isScalar(key) && typeof key.value !== "string" && key.range && name !== undefined) {
    if (key.type !== "PLAIN") return `a key tagged as another type than a string${at()}: write it as a string`;
    const source = text.slice(key.range[0], key.range[1]);
    if (source !== name) return `the key ${source.slice(0, 40)}${at()} is read as the name "${name}": quote it`;
  }
  // `? [a, b]` or `{ [iss, x]: y }`: the parser makes it the text "[ a, b ]", a name nobody wrote; a claim or a
  // field of that name matches nothing, so a deny rule with it would never apply (from a black-box review).
  if (isMap(key) || isSeq(key)) return `a key written as a collection names nothing${at()}: write the key as a string`;
  if (name === undefined)
    return entries > 1
      ? `Map keys must be unique: a key written as an alias or a collection may name any other key's property${at()}`
      : undefined;
  if (names.has(name) || names.has(ANY_NAME))
    return `Map keys must be unique: "${name.slice(0, 100)}" is repeated${at()}`;
  return undefined;
}

/** A name no key can have (keys are strings from text): a key that may name any property. */
const ANY_NAME = "\u0000any";

/** Whether an object is one JSON has: an array or a plain object. */
const isJsonObject = (o: object): boolean => {
  const proto = Object.getPrototypeOf(o);
  return Array.isArray(o) || proto === Object.prototype || proto === null;
};

/**
 * Where the first value that is not JSON's is (a Date, a Map, a Set, bytes), as a path; undefined when none. Only
 * objects are kept while walking (a path per value would double the heap a document at push's bound takes); the
 * path of the one found is looked for after.
 */
function notJson(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  const done = new Set<object>();
  let odd: object | undefined;
  while (stack.length > 0 && odd === undefined) {
    const next = stack.pop();
    if (next === null || typeof next !== "object" || done.has(next)) continue;
    done.add(next);
    if (!isJsonObject(next)) odd = next;
    else for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push(child);
  }
  return odd === undefined ? undefined : pathText(pathTo(value, odd) ?? []) || "(document)";
}

/** The keys from `root` down to `target`, depth first; undefined when it is not there. */
function pathTo(
  root: unknown,
  target: object,
  path: (string | number)[] = [],
  seen = new Set<object>(),
): (string | number)[] | undefined {
  if (root === target) return path;
  if (root === null || typeof root !== "object" || seen.has(root) || !isJsonObject(root)) return undefined;
  seen.add(root);
  for (const [k, v] of Array.isArray(root) ? root.entries() : Object.entries(root)) {
    path.push(k);
    if (pathTo(v, target, path, seen)) return path;
    path.pop();
  }
  return undefined;
}

/** Whether a parsed value holds itself. Each object is walked once, however many aliases share it. */
export function holdsItself(value: unknown): boolean {
  const done = new Set<object>();
  const onPath = new Set<object>();
  // An object to enter, or (wrapped) one to leave.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (next instanceof Leave) {
      onPath.delete(next.leave);
      done.add(next.leave);
      continue;
    }
    if (next === null || typeof next !== "object" || done.has(next)) continue;
    if (onPath.has(next)) return true;
    onPath.add(next);
    stack.push(new Leave(next));
    for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push(child);
  }
  return false;
}
class Leave {
  readonly leave: object;
  constructor(leave: object) {
    this.leave = leave;
  }
}

/**
 * YAML text -> its value. `stored`: a version already stored, read as the Ward that took it read it (the parser's
 * own duplicate check, merges as YAML 1.1 has them); only a value holding itself is refused there too, which no
 * Ward could have taken.
 */
export function parseYamlText(text: string, stored: boolean): ParseResult {
  const read = readYaml(text, stored);
  // A backstop for node kinds the walk does not know (a custom tag's): nothing after could walk a cycle. Run
  // once the parser's nodes can be collected, which at the units' bound are tens of MiB.
  if (read.ok && holdsItself(read.value))
    return invalid("(document)", "a value holds itself (an alias inside what it names)");
  return read;
}

/** " (line L, column C)" of an offset, both from 1, for an operator to find a syntax error in a long policy. */
function whereIn(text: string, offset: number | undefined): string {
  if (offset === undefined || !Number.isInteger(offset) || offset < 0 || offset > text.length) return "";
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return ` (line ${line}, column ${offset - before.lastIndexOf("\n")})`;
}

function readYaml(text: string, stored: boolean): ParseResult {
  try {
    // logLevel "error": the parser's warnings (a collection key stringified, in a stored version's text) would
    // go to the process's own warning stream, an operator's terminal or the Worker's log, unlike every issue
    // Ward reports; what the text holds is refused or read by the checks here, not by the warnings.
    const doc = stored
      ? parseDocument(text, { uniqueKeys: true, prettyErrors: false, logLevel: "error" })
      : parseDocument(text, { uniqueKeys: false, merge: false, prettyErrors: false, logLevel: "error" });
    const error = doc.errors[0];
    if (error) return syntaxIssue(`${error.message.split("\n")[0]!}${whereIn(text, error.pos[0])}`);
    // YAML 1.1 reads `NO` as false, `1:20` as 80, `on:` as the key "true": as written, a policy is YAML 1.2. The
    // parser reads a version it does not know (1.3) as 1.2 with a warning, and a repeated directive as the last.
    if (!stored && (doc.directives?.yaml.version !== "1.2" || !oneYamlDirective(text, doc)))
      return syntaxIssue(
        doc.directives?.yaml.version === "1.2"
          ? "a %YAML directive the parser does not read, or two of them: a policy is YAML 1.2 (drop the directives)"
          : `%YAML ${doc.directives?.yaml.version}: a policy is YAML 1.2 (drop the directive)`,
      );
    // A tag the parser does not know (`!admin x`, `!!float 1`) is dropped and its value read as a plain string: a
    // reviewer of the text might read it as something else. As written only; a stored version reads as it did.
    const unknownTag = stored ? undefined : doc.warnings.find((w) => w.code === "TAG_RESOLVE_FAILED");
    if (unknownTag)
      return syntaxIssue(
        `${unknownTag.message.split("\n")[0]!}${whereIn(text, unknownTag.pos[0])}: write the value without it (Ward reads only YAML's own tags)`,
      );
    const found = refused(doc, text, !stored);
    if (found) return found;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // A backstop for any way the checks above miss to a Date, a Map, a Set or bytes: as written, only what JSON has.
    const odd = stored ? undefined : notJson(value);
    if (odd !== undefined) return syntaxIssue(`${odd} is a value JSON does not have (a date, a set, bytes): quote it`);
    return { ok: true, value };
  } catch (error) {
    return syntaxIssue((error instanceof Error ? error.message : String(error)).split("\n")[0]!);
  }
}
