// policy/json-members.ts scans JSON text for member names itself (JSON.parse keeps a repeated name's last value and
// says nothing). Tested on generated texts: well-formed ones against what the generator wrote (which names each
// object has, however spelled, and each top-level value's text), and every text, well-formed, truncated or
// mangled, against the two scanners as they were before they shared one walk (copied below, the oracle). The seed
// is fixed, so a run is repeatable; WARD_JSON_MEMBERS_SEED=<n> tries another and is printed on failure.
import { describe, expect, it } from "vitest";
import { firstRepeatedMember, objectMembers } from "../../policy/json-members.ts";
import { prng, seedFrom } from "../support/prng.ts";

const SEED = seedFrom("WARD_JSON_MEMBERS_SEED", 20260611);
const TEXTS = 3000;

/** Thrown by the oracle where the scanner before never ended (a string with no closing quote). */
const ENDLESS = "endless";

/** The end of the string opening at `i`, as the scanners before found it; ENDLESS where they looped forever. */
function oldStringEnd(text: string, i: number): number {
  let end = i + 1;
  while (text.charCodeAt(end) !== 0x22) {
    end += text.charCodeAt(end) === 0x5c ? 2 : 1;
    if (end >= text.length) throw new Error(ENDLESS);
  }
  return end;
}

/** firstRepeatedMember before, but for oldStringEnd. */
function oldFirstRepeatedMember(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = oldStringEnd(text, i);
      const top = stack[stack.length - 1];
      if (expectName && top) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.has(name)) return name;
        top.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectName = true;
    } else if (c === 0x5b) {
      stack.push(null);
      expectName = false;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectName = false;
    } else if (c === 0x2c) {
      expectName = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}

/** objectMembers before, but for oldStringEnd. */
function oldObjectMembers(text: string): [name: string, value: string][] | undefined {
  const start = text.search(/\S/);
  if (text[start] !== "{") return undefined;
  const members: [string, string][] = [];
  let depth = 0;
  let name = "";
  let valueFrom = -1;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = oldStringEnd(text, i);
      if (depth === 1 && valueFrom === -1) name = JSON.parse(text.slice(i, end + 1)) as string;
      i = end;
    } else if (c === 0x3a && depth === 1) {
      valueFrom = i + 1;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d || (c === 0x2c && depth === 1)) {
      if (depth === 1 && valueFrom !== -1) {
        members.push([name, text.slice(valueFrom, i).trim()]);
        valueFrom = -1;
      }
      if (c !== 0x2c) depth--;
    }
  }
  return members;
}

/** What a call gave: its result, or the kind of error it threw (or that it would never have ended). */
function outcome(f: () => unknown): unknown {
  try {
    return { result: f() };
  } catch (e) {
    return { threw: e instanceof Error && e.message === ENDLESS ? ENDLESS : (e as Error).name };
  }
}

/** A generated well-formed text, with what the generator knows of it. */
interface Generated {
  text: string;
  /** The first name an object repeats, in the order the text names them. */
  repeated: string | undefined;
  /** The top-level members as written; undefined when the text is no object. */
  members: [string, string][] | undefined;
}

