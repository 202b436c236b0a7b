// JSON text written member by member, so a generated SET can name a member twice (also with an escaped name, or
// nested), carry raw numbers (1.0, 1e400) and escapes (lone surrogates, controls) that JSON.stringify would not
// write. Used by the SSF receiver's generator (ssf-cases.ts); independent of Ward's code.

export type JV = null | boolean | number | string | JV[] | JObj | JRaw;
export interface JObj {
  obj: [name: string, value: JV, rawName?: string][];
}
export interface JRaw {
  raw: string;
}

export const isObj = (v: JV): v is JObj => v !== null && typeof v === "object" && !Array.isArray(v) && "obj" in v;
export const raw = (text: string): JRaw => ({ raw: text });

/** A plain JS value (from the generator) as a tree. */
export function tree(value: unknown): JV {
  if (value === undefined) return null;
  if (value === null || typeof value !== "object") return value as JV;
  if (Array.isArray(value)) return value.map(tree);
  if ("obj" in (value as object) || "raw" in (value as object)) return value as JV;
  return {
    obj: Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, tree(v)]),
  };
}

/** JSON string literal; every non-ASCII and control code unit escaped (lone surrogates survive). */
export function str(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += s[i];
  }
  return `${out}"`;
}

export function serialize(v: JV): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "string") return str(v);
  if (Array.isArray(v)) return `[${v.map(serialize).join(",")}]`;
  if ("raw" in v) return v.raw;
  return `{${v.obj.map(([k, val, rawName]) => `${rawName ?? str(k)}:${serialize(val)}`).join(",")}}`;
}

/** The member's value (last one wins, as JSON.parse), for building. */
export function member(o: JObj, name: string): JV | undefined {
  let found: JV | undefined;
  for (const [k, v] of o.obj) if (k === name) found = v;
  return found;
}
export function setMember(o: JObj, name: string, value: JV | undefined): void {
  o.obj = o.obj.filter(([k]) => k !== name);
  if (value !== undefined) o.obj.push([name, value]);
}

/** Canonical JSON of a parsed value: keys sorted, every own key kept (also "__proto__"). */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const keys = Object.keys(v as object).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

export function b64u(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let bin = "";
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
