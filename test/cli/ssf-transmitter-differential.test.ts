// Generated differential test of `ward ssf` against a hostile or odd transmitter (a mock on 127.0.0.1): its
// configuration document (issuer mismatch, URLs on other hosts, http:, userinfo, odd ports, missing, wrongly
// typed and repeated members, huge and non-JSON bodies, redirects, slow answers, unknown delivery methods) and
// its stream create, status and verify answers (odd status codes, stream ids, issuers, audiences, delivered
// events, control characters). Run through scripts/ward.ts's main, as an operator sees it, and compared with
// ssf-transmitter-oracle.ts (docs/ssf.md, OpenID SSF 1.0 §7). On every run: an exit status of 0 or 1, no
// line a transmitter's text forged, no control character printed, no http call off this machine; a printed
// policy entry is one `ward validate` takes and names what the transmitter offers. A failure prints its seed;
// WARD_SSFCLI_SEED=<seed> replays it or tries another. Cases: ssf-transmitter-cases.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { terminalText } from "../../scripts/io.ts";
import { seedFrom } from "../support/prng.ts";
import { wardLines } from "../support/ward-cli.ts";
import {
  type Answer,
  type ConfigCase,
  configAnswer,
  configCase,
  FORGED,
  json,
  PUSH,
  rng,
  type StreamCase,
  streamCase,
} from "./ssf-transmitter-cases.ts";
import { expectedConfig, expectedEntry, expectedStream, isLoopback } from "./ssf-transmitter-oracle.ts";

const SEED = seedFrom("WARD_SSFCLI_SEED", 8414);
const CONFIG_CASES = 160;
const STREAM_CASES = 120;
const AUDIENCE = "https://ward.example.com/dev";
const TOKEN = "mgmt-token-1";

const dir = mkdtempSync(join(tmpdir(), "ward-ssf-gen-"));
const POLICY = join(dir, "policy.yaml");
/** What the mock answers, by path. */
const answers = new Map<string, Answer & { delayMs?: number; stall?: boolean }>();
/** Calls the CLI tried off this machine. */
const offMachine: string[] = [];
let server: Server;
let base = "";

const POLICY_HEAD = `version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
`;
const SERVICES = "services: {}\n";

beforeAll(async () => {
  server = createServer(async (req, res) => {
    for await (const _ of req);
    const url = new URL(req.url ?? "/", base);
    if (url.pathname === "/cdn-cgi/access/dev-token") {
      res.writeHead(200);
      return res.end("local-admin-token");
    }
    if (url.pathname === "/.ward/admin/ssf/verification") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end('{"ok":true}');
    }
    const answer = answers.get(url.pathname);
    if (!answer) {
      res.writeHead(404);
      return res.end();
    }
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    res.writeHead(answer.status, answer.headers ?? {});
    if (answer.stall) return void res.write('{"issuer":');
    if (answer.reset) {
      res.write(answer.body ?? "");
      return void setTimeout(() => res.socket?.destroy(), 20);
    }
    if (answer.endless) {
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      res.write('{"pad":"');
      const more = () => {
        while (sent < answer.endless! + chunk.length && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end('"}');
      };
      res.on("error", () => {});
      return more();
    }
    res.end(answer.body ?? "");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(
    POLICY,
    `${POLICY_HEAD}sharedSignals:
  audience: ${AUDIENCE}
  transmitters:
    idp:
      issuer: https://idp.example.com/
      jwksUri: https://idp.example.com/jwks.json
      events: [session-revoked, account-disabled, account-enabled]
${SERVICES}`,
  );
  const realFetch = globalThis.fetch;
  vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) => {
    const target = new URL(String(input instanceof Request ? input.url : input));
    if (target.hostname !== "127.0.0.1") {
      offMachine.push(target.href);
      return Promise.reject(new TypeError("fetch failed"));
    }
    return realFetch(input, init);
  });
  vi.stubEnv("WARD_SSF_TOKEN", TOKEN);
});

