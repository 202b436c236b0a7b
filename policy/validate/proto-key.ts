// A key named `__proto__` cannot be an ordinary property of a JavaScript object: zod's records skip it, so a
// service, principal set, binding or transmitter of that name would vanish from the policy without a word (and
// a claim requirement of that name would stop requiring anything). JSON.parse and the YAML parser keep it as an
// own property, so it can be found and refused by name, wherever it is.

import { findInside, isContainer, type Container } from "./find-inside.ts";

const hasProtoKey = (value: Container): boolean => !Array.isArray(value) && Object.hasOwn(value, "__proto__");

/** `services.a.routes[0]` from its keys. */
export const pathText = (keys: readonly (string | number)[]): string =>
  keys.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");

/** The issue path of the first `__proto__` key in `input` (`services.a.routes[0]...`), or undefined. */
export function protoKeyPath(input: unknown): string | undefined {
  if (!isContainer(input)) return undefined;
  if (hasProtoKey(input)) return "__proto__";
  return findInside(input, (child, _keys, _depth, _key, path) =>
    hasProtoKey(child) ? `${pathText(path())}.__proto__` : undefined,
  );
}
