// `npm run load`: 60 s of mixed allowed and denied traffic with wrk against the local gateway on 127.0.0.1,
// then the checks: no 5xx from the gateway, workerd's memory stable, and no over-granted exception uses or
// rate-limit admissions (counted from the gateway's own decision log). Exits 1 when a check fails.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { loadPolicy } from "../../policy/index.ts";
import { writeDemoCertificateHeaders } from "../../scripts/dev/demo-certificates.ts";
import { startLocalGateway } from "../../scripts/dev/local-gateway.ts";
import { send } from "../support/http-request.ts";
import { ownWorkerdPids, residentKb } from "../support/process-tree.ts";

const run = promisify(execFile);
const { values } = parseArgs({ options: { seconds: { type: "string", default: "60" } } });
const SECONDS = Number(values.seconds);
const EXCEPTION_USES = 25;
const RATE_LIMIT = 50;

// The demo policy plus a rate-limited route on the wiki.
const demo = readFileSync(fileURLToPath(new URL("../../policy/examples/demo.yaml", import.meta.url)), "utf8");
const policyText = demo.replace(
  '  wiki:\n    hosts: [wiki.localhost]\n    origin: { tunnel: WIKI }\n    owner: "#help-wiki on chat, or it-helpdesk@example.com"\n    routes:\n',
  `  wiki:\n    hosts: [wiki.localhost]\n    origin: { tunnel: WIKI }\n    owner: "#help-wiki on chat, or it-helpdesk@example.com"\n    routes:\n      - id: limited\n        methods: [GET]\n        path: /limited\n        rules:\n          - id: employees\n            effect: allow\n            principals: [{ emailDomain: example.com }]\n            rateLimit: { limit: ${RATE_LIMIT}, period: 60s }\n`,
);
if (policyText === demo) throw new Error("load policy: the wiki service was not found in the demo policy");

const dir = mkdtempSync(join(tmpdir(), "ward-load-"));
const decisions: Record<string, unknown>[] = [];
/** Error-level lines of the gateway (unhandled errors, unavailable stores), shown when a check fails. */
const errors: string[] = [];
const loaded = await loadPolicy(policyText);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
const gateway = await startLocalGateway({
  policy: loaded.policy,
  policyText,
  port: 0,
  origins: {},
  onLog: (line) => {
    if (!line.startsWith("{")) return;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.event === "decision") decisions.push(record);
    if (record.level === "error" && errors.length < 20) errors.push(line);
  },
});
const port = Number(gateway.url.port);