afterAll(async () => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** A character no terminal should be sent from a transmitter's text: io.ts's set, tab and newline aside. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

interface Run {
  status: number;
  out: string;
  err: string;
  lines: string[];
}

/** `ward ARGS` as main runs it; an error main lets out (a crash, a stack trace for the operator) is exit -1. */
async function ward(...args: string[]): Promise<Run> {
  let r: Awaited<ReturnType<typeof wardLines>>;
  try {
    r = await wardLines(...args);
  } catch (error) {
    const text = `crashed: ${String(error)}`;
    return { status: -1, out: "", err: text, lines: [text] };
  }
  const out = r.out.join("\n");
  const err = r.err.join("\n");
  return { status: r.status, out, err, lines: `${out}\n${err}`.split("\n") };
}

/** What holds on every run, whatever the transmitter said. */
function always(r: Run, what: string): string[] {
  const wrong: string[] = [];
  if (r.status !== 0 && r.status !== 1) wrong.push(`${what}: exit ${r.status} ${r.status === -1 ? r.err : ""}`);
  const forged = r.lines.findIndex((l) => l.trimStart().startsWith(FORGED));
  if (forged !== -1)
    wrong.push(`${what}: a line the transmitter wrote, after ${JSON.stringify(r.lines[forged - 1])}: exit ${r.status}`);
  const control = r.lines.find((l) => CONTROL.test(l));
  if (control !== undefined) wrong.push(`${what}: a control character printed: ${JSON.stringify(control)}`);
  return wrong;
}

/** The policy entry `ward ssf configuration` printed, in a policy `ward validate` reads. */
async function validates(out: string, keysGiven: boolean): Promise<{ ok: boolean; entry: string; report: string }> {
  const lines = out.split("\n");
  const start = lines.findIndex((l) => l.startsWith("sharedSignals:"));
  if (start === -1) return { ok: false, entry: "", report: "no entry printed" };
  // The mock's loopback http stands for the transmitter's https origin (policy.md: issuer, jwksUri https).
  let entry = lines.slice(start).join("\n").replaceAll(base, "https://idp.example.com");
  // Without a jwks_uri (SSF 1.0 §7.1: optional) the entry leaves the keys for the operator to fill in.
  if (!keysGiven) entry = entry.replace(/jwks: \{ keys: \[\] \}.*/, "jwksUri: https://idp.example.com/keys");
  const file = join(dir, "entry.yaml");
  writeFileSync(file, `${POLICY_HEAD}${entry}\n${SERVICES}`);
  const v = await wardLines("validate", file);
  return { ok: v.status === 0, entry, report: [...v.out, ...v.err].join("\n") };
}

function readEntry(entry: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of entry.split("\n")) {
    const m = /^ {6}(issuer|jwksUri|events|criticalSubjectMembers|poll):(.*?)(\s+#.*)?$/.exec(line);
    if (m) fields[m[1]!] = m[2]!.trim();
  }
  return fields;
}

async function runConfig(c: ConfigCase): Promise<string[]> {
  answers.set(c.servedPath, { ...configAnswer(c), ...(c.delayMs ? { delayMs: c.delayMs } : {}) });
  const what = `configuration case ${c.id} [${c.tags.join("; ")}]`;
  const before = offMachine.length;
  const r = await ward("ssf", "configuration", `${base}${c.byUrl ? c.servedPath : c.issuerPath}`, "--name", "okta");
  const wrong = always(r, what);
  const calls = offMachine.slice(before).filter((u) => new URL(u).protocol !== "https:");
  if (calls.length > 0) wrong.push(`${what}: called ${calls.join(", ")}`);
  const expected = expectedConfig(c, base);
  if (expected.must !== undefined && r.status !== expected.must)
    wrong.push(`${what}: exit ${r.status}, expected ${expected.must} (${expected.why}); out ${JSON.stringify(r.out)}`);
  if (r.status === 0) {
    const v = await validates(r.out, c.document.jwks_uri !== undefined);
    if (!v.ok) wrong.push(`${what}: the printed entry is not a valid policy: ${v.report}\n${v.entry}`);
    const e = expectedEntry(c, base);
    const f = readEntry(r.out);
    const show = (s: unknown) => String(s).replaceAll(base, "https://idp.example.com");
    if (f.issuer !== e.issuer) wrong.push(`${what}: entry issuer ${f.issuer}, expected ${e.issuer}`);
    // As printed: each control character written \uXXXX (docs/operations.md, scripts/io.ts).
    if (
      f.jwksUri !== terminalText(String(e.jwksUri)) &&
      !(e.jwksUri === undefined && /^ {6}jwks: \{ keys: \[\] \}/m.test(r.out))
    )
      wrong.push(`${what}: entry jwksUri ${show(f.jwksUri)}, the transmitter's ${show(JSON.stringify(e.jwksUri))}`);
    if (e.critical !== undefined && f.criticalSubjectMembers !== `[${(e.critical as unknown[]).join(", ")}]`)
      wrong.push(`${what}: criticalSubjectMembers ${f.criticalSubjectMembers}, expected ${JSON.stringify(e.critical)}`);
    if (e.poll !== "poll" in f) wrong.push(`${what}: a poll entry ${"poll" in f}, expected ${e.poll}`);
  }
  return wrong;
}

function streamConfig(c: StreamCase): Answer {
  return json(200, {
    spec_version: "1_0",
    issuer: `${base}/s${c.id}`,
    jwks_uri: `${base}/s${c.id}/jwks.json`,
    delivery_methods_supported: [PUSH],
    configuration_endpoint: `${base}/s${c.id}/stream`,
    status_endpoint: `${base}/s${c.id}/status`,
    verification_endpoint: `${base}/s${c.id}/verify`,
  });
}

async function runStream(c: StreamCase): Promise<string[]> {
  answers.set(`/.well-known/ssf-configuration/s${c.id}`, streamConfig(c));
  const issuer = `${base}/s${c.id}`;
  const port = new URL(base).port;
  const what = `stream case ${c.id} [${c.tags.join("; ")}]`;
  let r: Run;
  if (c.command === "create") {
    answers.set(`/s${c.id}/stream`, c.answer);
    r = await ward(
      "ssf",
      "create",
      issuer,
      "--receiver",
      "https://ward.example.com",
      "--name",
      "idp",
      "--policy",
      POLICY,
    );
  } else if (c.command === "status") {
    answers.set(`/s${c.id}/status`, c.answer);
    answers.set(`/s${c.id}/stream`, c.config!);
    r = await ward("ssf", "status", issuer, "--stream", `stream-${c.id}`);
  } else {
    answers.set(`/s${c.id}/verify`, c.answer);
    r = await ward("ssf", "verify", issuer, "--stream", `stream-${c.id}`, "--name", "idp", "--local", "--port", port);
  }
  const wrong = always(r, what);
  const expected = expectedStream(c, base, AUDIENCE);
  if (expected.must !== undefined && r.status !== expected.must)
    wrong.push(`${what}: exit ${r.status}, expected ${expected.must} (${expected.why}); ${JSON.stringify(r.err)}`);
  // A command printed for the operator to run next carries no shell syntax a transmitter wrote (SSF 1.0 §7.1.1:
  // a stream_id SHOULD be of RFC 3986's unreserved characters).
  for (const line of r.lines.filter((l) => l.startsWith("next: ")))
    if (/[^\w .:/~'=,@-]/.test(line.replace(/'[^']*'/g, "''")) || /--stream \S+ \S/.test(line))
      wrong.push(`${what}: a command to run next that the transmitter wrote: ${JSON.stringify(line)}`);
  if (r.status === 0 && expected.warnOf)
    for (const name of expected.warnOf)
      if (!r.err.includes(name)) wrong.push(`${what}: no warning that ${name} will not be delivered`);
  return wrong;
}

describe(`ward ssf against a generated transmitter (WARD_SSFCLI_SEED=${SEED})`, () => {
  it("reads configurations as docs/ssf.md and SSF 1.0 §7 say", { timeout: 60_000 }, async () => {
    const r = rng(SEED);
    const wrong: string[] = [];
    for (let i = 0; i < CONFIG_CASES; i++) wrong.push(...(await runConfig(configCase(r, i, base))));
    expect(wrong, `seed ${SEED}: WARD_SSFCLI_SEED=${SEED} replays\n${wrong.join("\n")}`).toEqual([]);
  });

  it("creates, checks and verifies streams as docs/ssf.md and SSF 1.0 §7 say", { timeout: 60_000 }, async () => {
    const r = rng(SEED ^ 0x55f);
    const wrong: string[] = [];
    for (let i = 0; i < STREAM_CASES; i++) wrong.push(...(await runStream(streamCase(r, i, base, AUDIENCE))));
    expect(wrong, `seed ${SEED}: WARD_SSFCLI_SEED=${SEED} replays\n${wrong.join("\n")}`).toEqual([]);
  });

  it("gives up on an answer that stalls mid-body (exit 1, no crash)", { timeout: 20_000 }, async () => {
    answers.set("/.well-known/ssf-configuration/stall", { status: 200, stall: true });
    const r = await ward("ssf", "configuration", `${base}/stall`);
    expect([r.status, r.err]).toEqual([1, expect.stringContaining("stall")]);
  });

  it("the cases reach each kind of answer", () => {
    const r = rng(SEED);
    const tags = Array.from({ length: CONFIG_CASES }, (_, i) => configCase(r, i, "http://127.0.0.1:1").tags).flat();
    for (const kind of [
      "issuer ",
      "jwks_uri ",
      "configuration URL",
      "answer redirect",
      "answer endless",
      "twice",
      "critical_subject",
    ])
      expect(
        tags.some((t) => t.includes(kind)),
        kind,
      ).toBe(true);
    expect(isLoopback(new URL("http://localhost.evil.example/"))).toBe(false);
  });
});
