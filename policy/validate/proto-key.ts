// A key named `__proto__` cannot be an ordinary property of a JavaScript object: zod's records skip it, so a
// service, principal set, binding or transmitter of that name would vanish from the policy without a word (and
// a claim requirement of that name would stop requiring anything). JSON.parse and the YAML parser keep it as an
// own property, so it can be found and refused by name, wherever it is.

/** The issue path of the first `__proto__` key in `input` (`services.a.routes[0]...`), or undefined. */
export function protoKeyPath(input: unknown): string | undefined {
  // Depth-first with a stack of its own: a document of any depth (JSON.parse takes any) cannot overflow it.
  const stack: [value: unknown, path: string][] = [[input, ""]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`]);
      continue;
    }
    if (Object.hasOwn(value, "__proto__")) return path === "" ? "__proto__" : `${path}.__proto__`;
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      stack.push([child, path === "" ? key : `${path}.${key}`]);
    }
  }
  return undefined;
}
