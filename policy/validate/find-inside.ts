// One walk over a parsed document for the checks that must see every object in it before zod does (a
// `__proto__` key, an object too wide to check): depth first, with a stack of its own as parallel lists, a few
// bytes a level, holding only the objects and arrays from the root to where the walk is. A document of any
// depth (one nested 390,000 deep is a few hundred KiB of text) cannot overflow it, and one of any width
// (millions of numbers) costs it nothing per value.

export type Container = Record<string, unknown> | unknown[];

export const isContainer = (value: unknown): value is Container => value !== null && typeof value === "object";

/**
 * What `check` first finds in an object or array inside `root` (not `root` itself), or undefined. It is given
 * the container, its keys (an object's; undefined for an array), how deep its parent is (0: the root), the key
 * that reached it, and `path`, which makes the keys from the root to it (only for what was found).
 */
export function findInside<T>(
  root: Container,
  check: (
    child: Container,
    childKeys: readonly string[] | undefined,
    parentDepth: number,
    key: string | number,
    path: () => (string | number)[],
  ) => T | undefined,
): T | undefined {
  // Each object or array from the root down, its keys, where the walk is among them; `keys` holds the key
  // that reached each one below the root, and then the one being checked.
  const values: Container[] = [root];
  const keyLists: (string[] | undefined)[] = [Array.isArray(root) ? undefined : Object.keys(root)];
  const nexts: number[] = [0];
  const keys: (string | number)[] = [];
  const path = () => keys.slice();
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
    const childKeys = Array.isArray(child) ? undefined : Object.keys(child);
    keys.push(key);
    const found = check(child, childKeys, top, key, path);
    if (found !== undefined) return found;
    values.push(child);
    keyLists.push(childKeys);
    nexts.push(0);
  }
  return undefined;
}
