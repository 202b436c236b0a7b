// An origin's Link header (RFC 8288) read as a browser reads it, so that the link-values naming another host can
// be dropped one by one (worker/origin/forward.ts): commas and angle brackets inside a quoted parameter belong to
// it, and a preload's `imagesrcset` and a link's `anchor` hold URLs too. Anything that does not read is refused
// whole by the caller: a header no parser agrees on is not worth passing on.

/** One link-value: its text as sent, and every URL in it (the target, `anchor`, each `imagesrcset` candidate). */
export interface LinkValue {
  text: string;
  urls: string[];
}

const OWS = new Set([" ", "\t"]);

/** RFC 9110's tchar: what a parameter's name, and a value not quoted, may hold. */
const TCHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]$/;
const isTchar = (c: string | undefined): boolean => c !== undefined && TCHAR.test(c);

/** The link-values of `header`, or undefined when it is not a Link header's grammar. Linear: no backtracking. */
export function linkValues(header: string): LinkValue[] | undefined {
  const values: LinkValue[] = [];
  let at = 0;
  const skip = (chars: Set<string>) => {
    while (at < header.length && chars.has(header[at]!)) at++;
  };
  const separators = new Set([" ", "\t", ","]);
  for (;;) {
    skip(separators);
    if (at >= header.length) return values;
    const start = at;
    if (header[at] !== "<") return undefined;
    const close = header.indexOf(">", at + 1);
    if (close === -1) return undefined;
    const urls = [header.slice(at + 1, close)];
    at = close + 1;
    // Parameters: `; name`, `; name=token` or `; name="quoted"`, up to a comma outside quotes.
    for (;;) {
      skip(OWS);
      if (at >= header.length || header[at] === ",") break;
      if (header[at] !== ";") return undefined;
      at++;
      skip(OWS);
      const nameStart = at;
      while (isTchar(header[at])) at++;
      if (at === nameStart) return undefined;
      const name = header.slice(nameStart, at).toLowerCase();
      skip(OWS);
      let value: string | undefined;
      if (header[at] === "=") {
        at++;
        skip(OWS);
        if (header[at] === '"') {
          at++;
          const parts: string[] = [];
          let from = at;
          while (at < header.length && header[at] !== '"') {
            if (header[at] === "\\") {
              parts.push(header.slice(from, at));
              at++;
              from = at;
            }
            at++;
          }
          if (at >= header.length) return undefined;
          parts.push(header.slice(from, at));
          value = parts.join("");
          at++;
        } else {
          // Only tchar: a browser opens a quote or a URL at any `"` or `<` outside one, even inside a value, and
          // would split the header where this parser does not (from a review: `title=a"b, ...` hid a preload).
          const valueStart = at;
          while (isTchar(header[at])) at++;
          value = header.slice(valueStart, at);
          if (value === "") return undefined;
        }
      }
      if (value !== undefined && name === "anchor") urls.push(value);
      // A srcset: every URL a browser reads in it (srcsetUrls), and every piece between commas too, so a URL
      // holding a comma is checked whole and in parts.
      if (value !== undefined && name === "imagesrcset") {
        const read = new Set(srcsetUrls(value));
        for (const candidate of value.split(",")) {
          const url = candidate.trim().split(/\s+/)[0];
          if (url) read.add(url);
        }
        for (const url of read) urls.push(url);
      }
    }
    values.push({ text: header.slice(start, at).trim(), urls });
  }
}

/** HTML's ASCII whitespace: what separates a srcset candidate's URL from its descriptors. */
const HTML_SPACE = new Set([" ", "\t", "\n", "\f", "\r"]);

/**
 * The URLs of a srcset as HTML's "parse a srcset attribute" reads them (what a browser fetches): each candidate's
 * URL is the run up to whitespace, commas inside it included (`https://gw,@10.0.0.5/a.png` is one URL, whose host
 * is 10.0.0.5), less any commas it ends with; its descriptors run to the next comma outside parentheses. Linear.
 */
export function srcsetUrls(value: string): string[] {
  const urls: string[] = [];
  let at = 0;
  for (;;) {
    while (at < value.length && (HTML_SPACE.has(value[at]!) || value[at] === ",")) at++;
    if (at >= value.length) return urls;
    const start = at;
    while (at < value.length && !HTML_SPACE.has(value[at]!)) at++;
    let end = at;
    while (end > start && value[end - 1] === ",") end--;
    if (end > start) urls.push(value.slice(start, end));
    // Ending in a comma: a candidate with no descriptors.
    if (end < at) continue;
    // Its descriptors: up to a comma outside parentheses, or the end.
    let inParens = false;
    for (; at < value.length; at++) {
      const c = value[at];
      if (inParens) {
        if (c === ")") inParens = false;
      } else if (c === "(") inParens = true;
      else if (c === ",") {
        at++;
        break;
      }
    }
  }
}
