// The assertion's `iss` is ASSERTION_ISSUER, or "ward" when it is unset or blank: a blank var is read as unset,
// as every other blank var is, and as ward doctor reads it (an environment that names "ward" and one whose
// issuer is blank sign alike, and doctor says they share an issuer). It was `?? "ward"`: a blank one signed
// with a blank `iss`, while the docs said "ward".
import { env, exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const bindings = env as unknown as Env;

beforeAll(async () => {
  await activate(demoPolicy);
});

afterEach(() => {
  delete bindings.ASSERTION_ISSUER;
});

async function issuerSigned(): Promise<unknown> {
  const m = marker();
  const res = await exports.default.fetch(`https://payments.localhost/healthz?${m}`);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  const seen = await originSaw(m);
  expect(seen).toHaveLength(1);
  return decodeJwt(String(seen[0]!.headers["ward-assertion"])).iss;
}

describe("the assertion's issuer", () => {
  it.each([
    ["unset", "ward", undefined],
    ["blank", "ward", ""],
    ["only spaces", "ward", "  "],
    ["set", "ward-staging", "ward-staging"],
  ])("ASSERTION_ISSUER %s: iss %s", async (_, expected, issuer) => {
    if (issuer !== undefined) bindings.ASSERTION_ISSUER = issuer;
    expect(await issuerSigned()).toBe(expected);
  });
});
