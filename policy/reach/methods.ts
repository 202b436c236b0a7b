// Method sets as reach writes them: in METHODS order, `["*"]` when every method is in.
import { METHODS } from "../schema.ts";

export type ReachMethod = (typeof METHODS)[number];

export const ALL = "*";

/** Methods in METHODS order; every method is `*`. */
export function normalizeMethods(methods: Iterable<string>): string[] {
  const set = new Set(methods);
  if (set.has(ALL) || METHODS.every((m) => set.has(m))) return [ALL];
  return METHODS.filter((m) => set.has(m));
}

/** `*` as every method; anything not in METHODS dropped. */
export function expandMethods(methods: readonly string[]): ReachMethod[] {
  return methods.includes(ALL) ? [...METHODS] : METHODS.filter((m) => methods.includes(m));
}