try {
  const token = async (email: string, groups = "") =>
    (await send(port, `http://access.localhost:${port}/cdn-cgi/access/dev-token?email=${email}&groups=${groups}`)).body;
  const admin = await token("admin@example.com", "ward-admins");
  const alice = await token("alice@example.com");
  const mallory = await token("mallory@contractor.test");
  const certs = await writeDemoCertificateHeaders(dir);
  const blob = readFileSync(certs.checkout!, "utf8")
    .replace(/^MF-CF-Blob: /, "")
    .trim();

  // An exception with a use limit, for a caller the policy denies.
  const granted = await send(port, `http://ward.localhost:${port}/.ward/admin/exceptions`, {
    method: "POST",
    headers: { "cf-access-jwt-assertion": admin, "content-type": "application/json" },
    body: JSON.stringify({
      principal: { email: "mallory@contractor.test" },
      service: "wiki",
      routes: ["read"],
      methods: ["GET"],
      notAfter: new Date(Date.now() + 3600_000).toISOString(),
      maxUses: EXCEPTION_USES,
      reason: "load test",
      ticket: "LOAD-1",
      requestedBy: "load",
      approvedBy: "load",
    }),
  });
  if (granted.status !== 201)
    throw new Error(`could not grant the load-test exception: ${granted.status} ${granted.body}`);
  const grantId = (JSON.parse(granted.body) as { grant: { id: string } }).grant.id;
  await new Promise((r) => setTimeout(r, 2100)); // the gateway re-reads grants every 2 s

  // The mix, one request shape per line: allowed, denied, excepted, rate-limited, workloads, anonymous.
  const lua = join(dir, "mix.lua");
  const q = (s: string) => JSON.stringify(s);
  writeFileSync(
    lua,
    `local requests = {
  { "GET", "wiki.localhost", "/page", { ["cf-access-jwt-assertion"] = ${q(alice)} } },
  { "GET", "wiki.localhost", "/page", { ["cf-access-jwt-assertion"] = ${q(mallory)} } },
  { "POST", "wiki.localhost", "/page", { ["cf-access-jwt-assertion"] = ${q(alice)} } },
  { "GET", "wiki.localhost", "/limited", { ["cf-access-jwt-assertion"] = ${q(alice)} } },
  { "GET", "orders.localhost", "/v1/orders/42", { ["MF-CF-Blob"] = ${q(blob)} } },
  { "GET", "orders.localhost", "/admin/users", { ["MF-CF-Blob"] = ${q(blob)} } },
  { "POST", "payments.localhost", "/v1/charge", {} },
  { "GET", "payments.localhost", "/healthz", {} },
  { "GET", "nothing.localhost", "/", {} },
}
local i = 0
-- Per-thread counters (each wrk thread has its own Lua state); done() adds them up.
c2, c3, c4, c5 = 0, 0, 0, 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
request = function()
  i = i % #requests + 1
  local r = requests[i]
  r[4]["Host"] = r[2] .. ":${port}"
  return wrk.format(r[1], r[3], r[4])
end
response = function(status, headers, body)
  if status >= 500 then
    io.write("5xx-response ", status, " ward-request-id=", tostring(headers["ward-request-id"]), " body=", string.sub(body or "", 1, 200), "\\n")
  end
  if status >= 500 then c5 = c5 + 1 elseif status >= 400 then c4 = c4 + 1 elseif status >= 300 then c3 = c3 + 1 else c2 = c2 + 1 end
end
done = function()
  local t = { 0, 0, 0, 0 }
  for _, thread in ipairs(threads) do
    t[1] = t[1] + thread:get("c2"); t[2] = t[2] + thread:get("c3"); t[3] = t[3] + thread:get("c4"); t[4] = t[4] + thread:get("c5")
  end
  io.write("status 2xx ", t[1], "\\n", "status 3xx ", t[2], "\\n", "status 4xx ", t[3], "\\n", "status 5xx ", t[4], "\\n")
end
`,
  );

  // workerd's memory, sampled through the run: this run's own workerd only, found afresh at every sample among
  // this process's descendants (another workerd on the machine is not counted, and one of ours that exits
  // between the listing and the read counts as gone rather than crashing the run).
  const rssKb = () => ownWorkerdPids().reduce((sum, pid) => sum + (residentKb(pid) ?? 0), 0);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssKb()), 2000);
  const started = Date.now();
  const { stdout } = await run("wrk", ["-t1", "-c8", `-d${SECONDS}s`, "-s", lua, `http://127.0.0.1:${port}/`], {
    maxBuffer: 1 << 20,
  });
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 500)); // the last log lines

  const statuses = new Map([...stdout.matchAll(/^status (\dxx) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const fiveHundreds = statuses.get("5xx") ?? 0;
  const socketErrors = /Socket errors: (.*)/.exec(stdout)?.[1];
  const exceptionUses = decisions.filter(
    (d) => (d.exception as { id?: string } | null)?.id === grantId && d.effect === "allow",
  ).length;
  const limitedByWindow = new Map<number, number>();
  for (const d of decisions) {
    if (d.route !== "wiki/limited" || d.status !== 200) continue;
    const window = Math.floor(Date.parse(String(d.time)) / 60_000);
    limitedByWindow.set(window, (limitedByWindow.get(window) ?? 0) + 1);
  }
  const limited429 = decisions.filter((d) => d.route === "wiki/limited" && d.status === 429).length;
  // workerd under Miniflare grows its RSS for the first seconds of any load (a trivial Worker too: it climbs
  // to ~400 MiB and levels off, see docs/performance.md), so the first third is warm-up; memory is stable
  // when the last third is within 20% of the middle one.
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const early = mean(samples.slice(third, 2 * third));
  const late = mean(samples.slice(-third));

  const checks: [string, boolean, string][] = [
    [
      "requests answered",
      total > 0,
      `${total} in ${((Date.now() - started) / 1000).toFixed(0)} s (${(total / SECONDS).toFixed(0)}/s)`,
    ],
    ["no 5xx from the gateway", fiveHundreds === 0, `${fiveHundreds} of ${total}`],
    [
      "every response logged as a decision",
      decisions.length >= total,
      `${decisions.length} decisions for ${total} responses`,
    ],
    [
      "exception uses exact",
      exceptionUses === EXCEPTION_USES,
      `${exceptionUses} allowed by ${grantId} (limit ${EXCEPTION_USES})`,
    ],
    [
      "rate limit never over-granted",
      [...limitedByWindow.values()].every((n) => n <= RATE_LIMIT) && limited429 > 0,
      `per window ${JSON.stringify([...limitedByWindow.values()])} (limit ${RATE_LIMIT}), ${limited429} answered 429`,
    ],
    [
      "workerd memory stable after warm-up",
      early > 0 && late <= early * 1.2, // 0: no workerd of this run was found, so nothing was measured
      `RSS ${(early / 1024).toFixed(0)} MiB in the middle third, ${(late / 1024).toFixed(0)} MiB in the last`,
    ],
  ];
  console.log(
    [...statuses].map(([s, n]) => `${s}: ${n}`).join("  ") + (socketErrors ? `  socket errors: ${socketErrors}` : ""),
  );
  console.log(`workerd RSS samples (MiB): ${samples.map((kb) => (kb / 1024).toFixed(0)).join(" ")}`);
  for (const [name, ok, detail] of checks) console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  for (const d of decisions.filter((x) => Number(x.status) >= 500).slice(0, 10))
    console.log(`5xx: ${JSON.stringify(d)}`);
  for (const line of errors) console.log(`error: ${line}`);
  for (const line of stdout.split("\n").filter((l) => l.startsWith("5xx-response"))) console.log(line);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
}
