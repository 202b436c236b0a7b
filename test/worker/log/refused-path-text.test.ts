// A refused request's path is logged as received, and bare workerd (or Cloudflare with URL normalisation off)
// hands the Worker the request target's UTF-8 as is: `GET /v1/\xe2\x80\xae.../../healthz` reaches request.url
// with a raw U+202E. The canonicaliser refuses it (path-dot-segment), and the line must still hold plain text
// only: a bidirectional override, U+2028 (a line end to JavaScript and some log viewers) or a C1 control would go
// from the log to `ward why` and `ward metrics` on an operator's terminal. Anything outside printable ASCII is
// percent-encoded (policy/decision-log.ts); a decided request's canonical path is ASCII already.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { isCleanText } from "../../../policy/index.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";

beforeAll(async () => {
  await activate(demoPolicy);
});

afterEach(() => vi.restoreAllMocks());

async function decisionLines(call: () => Promise<Response>): Promise<{ res: Response; lines: string[] }> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  const res = await call();
  await res.text();
  vi.restoreAllMocks();
  return { res, lines: lines.filter((l) => l.includes('"event":"decision"')) };
}

describe("the decision line of a refused path holds only plain text", () => {
  it.each([
    ["a right-to-left override", "\u202e", "%E2%80%AE"],
    ["a line separator", "\u2028", "%E2%80%A8"],
    ["a C1 control (NEL)", "\u0085", "%C2%85"],
  ])("logs %s percent-encoded", async (_name, ch, encoded) => {
    const m = marker();
    const { res, lines } = await decisionLines(() =>
      fetchRaw(rawRequest(`https://payments.localhost/v1/${ch}exe.txt/../healthz?${m}`)),
    );
    expect(res.status).toBe(400);
    expect(await originSaw(m)).toEqual([]);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { path: string; problem: string };
    expect(line.problem).toBe("path-dot-segment");
    expect(line.path).toBe(`/v1/${encoded}exe.txt/../healthz`);
    expect(isCleanText(lines[0]!)).toBe(true);
  });
});
