// The one look of the pages Ward shows people (the denied page, where you stand). It lives in the core because
// the local Access stand-in of `ward dev` (the CLI, which imports nothing from worker/) uses it too.
export const PAGE_STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}" +
  "code{background:#f3f3f3;padding:.1rem .3rem}li{margin:.3rem 0}";

/** Text made safe inside HTML text and attribute values: the one escape every page of Ward's uses. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
