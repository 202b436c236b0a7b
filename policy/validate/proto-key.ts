// A key named `__proto__` cannot be an ordinary property of a JavaScript object: zod's records skip it, so a
// service, principal set, binding or transmitter of that name would vanish from the policy without a word (and
// a claim requirement of that name would stop requiring anything). JSON.parse and the YAML parser keep it as an
// own property, so it can be found and refused by name, wherever it is.

type Container = Record<string, unknown> | unknown[];

const isContainer = (value: unknown): value is Container => value !== null && typeof value === "object";
const hasProtoKey = (value: Container): boolean => !Array.isArray(value) && Object.hasOwn(value, "__proto__");

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
  // The walk's stack as parallel lists, a few bytes a level (a document nested 390,000 deep is one): each
  // object or array from the root down, its keys (an object's; an array walks its indexes), where the walk is
  // among them, and the key that reached it.
  const values: Container[] = [input];
  const keyLists: (string[] | undefined)[] = [Array.isArray(input) ? undefined : Object.keys(input)];
  const nexts: number[] = [0];
  const keys: (string | number)[] = [];
  while (values.length > 0) {
    const top = values.length - 1;
    const value = values[top]!;
    const keyList = keyLists[top];
    const next = nexts[top]!;
    if (next === (keyList ? keyList.length : (value as unknown[]).length)) {
      values.pop();
      keyLists.pop();
      nexts.pop();
      keys.pop();
      continue;
    }
    nexts[top] = next + 1;
    const key = keyList ? keyList[next]! : next;
    const child = (value as Record<string | number, unknown>)[key];
    if (!isContainer(child)) continue;
    keys.push(key);
    if (hasProtoKey(child)) return `${pathText(keys)}.__proto__`;
    values.push(child);
    keyLists.push(Array.isArray(child) ? undefined : Object.keys(child));
    nexts.push(0);
  }
  return undefined;
}
