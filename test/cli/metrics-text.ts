// The text report of `ward metrics` read back and compared with its JSON report (metrics-differential.test.ts):
// the same figures, durations in the largest unit that fits (docs/operations.md: `90d`, `1.5h`, `10m`).

const UNITS: [string, number][] = [
  ["d", 86_400],
  ["h", 3_600],
  ["m", 60],
  ["s", 1],
];

/** Problems with a printed duration against its seconds: value off by more than its rounding, or a smaller unit. */
function duration(printed: string | undefined, seconds: number | null, what: string, left = false): string[] {
  if (seconds === null) return printed === "?" ? [] : [`${what}: printed ${printed} for no value`];
  if (printed === undefined) return [`${what}: missing`];
  const expired = /^expired (.+) ago$/.exec(printed);
  const body = expired ? expired[1]! : printed;
  const m = /^(-?\d+(?:\.\d+)?)([dhms])$/.exec(body);
  if (!m) return [`${what}: ${JSON.stringify(printed)} is no duration`];
  const unit = UNITS.find(([u]) => u === m[2])![1];
  const value = Number(m[1]) * unit * (expired ? -1 : 1);
  const out: string[] = [];
  if (Math.abs(value - seconds) > 0.05 * unit + 1e-6) out.push(`${what}: printed ${printed} for ${seconds}s`);
  if (left && seconds < 0 && !expired) out.push(`${what}: printed ${printed} for ${seconds}s (not "expired … ago")`);
  const abs = Math.abs(seconds);
  const fits = UNITS.find(([, n]) => abs >= n)?.[1] ?? 1;
  if (unit < fits && abs >= fits * 1.001) out.push(`${what}: printed ${printed} for ${seconds}s (a larger unit fits)`);
  return out;
}

/** The rows of the section whose title starts with `title`, each split at runs of two spaces or more. */
function section(lines: string[], title: string): { title: string; rows: string[][] } | undefined {
  const i = lines.findIndex((l) => l.startsWith(title));
  if (i < 0) return undefined;
  const rows: string[][] = [];
  if (lines[i + 1]?.trim() === "(none)" || lines[i]!.includes("no baseline")) return { title: lines[i]!, rows };
  for (let j = i + 2; j < lines.length && lines[j]!.trim() !== ""; j++) rows.push(lines[j]!.trim().split(/\s{2,}/));
  return { title: lines[i]!, rows };
}

type J = Record<string, any>;

export function textAgrees(lines: string[], m: J): string[] {
  const out: string[] = [];
  const eq = (what: string, got: unknown, want: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      out.push(`${what}: text ${JSON.stringify(got)?.slice(0, 300)}, json ${JSON.stringify(want)?.slice(0, 300)}`);
  };
  const win = lines.find((l) => l.startsWith("window"));
  eq("window", win?.split(/\s+/).slice(1), [m.window.from ?? "?", "..", m.window.to ?? "?"]);
  eq("now", lines.find((l) => l.startsWith("now"))?.split(/\s+/)[1], m.window.now ?? "?");
  const t = lines.indexOf("totals:");
  const totals = lines[t + 2]?.trim().split(/\s+/).map(Number);
  const tj = m.totals;
  eq("totals", totals, [tj.decisions, tj.allowed, tj.denied, tj.auditWouldDeny, tj.linesSkipped, tj.duplicatesDropped]);

  const counted = (title: string, list: { key: string; count: number }[] | null, what: string) => {
    const s = section(lines, title);
    if (!s) return out.push(`${what}: no section`);
    eq(
      what,
      s.rows.map(([count, ...key]) => ({ key: key.join("  "), count: Number(count) })),
      list ?? [],
    );
    return s;
  };
  const id = counted("denied attempts by identity", m.denied.byIdentity, "denied by identity");
  if (typeof id === "object") {
    const n = /not listed: (\d+) unauthenticated/.exec(id.title);
    eq("unauthenticated", n ? Number(n[1]) : undefined, m.denied.unauthenticated);
    const u = /(\d+) refusals? while a store was unavailable/.exec(id.title);
    eq("unavailable", u ? Number(u[1]) : 0, m.denied.unavailable);
  }
  counted("denied attempts by target", m.denied.byTarget, "denied by target");
  const paths = counted("new call paths", m.newCallPaths.paths, "new call paths");
  if (typeof paths === "object") {
    const n = m.newCallPaths;
    if ((n.paths === null) !== paths.title.includes("no baseline"))
      out.push(`new call paths: text ${JSON.stringify(paths.title)}, json paths ${JSON.stringify(n.paths)}`);
    if (n.paths !== null) {
      const said =
        /baseline: the (\d+) decisions? (?:before the midpoint (\S+)\)|of the --baseline log(?: \((\d+) duplicates? dropped\))?)/.exec(
          paths.title,
        );
      eq("new call paths baseline", said && [Number(said[1]), said[2] ?? null, Number(said[3] ?? 0)], [
        n.baselineDecisions,
        n.splitAt,
        n.baselineDuplicatesDropped,
      ]);
    }
  }

  const ex = section(lines, "exceptions used");
  if (!ex) out.push("exceptions: no section");
  else {
    eq(
      "exceptions",
      ex.rows.map((r) => [r[0], Number(r[1]), r[4], r[5]]),
      m.exceptions.map((e: J) => [e.id, e.uses, e.firstUse ?? "?", e.lastUse ?? "?"]),
    );
    ex.rows.forEach((r, i) => {
      const e = m.exceptions[i];
      if (!e) return;
      out.push(...duration(r[2], e.ageSeconds, `exception ${e.id} age`));
      out.push(...duration(r[3], e.secondsLeft, `exception ${e.id} left`, true));
    });
  }

  const lifetimes = (title: string, list: J[], keys: string[], what: string) => {
    const s = section(lines, title);
    if (!s) return out.push(`${what}: no section`);
    eq(
      what,
      s.rows.map((r) => [...r.slice(0, keys.length), Number(r[keys.length]), Number(r[keys.length + 1])]),
      list.map((x) => [...keys.map((k) => x[k] ?? "-"), x.count, x.credentials]),
    );
    s.rows.forEach((r, i) => {
      const x = list[i];
      if (!x) return;
      out.push(...duration(r[keys.length + 2], x.medianSeconds, `${what} ${r[0]} median`));
      out.push(...duration(r[keys.length + 3], x.maxSeconds, `${what} ${r[0]} max`));
    });
    return s;
  };
  lifetimes("credential lifetimes seen", m.credentialLifetimes, ["kind"], "lifetimes by kind");
  lifetimes("credential lifetimes by issuer", m.credentialLifetimesByIssuer, ["kind", "issuer"], "lifetimes by issuer");
  lifetimes("credential lifetimes by identity", m.credentialLifetimesByIdentity, ["identity"], "lifetimes by identity");
  return out;
}
