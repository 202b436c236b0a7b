// Every request Ward answers leaves exactly one decision-log line (event "decision") with the request id the
// client was given, the status it got and a reason from the closed vocabularies: decided requests, bad ones,
// bodies on GET, Ward's own paths (key set, portal, admin API), no policy, and anything unexpected.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { ANSWER_REASONS, asDecisionLine, REASONS } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { resetPolicyCache } from "../../../worker/policy-store/store.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";

const signing = inject("accessPrivateJwk");
const bindings = env as unknown as Env;
const KNOWN_REASONS: readonly string[] = [...REASONS, ...ANSWER_REASONS];

beforeAll(async () => {
  await activate(demoPolicy);
});

afterEach(() => {
  vi.restoreAllMocks();
});

type Line = Record<string, unknown>;

/** The response, its body, the decision lines and every other JSON line written while it was answered. */
async function logged(
  call: () => Promise<Response>,
): Promise<{ res: Response; body: string; decisions: Line[]; others: Line[] }> {
  const lines: string[] = [];
  const out = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  const err = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  const res = await call();
  const body = await res.text();
  out.mockRestore();
  err.mockRestore();
  const parsed = lines.map((l) => JSON.parse(l) as Line);
  return {
    res,
    body,
    decisions: parsed.filter((l) => l.event === "decision"),
    others: parsed.filter((l) => l.event !== "decision"),
  };
}

/** Exactly one decision line, for the id the client got, with this status and these reasons. */
function expectOneLine(res: Response, decisions: Line[], status: number, reasons: string[]): Line {
  expect(decisions).toHaveLength(1);
  const line = decisions[0]!;
  expect(res.status).toBe(status);
  expect(line).toMatchObject({ requestId: res.headers.get("ward-request-id"), status, reasons });
  expect(typeof line.time).toBe("string");
  expect(typeof line.latencyMs).toBe("number");
  for (const reason of line.reasons as string[]) expect(KNOWN_REASONS).toContain(reason);
  // The line is the contract `ward why`, `ward metrics` and `ward shadow report` read: read back whole.
  expect(asDecisionLine(line)).toEqual(line);
  return line;
}

const token = (email: string) => accessToken(signing, { email, identity_nonce: `n-${email}` });

describe("decided requests", () => {
  it("a forwarded request", async () => {
    const m = marker();
    const { res, decisions } = await logged(() => exports.default.fetch(`https://payments.localhost/healthz?${m}`));
    expectOneLine(res, decisions, 200, ["allowed-by-rule"]);
    expect(await originSaw(m)).toHaveLength(1);
  });

  it("a target the canonicaliser refuses, logged with the path as received", async () => {
    const m = marker();
    const { res, decisions } = await logged(() =>
      fetchRaw(rawRequest(`https://payments.localhost/v1/../healthz?${m}`)),
    );
    const line = expectOneLine(res, decisions, 400, ["bad-request"]);
    expect(line).toMatchObject({ problem: "path-dot-segment", host: "payments.localhost", path: "/v1/../healthz" });
    expect(await originSaw(m)).toEqual([]);
  });

  it("a request.url that does not parse: a bad request, not an internal error", async () => {
    const m = marker();
    const { res, decisions } = await logged(() => fetchRaw(rawRequest(`http://pay ments.localhost/healthz?${m}`)));
    expect(expectOneLine(res, decisions, 400, ["bad-request"])).toMatchObject({ problem: "host-invalid" });
    expect(await originSaw(m)).toEqual([]);
  });

  it("a POST to a request.url that does not parse, with an Origin: a bad request too, not an internal error", async () => {
    const m = marker();
    const { res, decisions } = await logged(() =>
      fetchRaw(
        rawRequest(`http://pay ments.localhost/v1/charge?${m}`, {
          method: "POST",
          body: "{}",
          headers: { origin: "https://payments.localhost", "cf-access-jwt-assertion": "x.y.z" },
        }),
      ),
    );
    expect(expectOneLine(res, decisions, 400, ["bad-request"])).toMatchObject({ problem: "host-invalid" });
    expect(await originSaw(m)).toEqual([]);
  });

  it.each(["GET", "HEAD"])("a %s with a body: 400 body-not-allowed, the origin never called", async (method) => {
    const m = marker();
    const { res, body, decisions } = await logged(() =>
      fetchRaw(rawRequest(`https://payments.localhost/healthz?${m}`, { method, body: "x=1" })),
    );
    const line = expectOneLine(res, decisions, 400, ["body-not-allowed"]);
    expect(line).toMatchObject({ service: "payments", method, path: "/healthz" });
    if (method === "GET")
      expect(JSON.parse(body)).toEqual({ error: "bad request", requestId: res.headers.get("ward-request-id") });
    expect(await originSaw(m)).toEqual([]);
  });

  it("a failing Analytics Engine write leaves the answer alone and the line written", async () => {
    const m = marker();
    const broken = {
      ...bindings,
      DECISIONS: {
        writeDataPoint: () => {
          throw new Error("dataset full");
        },
      },
    } as unknown as typeof env;
    const { res, decisions, others } = await logged(() =>
      fetchRaw(new Request(`https://payments.localhost/healthz?${m}`), broken),
    );
    expectOneLine(res, decisions, 200, ["allowed-by-rule"]);
    expect(others).toContainEqual(
      expect.objectContaining({ event: "decision-data-point-failed", requestId: res.headers.get("ward-request-id") }),
    );
    expect(await originSaw(m)).toHaveLength(1);
  });
});

