// docs/rollout.md is a script: every `$ npm run ward -- ...` and `$ curl ...` line runs, in order, against a real local
// gateway whose decision log goes to a file, and every output line the page shows must be printed.
import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import { writeDemoCertificateHeaders } from "../../scripts/dev/demo-certificates.ts";
import { startLocalGateway, type LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { send } from "../support/http-request.ts";
import { wardLines } from "../support/ward-cli.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "ward-rollout-test-"));
const log = join(dir, "gateway.log");
let gateway: LocalGateway;
let port: string;
let certs: Record<string, string>;

interface Step {
  command: string;
  expected: string[];
}

/** The CLI as a fresh clone runs it (README); a bare `ward ...` line would not run there, and fails below. */
const WARD = "npm run ward -- ";

/** The `$ ` lines of the page's code blocks, each with the lines shown after it. */
function steps(markdown: string): Step[] {
  const out: Step[] = [];
  let inBlock = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) {
      inBlock = !inBlock;
      continue;
    }
    if (!inBlock) continue;
    if (line.startsWith("$ ")) out.push({ command: line.slice(2), expected: [] });
    else if (out.length > 0 && line.trim() !== "" && inBlock) out.at(-1)!.expected.push(line);
  }
  return out;
}

/** Shell-like words: spaces split, double quotes group. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

beforeAll(async () => {
  const text = readFileSync(join(ROOT, "policy/examples/demo.yaml"), "utf8");
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error("demo invalid");
  gateway = await startLocalGateway({
    policy: loaded.policy,
    policyText: text,
    port: 0,
    origins: {},
    onLog: (line) => {
      if (line.trimStart().startsWith("{")) appendFileSync(log, `${line.trim()}\n`);
    },
  });
  port = gateway.url.port;
  certs = await writeDemoCertificateHeaders(join(dir, "ward-dev"));
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("docs/rollout.md runs as written", async () => {
  const page = readFileSync(join(ROOT, "docs/rollout.md"), "utf8");
  const all = steps(page);
  expect(all.filter((s) => s.command.startsWith(WARD)).length).toBeGreaterThanOrEqual(8);
  for (const step of all) {
    let output: string;
    if (step.command.startsWith(WARD)) {
      const args = words(step.command.slice(WARD.length)).flatMap((w) =>
        w === "--local" ? ["--local", "--port", port] : w === "gateway.log" ? [log] : [w],
      );
      const ward = await wardLines(...args);
      output = ward.output;
      expect(`${step.command} -> ${ward.status}`, output).toBe(`${step.command} -> 0`);
      if (/^(push|rollback|shadow (set|promote)|exceptions (grant|revoke)|breakglass --)/.test(args.join(" "))) {
        // Gateways re-read the pointers (and grants) every 2 s locally: wait, then let one request start the refresh.
        await new Promise((r) => setTimeout(r, 2100));
        await send(Number(port), `http://nothing.localhost:${port}/`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } else if (step.command.startsWith("curl ")) {
      const command = step.command
        .replaceAll(":8787", `:${port}`)
        .replaceAll("/tmp/ward-dev/checkout.headers", certs.checkout!);
      output = (await run("bash", ["-c", command])).stdout;
    } else {
      throw new Error(`the page has a command this test cannot run: ${step.command}`);
    }
    for (const line of step.expected) expect(output.split("\n"), `${step.command}\n${output}`).toContain(line);
  }
}, 120_000);
