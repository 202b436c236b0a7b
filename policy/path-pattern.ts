// Route path patterns. Literal segments are written decoded; `{*}` or `{name}` is exactly one non-empty
// segment; a final `{**}` is zero or more segments. A `pathPrefix` is the prefix followed by `{**}`.
export type PatternToken = { kind: "literal"; value: string } | { kind: "segment"; name?: string } | { kind: "rest" };

export type PatternResult = { ok: true; tokens: PatternToken[]; key: string } | { ok: false; message: string };

/** A named placeholder, `{name}`. */
export const PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
// Characters a literal may not hold: they could never survive canonicalisation of a request path.
export const FORBIDDEN_LITERAL = /[\\;%?#{}\u0000-\u001f\u007f]/;

export function parsePathPattern(pattern: string, prefix = false): PatternResult {
  if (!pattern.startsWith("/")) return { ok: false, message: "must start with '/'" };
  let body = pattern.slice(1);
  // A prefix's one trailing '/' is dropped; a second ("/admin//") would leave an empty last segment that only
  // "/admin/" matches, not what anyone writing a prefix means.
  if (prefix && pattern.length > 1 && pattern.endsWith("//"))
    return { ok: false, message: "empty segment ('//') can never match a canonical path" };
  if (prefix && body.endsWith("/")) body = body.slice(0, -1);
  const raw = prefix && body === "" ? [] : body.split("/");
  const tokens: PatternToken[] = [];
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i]!;
    const last = i === raw.length - 1;
    if (seg === "{**}") {
      if (!last || prefix) return { ok: false, message: "{**} may only be the last segment" };
      tokens.push({ kind: "rest" });
    } else if (seg === "{*}") {
      tokens.push({ kind: "segment" });
    } else if (PLACEHOLDER.test(seg)) {
      tokens.push({ kind: "segment", name: PLACEHOLDER.exec(seg)![1]! });
    } else if (seg === "" && !last) {
      return { ok: false, message: "empty segment ('//') can never match a canonical path" };
    } else if (seg === "." || seg === "..") {
      return { ok: false, message: "dot segments can never match a canonical path" };
    } else if (FORBIDDEN_LITERAL.test(seg)) {
      return { ok: false, message: `segment "${seg}" holds a character canonical paths never contain` };
    } else if (seg.endsWith(".") || seg.endsWith(" ")) {
      return {
        ok: false,
        message: `segment "${seg}" ends in '.' or a space, which requests are refused for (path-trailing-dot-or-space)`,
      };
    } else {
      tokens.push({ kind: "literal", value: seg });
    }
  }
  if (prefix) tokens.push({ kind: "rest" });
  const key = `/${tokens.map((t) => (t.kind === "literal" ? t.value : t.kind === "segment" ? "{*}" : "{**}")).join("/")}`;
  return { ok: true, tokens, key };
}

/**
 * The other trailing-slash spelling of an exact pattern, which its deny rules reach too (policy/evaluate.ts):
 * undefined for a prefix (it has both) and for the root.
 */
export function otherSlash(tokens: readonly PatternToken[]): PatternToken[] | undefined {
  const last = tokens.at(-1);
  if (!last || last.kind === "rest") return undefined;
  if (last.kind === "literal" && last.value === "") return tokens.length > 1 ? tokens.slice(0, -1) : undefined;
  return [...tokens, { kind: "literal", value: "" }];
}