describe("Ward's own paths", () => {
  it("the assertion key set", async () => {
    const { res, decisions } = await logged(() =>
      exports.default.fetch("https://payments.localhost/.well-known/ward/jwks.json"),
    );
    const line = expectOneLine(res, decisions, 200, ["ward-key-set"]);
    expect(line).toMatchObject({ effect: null, method: "GET", path: "/.well-known/ward/jwks.json" });
  });

  it("the key set without a usable signing key (503)", async () => {
    const { res, decisions } = await logged(() =>
      fetchRaw(new Request("https://payments.localhost/.well-known/ward/jwks.json"), {
        ...bindings,
        ASSERTION_SIGNING_KEYS: undefined,
      } as unknown as typeof env),
    );
    expectOneLine(res, decisions, 503, ["ward-key-set"]);
  });

  it("a POST to the key set's path is the gateway's, logged once", async () => {
    const m = marker();
    const { res, decisions } = await logged(() =>
      exports.default.fetch(`https://payments.localhost/.well-known/ward/jwks.json?${m}`, { method: "POST" }),
    );
    expectOneLine(res, decisions, 401, ["unauthenticated"]);
    expect(await originSaw(m)).toEqual([]);
  });

  it("the portal, anonymous and signed in (with who it was)", async () => {
    const anonymous = await logged(() => exports.default.fetch("https://wiki.localhost/.ward/apps"));
    expect(expectOneLine(anonymous.res, anonymous.decisions, 401, ["ward-portal"])).toMatchObject({
      principal: "anonymous",
    });
    const headers = { "cf-access-jwt-assertion": await token("ann@example.com") };
    const signedIn = await logged(() => exports.default.fetch("https://wiki.localhost/.ward/apps", { headers }));
    expect(expectOneLine(signedIn.res, signedIn.decisions, 200, ["ward-portal"])).toMatchObject({
      principal: "user:ann@example.com",
      effect: null,
    });
  });

  it("the admin API: refused and answered, each once, with who asked", async () => {
    const refused = await logged(() => exports.default.fetch("https://ward.localhost/.ward/admin/policy"));
    expectOneLine(refused.res, refused.decisions, 401, ["ward-admin"]);
    const headers = { "cf-access-jwt-assertion": await token("admin@example.com") };
    const answered = await logged(() =>
      exports.default.fetch("https://ward.localhost/.ward/admin/policy", { headers }),
    );
    expect(expectOneLine(answered.res, answered.decisions, 200, ["ward-admin"])).toMatchObject({
      principal: "user:admin@example.com",
    });
    // The admin request line stays beside it: not a second decision line.
    expect(answered.others).toContainEqual(
      expect.objectContaining({ event: "admin-request", requestId: answered.res.headers.get("ward-request-id") }),
    );
  });
});

describe("before or instead of a decision", () => {
  it("no policy on a cold isolate: 503 policy-unavailable", async () => {
    resetPolicyCache();
    vi.spyOn(bindings.POLICY, "get").mockRejectedValue(new Error("KV overloaded"));
    const m = marker();
    const { res, decisions } = await logged(() => exports.default.fetch(`https://payments.localhost/healthz?${m}`));
    expect(expectOneLine(res, decisions, 503, ["policy-unavailable"])).toMatchObject({
      effect: "deny",
      level: "error",
      path: "/healthz",
    });
    vi.restoreAllMocks();
    resetPolicyCache();
    expect(await originSaw(m)).toEqual([]);
  });

  it("anything unexpected on the proxy path: 500 internal-error, with the detail for operators only", async () => {
    const m = marker();
    vi.spyOn(crypto, "randomUUID").mockImplementationOnce(() => {
      throw new Error("entropy overloaded");
    });
    const { res, body, decisions } = await logged(() =>
      exports.default.fetch(`https://payments.localhost/healthz?${m}`),
    );
    expect(expectOneLine(res, decisions, 500, ["internal-error"])).toMatchObject({
      effect: "deny",
      level: "error",
      error: "Error: entropy overloaded",
    });
    expect(body).not.toContain("entropy");
    expect(await originSaw(m)).toEqual([]);
  });

  it("anything unexpected on Ward's own paths (Hono's onError): logged once, not again as the portal's", async () => {
    vi.spyOn(crypto, "randomUUID").mockImplementationOnce(() => {
      throw new Error("entropy overloaded");
    });
    const { res, decisions } = await logged(() => exports.default.fetch("https://wiki.localhost/.ward/apps"));
    expectOneLine(res, decisions, 500, ["internal-error"]);
  });

  it("something thrown that is not an Error (Hono passes it on): still one logged 500", async () => {
    vi.spyOn(crypto, "randomUUID").mockImplementationOnce(() => {
      throw "not an Error";
    });
    const { res, decisions } = await logged(() => exports.default.fetch("https://wiki.localhost/.ward/apps"));
    expect(expectOneLine(res, decisions, 500, ["internal-error"])).toMatchObject({ error: "not an Error" });
  });

  it("an error's detail is logged bounded, each control or line separator a ?: it may quote what a client sent", async () => {
    const m = marker(); // before crypto.randomUUID throws
    vi.spyOn(crypto, "randomUUID").mockImplementationOnce(() => {
      throw new Error(`line one\nforged line\u2028${"x".repeat(2000)}`);
    });
    const { res, decisions } = await logged(() => exports.default.fetch(`https://payments.localhost/healthz?${m}`));
    const line = expectOneLine(res, decisions, 500, ["internal-error"]) as { error: string };
    expect(line.error).toBe(`Error: line one?forged line?${"x".repeat(500 - 28)}`);
    expect(await originSaw(m)).toEqual([]);
  });
});