function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const space = () => pick(["", "", "", " ", "\n", "\t ", "\r\n  "]);
  /** A character of a string as JSON may write it: itself, escaped, or as \u with either case of hex digits. */
  const spelled = (ch: string): string => {
    // A character past U+FFFF as its two UTF-16 units, each escaped.
    const hex = Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i).toString(16).padStart(4, "0"));
    const short: Record<string, string> = { '"': '\\"', "\\": "\\\\", "/": "\\/", "\n": "\\n", "\t": "\\t" };
    const escaped = hex.map((h) => `\\u${h}`).join("");
    const plain = short[ch] ?? (ch < " " ? escaped : ch);
    return pick([plain, plain, plain, escaped, escaped.toUpperCase().replaceAll("\\U", "\\u")]);
  };
  const word = (): string => {
    const length = Math.floor(random() * 4);
    let w = "";
    for (let i = 0; i < length; i++)
      w += pick(["a", "a", "b", "A", '"', "\\", "/", ",", ":", "{", "}", "[", "]", " ", "\n", "é", "😀"]);
    return w;
  };
  /** Names from a small set, so that objects repeat them often. */
  const name = () => pick(["a", "b", "a\\", 'a"', "", "é", "😀", "__proto__", word()]);
  const string = (s: string) => `"${Array.from(s, spelled).join("")}"`;

  let repeated: string | undefined;
  const value = (depth: number): string => {
    const kind = depth > 4 ? Math.floor(random() * 4) : Math.floor(random() * 6);
    switch (kind) {
      case 0:
        return pick(["0", "-1.5e3", "true", "false", "null", "12"]);
      case 1:
      case 2:
      case 3:
        return string(word());
      case 4: {
        const items = Array.from({ length: Math.floor(random() * 4) }, () => space() + value(depth + 1) + space());
        return `[${items.join(",") || space()}]`;
      }
      default:
        return object(depth).text;
    }
  };
  const object = (depth: number): { text: string; members: [string, string][] } => {
    const seen = new Set<string>();
    const members: [string, string][] = [];
    const parts: string[] = [];
    for (let n = Math.floor(random() * 5); n > 0; n--) {
      const key = name();
      // Names are met before the member's value is written: a repeat here comes before any inside the value.
      if (seen.has(key) && repeated === undefined) repeated = key;
      seen.add(key);
      const v = value(depth + 1);
      members.push([key, v]);
      parts.push(`${space()}${string(key)}${space()}:${space()}${v}${space()}`);
    }
    return { text: `{${parts.join(",") || space()}}`, members };
  };
  return (): Generated => {
    repeated = undefined;
    if (random() < 0.15) {
      // No object at the top: a string, a number or a literal, or an array (with objects in it).
      const top = random() < 0.5 ? string(word()) : `[${space()}${value(1)},${object(1).text}]`;
      return { text: space() + top + space(), repeated, members: undefined };
    }
    const top = object(0);
    return { text: space() + top.text + space(), repeated, members: top.members };
  };
}

/** `text` cut short, a character gone, or one put in: mostly not JSON any more. */
function mangled(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  const ch = '{}[],:"\\ a'[Math.floor(random() * 11)] ?? "";
  switch (Math.floor(random() * 3)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    default:
      return text.slice(0, at) + ch + text.slice(at);
  }
}

describe("the JSON member scanners on generated texts", () => {
  const random = prng(SEED);
  const generate = generator(random);
  const cases = Array.from({ length: TEXTS }, generate);

  it("find what the generator wrote in well-formed texts", () => {
    let repeats = 0;
    for (const { text, repeated, members } of cases) {
      JSON.parse(text);
      if (repeated !== undefined) repeats++;
      expect({ seed: SEED, text, repeated: firstRepeatedMember(text) }, `seed ${SEED}`).toEqual({
        seed: SEED,
        text,
        repeated,
      });
      expect({ seed: SEED, text, members: objectMembers(text) }, `seed ${SEED}`).toEqual({ seed: SEED, text, members });
    }
    // The generator repeats names in some texts, and not in most.
    expect(repeats, `seed ${SEED}`).toBeGreaterThan(TEXTS / 10);
    expect(repeats, `seed ${SEED}`).toBeLessThan(TEXTS * 0.9);
  });

  it("answer as the scanners before did, on every text, mangled or not", () => {
    let endless = 0;
    for (const { text } of cases) {
      for (const t of [text, mangled(text, random), mangled(mangled(text, random), random)]) {
        const before = [outcome(() => oldFirstRepeatedMember(t)), outcome(() => oldObjectMembers(t))];
        const now = [outcome(() => firstRepeatedMember(t)), outcome(() => objectMembers(t))];
        for (const [i, was] of before.entries()) {
          // Where the scanners before never ended, an answer or a refusal (a SyntaxError) is what now comes.
          if ((was as { threw?: string }).threw === ENDLESS) {
            endless++;
            expect({ seed: SEED, t, now: now[i] }, `seed ${SEED}`).not.toEqual({
              seed: SEED,
              t,
              now: { threw: ENDLESS },
            });
          } else expect({ seed: SEED, t, now: now[i] }, `seed ${SEED}`).toEqual({ seed: SEED, t, now: was });
        }
      }
    }
    expect(endless, `seed ${SEED}`).toBeGreaterThan(0);
  });
});
