// A small JSON Schema (draft 2020-12) checker for the keywords `ward schema` writes (validate-differential.test.ts):
// type, const, enum, pattern, lengths, ranges, items, properties, required, additionalProperties,
// propertyNames, anyOf. `format` is an annotation in 2020-12 and is not asserted.
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(want: unknown, v: unknown): boolean {
  const t = typeOf(v);
  const wants = Array.isArray(want) ? want : [want];
  return wants.some((w) => w === t || (w === "number" && t === "integer"));
}

/** Each pattern compiled once: a route path's is some 12,000 characters. */
const compiled = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) {
    re = new RegExp(source, "u");
    compiled.set(source, re);
  }
  return re;
}

/** The places where `value` breaks `schema`, empty when it holds. */
export function schemaErrors(schema: Schema, value: unknown, at = "$"): string[] {
  const out: string[] = [];
  const s = schema as Record<string, any>;
  if (s.type !== undefined && !typeMatches(s.type, value)) return [`${at}: not ${JSON.stringify(s.type)}`];
  if ("const" in s && JSON.stringify(s.const) !== JSON.stringify(value))
    out.push(`${at}: not ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value)))
    out.push(`${at}: not in enum`);
  if (typeof value === "string") {
    const n = [...value].length;
    if (s.pattern !== undefined && !patternOf(s.pattern).test(value)) out.push(`${at}: not /${s.pattern}/`);
    if (s.minLength !== undefined && n < s.minLength) out.push(`${at}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && n > s.maxLength) out.push(`${at}: longer than ${s.maxLength}`);
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum) out.push(`${at}: below ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) out.push(`${at}: above ${s.maximum}`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) out.push(`${at}: fewer than ${s.minItems}`);
    if (s.maxItems !== undefined && value.length > s.maxItems) out.push(`${at}: more than ${s.maxItems}`);
    if (s.items) for (const [i, x] of value.entries()) out.push(...schemaErrors(s.items, x, `${at}[${i}]`));
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const k of s.required ?? []) if (!(k in obj)) out.push(`${at}: no ${k}`);
    for (const [k, x] of Object.entries(obj)) {
      if (s.propertyNames) out.push(...schemaErrors(s.propertyNames, k, `${at}.${k}(name)`));
      if (s.properties && k in s.properties) out.push(...schemaErrors(s.properties[k], x, `${at}.${k}`));
      else if (s.additionalProperties === false) out.push(`${at}: unknown ${k}`);
      else if (typeof s.additionalProperties === "object")
        out.push(...schemaErrors(s.additionalProperties, x, `${at}.${k}`));
    }
  }
  if (s.anyOf && !s.anyOf.some((alt: Schema) => schemaErrors(alt, value, at).length === 0))
    out.push(`${at}: no anyOf alternative`);
  if (s.oneOf && s.oneOf.filter((alt: Schema) => schemaErrors(alt, value, at).length === 0).length !== 1)
    out.push(`${at}: not one oneOf`);
  if (s.allOf) for (const alt of s.allOf) out.push(...schemaErrors(alt, value, at));
  return out;
}
