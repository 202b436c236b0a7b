// Generated differential test of `ward metrics`: random decision logs (many identities, services, routes, effects,
// statuses, credentials, exceptions; duplicate request ids within and across files and the baseline; other events;
// export wrappers; gzip, CRLF; --since/--until/--now/--top/--script at the edges of decisions' times) run through
// scripts/ward.ts's main, the JSON report compared with an oracle written from docs/operations.md
// (metrics-oracle.ts), and the text report with the JSON (metrics-text.ts). Each figure is its own test, so one
// that disagrees does not hide another. A failure names its seed; WARD_METRICS_SEED=<seed> starts the run there
// (WARD_METRICS_RUNS sets how many cases).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedFrom } from "../support/prng.ts";
import { wardLines } from "../support/ward-cli.ts";
import { type Case, type Line, makeCase } from "./metrics-cases.ts";
import { oracle } from "./metrics-oracle.ts";
import { textAgrees } from "./metrics-text.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-metrics-gen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = seedFrom("WARD_METRICS_SEED", 20261124);
const RUNS = Number(process.env.WARD_METRICS_RUNS ?? 150);

function args(c: Case): string[] {
  const write = (name: string, lines: Line[], i: number) => {
    const { gz, crlf, open } = c.form[i]!;
    const path = join(dir, `${c.seed}-${name}.jsonl${gz ? ".gz" : ""}`);
    const eol = crlf ? "\r\n" : "\n";
    const text = lines.map((l) => l.text).join(eol) + (open ? "" : eol);
    writeFileSync(path, gz ? gzipSync(text) : text);
    return path;
  };
  const out = c.files.map((f, i) => write(`log${i}`, f, i));
  if (c.baseline) out.push("--baseline", write("baseline", c.baseline, c.files.length));
  for (const flag of ["since", "until", "now", "top", "script"] as const)
    if (c.flags[flag] !== undefined) out.push(`--${flag}`, String(c.flags[flag]));
  return out;
}

const sortedEntries = (xs: [string, unknown][]) => [...xs].sort((a, b) => (a[0] < b[0] ? -1 : 1));
const sortedById = (xs: { id: string }[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));

type Figure =
  | "window and totals"
  | "denied attempts"
  | "exceptions"
  | "credential lifetimes"
  | "new call paths"
  | "security events"
  | "text";
const problems = new Map<Figure, string[]>();
const disagreeing = new Map<Figure, number>();

beforeAll(async () => {
  for (let run = 0; run < RUNS; run++) {
    const seed = SEED + run;
    const c = makeCase(seed);
    const a = args(c);
    const o = oracle(c);
    const say = (figure: Figure, what: string, got: unknown, want: unknown) => {
      const list = problems.get(figure) ?? [];
      problems.set(figure, list);
      disagreeing.set(figure, (disagreeing.get(figure) ?? 0) + 1);
      if (list.length < 6)
        list.push(
          `seed ${seed} (flags ${JSON.stringify(c.flags)}): ${what}: got ${JSON.stringify(got)?.slice(0, 600)}, want ${JSON.stringify(want)?.slice(0, 600)}`,
        );
    };
    const check = (figure: Figure, what: string, got: unknown, want: unknown) => {
      if (JSON.stringify(got) !== JSON.stringify(want)) say(figure, what, got, want);
    };
    const j = await wardLines("metrics", ...a, "--format", "json");
    if (j.status !== 0) {
      say("window and totals", "exit", j.status, 0);
      continue;
    }
    const m = JSON.parse(j.out.join("\n"));
    check("window and totals", "window", m.window, o.window);
    check("window and totals", "totals", m.totals, o.totals);
    check("denied attempts", "denied", m.denied, o.denied);
    check("exceptions", "exceptions", sortedById(m.exceptions), sortedById([...o.exceptions.values()]));
    check(
      "credential lifetimes",
      "by kind",
      sortedEntries(m.credentialLifetimes.map(({ kind, ...rest }: any) => [kind, rest])),
      sortedEntries([...o.byKind]),
    );
    check(
      "credential lifetimes",
      "by issuer",
      sortedEntries(
        m.credentialLifetimesByIssuer.map(({ kind, issuer, ...rest }: any) => [JSON.stringify([kind, issuer]), rest]),
      ),
      sortedEntries([...o.byIssuer]),
    );
    check("credential lifetimes", "by identity", m.credentialLifetimesByIdentity, o.byIdentity);
    check("new call paths", "newCallPaths", m.newCallPaths, o.newCallPaths);
    // Security events without --since/--until (the docs do not say which times a window keeps of them).
    if (o.ssf && !c.flags.since && !c.flags.until) {
      const t = m.ssf?.timeToRefusal;
      check(
        "security events",
        "ssf",
        t && {
          deliveries: m.ssf.deliveries,
          refusing: t.refusing,
          linked: t.linked,
          medianSeconds: t.medianSeconds ?? null,
          maxSeconds: t.maxSeconds ?? null,
        },
        o.ssf,
      );
    }
    const text = await wardLines("metrics", ...a);
    if (text.status !== 0) say("text", "exit", text.status, 0);
    else for (const p of textAgrees(text.out.join("\n").split("\n"), m)) say("text", p, "", "");
  }
}, 120_000);

// The smallest case of what the generated logs found: a line that logs every credential of its request
// (`credentials`, docs: "is read too") beside the one behind the principal is one request with one credential.
it("a credential in both `credential` and `credentials` is one request and one credential", async () => {
  const cert = { kind: "client-certificate", lifetimeSeconds: 86_400 };
  const line = {
    level: "info",
    event: "decision",
    time: "2026-11-24T08:00:00.000Z",
    requestId: "one",
    principal: "spiffe://td/ns/ci/sa/runner",
    route: "orders/list",
    effect: "allow",
    reasons: ["allowed-by-rule"],
    status: 200,
    credential: cert,
    credentials: [cert],
  };
  const path = join(dir, "credentials-list.jsonl");
  writeFileSync(path, `${JSON.stringify(line)}\n`);
  const m = JSON.parse((await wardLines("metrics", path, "--format", "json")).out.join("\n"));
  expect(m.credentialLifetimes).toEqual([
    { kind: "client-certificate", count: 1, credentials: 1, medianSeconds: 86_400, maxSeconds: 86_400 },
  ]);
});

describe(`ward metrics on ${RUNS} generated logs (WARD_METRICS_SEED=${SEED})`, () => {
  const figures: Figure[] = [
    "window and totals",
    "denied attempts",
    "exceptions",
    "credential lifetimes",
    "new call paths",
    "security events",
    "text",
  ];
  for (const figure of figures)
    it(`${figure}: as docs/operations.md defines them`, () => {
      const list = problems.get(figure) ?? [];
      expect(list, `${disagreeing.get(figure) ?? 0} disagreements (the first 6 shown)`).toEqual([]);
    });
});
