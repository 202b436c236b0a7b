// A real HTML tokenizer's reading of one of Ward's pages (workerd's HTMLRewriter, lol-html): every element with
// its attributes, comments, and the text of the elements the oracle names. Text is taken as lol-html hands it
// (raw), then decoded here for the character references only (any other `&` in text is reported as such).
export interface ParsedPage {
  elements: { tag: string; attrs: [string, string][] }[];
  comments: string[];
  textOf: Record<string, string>;
  strayAmpersands: string[];
}

const REFS: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeRefs(raw: string, stray: string[]): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);?/g, (all, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const named = REFS[ref];
    if (named !== undefined && all.endsWith(";")) return named;
    stray.push(all);
    return all;
  });
}

/** `texts`: selector -> key; the text directly or deeply inside the element. */
export async function parsePage(html: string, texts: Record<string, string>): Promise<ParsedPage> {
  const page: ParsedPage = { elements: [], comments: [], textOf: {}, strayAmpersands: [] };
  const raw: Record<string, string> = {};
  let rewriter = new HTMLRewriter()
    .on("*", {
      element(e) {
        page.elements.push({ tag: e.tagName, attrs: [...e.attributes] as [string, string][] });
      },
      comments(c) {
        page.comments.push(c.text);
      },
    })
    .onDocument({
      comments(c) {
        page.comments.push(c.text);
      },
    });
  for (const [selector, key] of Object.entries(texts)) {
    rewriter = rewriter.on(selector, {
      text(t) {
        raw[key] = (raw[key] ?? "") + t.text;
      },
    });
  }
  await rewriter.transform(new Response(html, { headers: { "content-type": "text/html" } })).text();
  for (const [key, value] of Object.entries(raw)) page.textOf[key] = decodeRefs(value, page.strayAmpersands);
  return page;
}
