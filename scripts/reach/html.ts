// `ward reach --format html`: one self-contained page (no scripts, no external assets) with an SVG graph
// identity -> service and the tables of the text output. Every piece of policy text is escaped.
import { principalWidth, type ReachReport } from "../../policy/index.ts";
import { escapeHtml } from "../../policy/page-style.ts";
import { grantTerms, inheritance, inheritedRows, inheritedTerms, namesOf } from "./text.ts";

export { escapeHtml };

const ROW = 26;
const CHAR = 7.2; // px per character of 12px monospace, for column widths
const PAD = 16;
const GAP = 240;

function graph(report: ReachReport): string {
  const identities = report.byIdentity.map((i) => i.principal);
  // Direct grants only: what an identity inherits is the wider principal's own line (and in the tables).
  const services = [...new Set(report.byIdentity.flatMap((i) => i.grants.map((g) => g.service)))].sort();
  const leftWidth = Math.ceil(Math.max(80, ...identities.map((s) => s.length * CHAR)));
  const rightWidth = Math.ceil(Math.max(80, ...services.map((s) => s.length * CHAR)));
  const rows = Math.max(identities.length, services.length, 1);
  const height = rows * ROW + 2 * PAD;
  const width = PAD + leftWidth + GAP + rightWidth + PAD;
  const leftX = PAD + leftWidth;
  const rightX = leftX + GAP;
  const yOf = (i: number, n: number) => PAD + ((i + 0.5) * (rows * ROW)) / n;
  const identityY = new Map(identities.map((p, i) => [p, yOf(i, identities.length)]));
  const serviceY = new Map(services.map((s, i) => [s, yOf(i, services.length)]));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="identities and the services they can reach">`,
  );
  for (const identity of report.byIdentity) {
    for (const service of [...new Set(identity.grants.map((g) => g.service))].sort()) {
      const routes = [...new Set(identity.grants.filter((g) => g.service === service).map((g) => g.route))];
      const cls =
        identity.principal === "public"
          ? "edge public"
          : identity.principal === "any-authenticated"
            ? "edge authenticated"
            : "edge";
      out.push(
        `<line class="${cls}" x1="${leftX + 6}" y1="${identityY.get(identity.principal)!.toFixed(1)}" x2="${rightX - 6}" y2="${serviceY.get(service)!.toFixed(1)}"><title>${escapeHtml(`${identity.principal} -> ${service}: ${routes.join(", ")}`)}</title></line>`,
      );
    }
  }
  for (const [p, y] of identityY) {
    out.push(
      `<circle cx="${leftX + 6}" cy="${y.toFixed(1)}" r="3"/><text class="identity" x="${leftX}" y="${(y + 4).toFixed(1)}" text-anchor="end">${escapeHtml(p)}</text>`,
    );
  }
  for (const [s, y] of serviceY) {
    out.push(
      `<circle cx="${rightX - 6}" cy="${y.toFixed(1)}" r="3"/><text class="service" x="${rightX}" y="${(y + 4).toFixed(1)}">${escapeHtml(s)}</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n");
}

function row(cells: readonly string[], tag = "td"): string {
  return `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")}</tr>`;
}

export function reachHtml(report: ReachReport, title: string): string {
  const s = report.summary;
  const parts: string[] = [];
  parts.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`Ward reach: ${title}`)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1d2433; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #c8ccd4; padding: 4px 8px; text-align: left; vertical-align: top; }
td, svg text { font-family: ui-monospace, monospace; font-size: 12px; }
svg { border: 1px solid #c8ccd4; background: #fafbfc; }
.edge { stroke: #6b7a99; stroke-width: 1.2; }
.edge.public { stroke: #c0392b; stroke-width: 2; }
.edge.authenticated { stroke: #d68910; stroke-width: 2; }
svg circle { fill: #1d2433; }
</style>
</head>
<body>
<h1>${escapeHtml(`Ward reach: ${title}`)}</h1>
<h2>Summary</h2>
<table>`);
  parts.push(row(["identities", String(s.identities)]));
  parts.push(row(["grants", String(s.grants)]));
  parts.push(row(["routes reachable", `${s.reachableRoutes} of ${s.routes}`]));
  parts.push(row(["average routes per identity", s.averageRoutesPerIdentity.toFixed(2)]));
  parts.push(row(["widest identities", s.widestIdentities.map((w) => `${w.principal} (${w.routes})`).join(", ")]));
  parts.push(
    row([
      "most exposed routes",
      s.mostExposedRoutes
        .map(
          (e) =>
            `${e.route} (${e.identities}${e.public ? ", public" : ""}${e.anyAuthenticated ? ", any-authenticated" : ""}${principalWidth(e.widest) === 3 ? `, ${e.widest}` : ""})`,
        )
        .join(", "),
    ]),
  );
  parts.push("</table>");
  parts.push(
    "<h2>Identity &rarr; service</h2>\n<p>Each identity's own grants; the table below adds what it reaches as part of a wider principal.</p>",
  );
  parts.push(graph(report));
  parts.push("<h2>By identity</h2>\n<table>");
  const from = inheritance(report);
  parts.push(row(["identity", "route", "methods", "terms"], "th"));
  for (const i of report.byIdentity) {
    for (const g of i.grants) parts.push(row([i.principal, g.route, g.methods.join(","), grantTerms(g)]));
    for (const r of inheritedRows(i, from))
      parts.push(
        "grant" in r
          ? row([i.principal, r.grant.route, r.grant.methods.join(","), inheritedTerms(r)])
          : row([i.principal, "", "", inheritedTerms(r)]),
      );
  }
  parts.push("</table>\n<h2>By route</h2>\n<table>");
  parts.push(row(["route", "path", "methods", "identity", "terms"], "th"));
  for (const r of report.byRoute) {
    if (r.grants.length === 0) parts.push(row([r.route, r.path, r.methods.join(","), "nobody (default deny)", ""]));
    for (const g of r.grants) parts.push(row([r.route, r.path, g.methods.join(","), g.principal, grantTerms(g)]));
    if (r.inheritedBy.length > 0)
      parts.push(row([r.route, r.path, r.methods.join(","), namesOf(r.inheritedBy), "through wider grants"]));
  }
  parts.push("</table>\n</body>\n</html>");
  return parts.join("\n");
}
