// `ward dev` (and `npm start`, which runs it) on a port another program holds: one line that names the port
// and how to choose another, a non-zero exit, no stack trace, and no workerd left running.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const TIMEOUT = 60_000;

let holder: Server;
let port: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((done) => holder.listen(0, "127.0.0.1", done));
  port = (holder.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((done) => holder.close(() => done())));

function wardDev(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["scripts/ward.ts", "dev", ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // Had it started (or hung with workerd behind it), it would still run: stop it and fail.
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      fail(new Error(`ward dev did not exit on a busy port\n${stdout}\n${stderr}`));
    }, TIMEOUT - 5_000);
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

describe("ward dev on a busy port", () => {
  it(
    "one line naming the port and --port, exit 1, no stack trace, nothing printed as started",
    async () => {
      const run = await wardDev("--port", String(port));
      expect(run.stderr).toBe(
        `ward dev: port ${port} on 127.0.0.1 is already in use (another ward dev?): choose another with --port N (npm start -- --port ${port + 1}), or --port 0 for any free port\n`,
      );
      expect(run.stdout).toBe("");
      expect(run.status).toBe(1);
    },
    TIMEOUT,
  );
});
