// The pages of the local Access stand-in (sign-in, signed in, signed out), in the look of Ward's own pages,
// never cached: each answers for one person's session.
import { escapeHtml, PAGE_STYLE } from "../../policy/page-style.ts";

export { escapeHtml };

/** Form fields, laid out like the rest of the page. */
const FORM_STYLE =
  "label{display:block;margin:.6rem 0}input{font:inherit;width:100%}button{font:inherit;margin:.2rem .4rem .2rem 0}";

export function devPage(title: string, body: string, status = 200, headers: HeadersInit = {}): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_STYLE}${FORM_STYLE}</style>
</head><body>
${body}
</body></html>
`;
  const all = new Headers(headers);
  all.set("content-type", "text/html; charset=utf-8");
  all.set("cache-control", "no-store");
  return new Response(html, { status, headers: all });
}
