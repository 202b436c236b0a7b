// A key named `__proto__` cannot be an ordinary property of a JavaScript object: zod's records skip it, so a
// service, principal set, binding or transmitter of that name would vanish from the policy without a word (and
// a claim requirement of that name would stop requiring anything). JSON.parse and the YAML parser keep it as an
// own property, so it can be found and refused by name, wherever it is.

type Container = Record<string, unknown> | unknown[];

/** One object or array being walked: its keys (an object's; an array walks its indexes) and where the walk is. */
interface Frame {
  value: Container;
  keys: string[] | undefined;
  size: number;
  next: number;
}

const isContainer = (value: unknown): value is Container => value !== null && typeof value === "object";
const hasProtoKey = (value: Container): boolean => !Array.isArray(value) && Object.hasOwn(value, "__proto__");

function frameOf(value: Container): Frame {
  if (Array.isArray(value)) return { value, keys: undefined, size: value.length, next: 0 };
  const keys = Object.keys(value);
  return { value, keys, size: keys.length, next: 0 };
}

/** `services.a.routes[0]` from its keys. */
export const pathText = (keys: readonly (string | number)[]): string =>
  keys.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");

/**
 * The issue path of the first `__proto__` key in `input` (`services.a.routes[0]...`), or undefined. Depth first
 * with a stack of its own, holding only the objects and arrays from the root to where the walk is: a document
 * of any depth cannot overflow it, and one of any width (millions of numbers) costs it nothing per value.
 */
export function protoKeyPath(input: unknown): string | undefined {
  if (!isContainer(input)) return undefined;
  if (hasProtoKey(input)) return "__proto__";
  const frames: Frame[] = [frameOf(input)];
  const keys: (string | number)[] = [];
  while (frames.length > 0) {
    const top = frames[frames.length - 1]!;
    if (top.next === top.size) {
      frames.pop();
      keys.pop();
      continue;
    }
    const key = top.keys ? top.keys[top.next]! : top.next;
    top.next++;
    const child = (top.value as Record<string | number, unknown>)[key];
    if (!isContainer(child)) continue;
    keys.push(key);
    if (hasProtoKey(child)) return `${pathText(keys)}.__proto__`;
    frames.push(frameOf(child));
  }
  return undefined;
}
