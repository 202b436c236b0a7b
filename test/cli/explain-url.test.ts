// `ward explain` reads its URL as the gateway reads request.url: the host as the runtime's WHATWG parser gives it
// (userinfo dropped, the authority ending at a backslash, IPv4 numbers and IDNA normalised, default ports gone),
// and the raw path after that host, never resolved. A hostile URL must not be explained as another service.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { explainCommand } from "../../scripts/commands/explain.ts";
import { CliError, EXIT } from "../../scripts/cli-error.ts";
import { wardProcess } from "../support/ward-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ward-explain-url-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const service = (name: string, host: string, effect: "allow" | "deny") => `
  ${name}:
    hosts: [${host}]
    origin: { tunnel: ${name.toUpperCase()} }
    owner: ${name}-team@example.com
    routes:
      - id: all
        methods: [GET]
        pathPrefix: /
        rules: [{ id: anyone, effect: ${effect}, principals: [{ public: true }] }]`;

// Each host its own answer, so which service a URL was read as shows in the verdict.
const POLICY = join(dir, "hosts.yaml");
writeFileSync(
  POLICY,
  `version: 1
metadata: { environment: dev, owners: [security@example.com] }
services:${service("good", "good.example", "allow")}${service("evil", "evil.example", "deny")}${service("books", "xn--bcher-kva.example", "allow")}${service("loopback", "127.0.0.1", "allow")}
`,
);

async function explain(url: string): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const code = await explainCommand([POLICY, "--as", "anonymous", "GET", url], {
    out: (l) => out.push(l),
    err: () => {},
  });
  return { code, text: out.join("\n") };
}

async function usageError(url: string): Promise<CliError> {
  const error = await explain(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe("ward explain reads the host as the runtime does", () => {
  it.each([
    ["userinfo is dropped", "http://evil.example@good.example/x", "good.example/x"],
    ["userinfo with a password", "http://u:p@good.example/x", "good.example/x"],
    ["an upper-case host", "http://GOOD.Example/x", "good.example/x"],
    ["http's default port", "http://good.example:80/x", "good.example/x"],
    ["https's default port", "https://good.example:443/x", "good.example/x"],
    ["another port (the canonical host has none)", "http://good.example:8080/x", "good.example/x"],
    ["a trailing dot", "http://good.example./x", "good.example/x"],
    ["a percent-encoded host", "http://good%2Eexample/x", "good.example/x"],
    ["IPv4 in hex", "http://0x7f.1/x", "127.0.0.1/x"],
    ["IPv4 as one number", "http://2130706433/x", "127.0.0.1/x"],
    ["IPv4 in octal", "http://0177.0.0.1/x", "127.0.0.1/x"],
    ["an IDN host, as punycode", "http://bücher.example/x", "xn--bcher-kva.example/x"],
    ["an upper-case IDN host", "http://BÜCHER.example/x", "xn--bcher-kva.example/x"],
    ["spaces around the URL", "  http://good.example/x  ", "good.example/x"],
    ["a fragment (never sent)", "http://good.example/x#/admin", "good.example/x"],
  ])("%s: %s is GET %s", async (_name, url, request) => {
    const { code, text } = await explain(url);
    expect(text).toContain(`request   GET ${request}\n`);
    expect(code).toBe(EXIT.ok);
  });

  it("a backslash ends the host: http://evil.example\\@good.example/ is evil.example, never good.example", async () => {
    const { code, text } = await explain("http://evil.example\\@good.example/x");
    expect(text).toMatch(/^DENY 400 /);
    expect(text).toContain("read as   GET evil.example \\@good.example/x\n");
    expect(text).toContain("problem   path-backslash");
    expect(text).not.toMatch(/good-team|service {3}good/);
    expect(code).toBe(EXIT.denied);
  });

  it("an IPv6 literal is not a host name a service can have: 400 host-invalid", async () => {
    const { code, text } = await explain("http://[::1]/x");
    expect(text).toContain("read as   GET [::1] /x\n");
    expect(text).toContain("problem   host-invalid");
    expect(code).toBe(EXIT.denied);
  });

  it.each([
    ["an IPv4 form the URL parser refuses", "http://1.2.3.4.5/", "not a URL a client could send"],
    ["a hex IPv4 form the URL parser refuses", "http://0x7f.1.1.1.1/", "not a URL a client could send"],
    ["a port past 65535", "http://good.example:65536/", "not a URL a client could send"],
    ["another scheme", "ftp://good.example/x", "expected an absolute http(s) URL"],
    ["http: without //", "http:good.example/x", "expected an absolute http(s) URL"],
  ])("%s (%s) is a usage error", async (_name, url, message) => {
    const error = await usageError(url);
    expect(error.message).toContain(message);
    expect(error.exitCode).toBe(EXIT.usage);
  });
});

describe("ward explain reads the raw path after that host", () => {
  it.each([
    ["a dot-dot segment", "http://good.example/a/../x", "/a/../x", "path-dot-segment"],
    ["an encoded dot-dot", "http://good.example/a/%2e%2e/x", "/a/%2e%2e/x", "path-encoded-dot"],
    ["a backslash", "http://good.example/a\\..\\x", "/a\\..\\x", "path-backslash"],
    ["a double slash", "http://good.example//x", "//x", "path-empty-segment"],
  ])("%s is refused as the gateway refuses it, not resolved", async (_name, url, path, problem) => {
    const { code, text } = await explain(url);
    expect(text).toContain(`read as   GET good.example ${path}\n`);
    expect(text).toContain(`problem   ${problem}`);
    expect(code).toBe(EXIT.denied);
  });

  it("tabs and newlines are removed, as a URL parser removes them", async () => {
    const { text } = await explain("http://good.example/a\t/x");
    expect(text).toContain("request   GET good.example/a/x\n");
  });
});

it("the real CLI reads http://evil.example\\@good.example/ as evil.example", () => {
  const run = wardProcess("explain", POLICY, "GET", "http://evil.example\\@good.example/x");
  expect(run.stdout).toContain("read as   GET evil.example \\@good.example/x");
  expect(run.status).toBe(EXIT.denied);
}, 30_000);
