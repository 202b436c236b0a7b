// TOML values as ward init writes them: strings, booleans, arrays and inline tables, on one line.

export type TomlValue = string | boolean | number | readonly TomlValue[] | { readonly [key: string]: TomlValue };

const BARE = /^[A-Za-z0-9_-]+$/;

/** A basic string: JSON's escapes are TOML's for every character a config holds. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

export function tomlKey(key: string): string {
  return BARE.test(key) ? key : tomlString(key);
}

export function tomlValue(value: TomlValue): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  const entries = Object.entries(value as Record<string, TomlValue>);
  return `{ ${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join(", ")} }`;
}

/** `[env.staging.vars]` / `[[env.staging.vpc_services]]`. */
export function tomlHeader(path: readonly string[], array: boolean): string {
  const dotted = path.map(tomlKey).join(".");
  return array ? `[[${dotted}]]` : `[${dotted}]`;
}

/** Deep equality of what wrangler's parser returned and what init means to write. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}
