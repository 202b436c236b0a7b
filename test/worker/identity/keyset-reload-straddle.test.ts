// A key set goes stale (KEYS_MAX_AGE_MS) while requests are in flight: one of a later instant drops it and loads
// it again; a request of an instant just before (it started earlier, and reaches the key set a moment later, after
// an Access lookup for instance) found no set and was refused at once, as if the issuer were down, though the set
// was being loaded (from a review of requests sharing an isolate). It waits for that load, as a stale one does.
import { describe, expect, inject, it } from "vitest";
import { compileTokenIssuer, TokenIssuer } from "../../../policy/index.ts";
import { KEYS_MAX_AGE_MS } from "../../../worker/identity/issuer-keys.ts";
import { peekToken } from "../../../worker/identity/bearer.ts";
import { WorkloadTokenVerifier } from "../../../worker/identity/workload-token.ts";
import { workloadToken } from "../support/workload-tokens.ts";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const SPIRE = "https://spire.demo.ward.internal";
const PAYMENTS = "https://payments.localhost";
const issuers = inject("workloadIssuers");

const spire = compileTokenIssuer(
  TokenIssuer.parse({
    name: "demo-spire",
    kind: "spiffe-jwt-svid",
    issuer: SPIRE,
    keys: { jwksUrl: `${SPIRE}/bundle` },
    trustDomain: "demo.ward.internal",
    maxLifetime: "5m",
  }),
);

async function verify(v: WorkloadTokenVerifier, token: string, now: number) {
  const peeked = peekToken(token);
  if (!peeked.ok) throw new Error(peeked.problem);
  const result = await v.verify(token, peeked.header, PAYMENTS, now);
  return result.ok ? "ok" : result.problem;
}

describe("a key set loaded again as it goes stale", () => {
  it("is waited for by a request of an instant just before, not refused to it", async () => {
    let fetches = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const fetchImpl = async (): Promise<Response> => {
      if (++fetches === 2) await held;
      return Response.json(issuers.spire.published);
    };
    const v = new WorkloadTokenVerifier(spire, fetchImpl);
    expect(await verify(v, await workloadToken({ issuer: "spire" }, NOW), NOW)).toBe("ok");
    // A workload's token, verified and remembered a minute before the set goes stale.
    const before = NOW + KEYS_MAX_AGE_MS - 60_000;
    const token = await workloadToken({ issuer: "spire" }, before);
    expect(await verify(v, token, before)).toBe("ok");
    // A request just past the set's age drops it and loads it again (held).
    const after = NOW + KEYS_MAX_AGE_MS + 1;
    const loading = verify(v, await workloadToken({ issuer: "spire" }, after), after);
    await new Promise((r) => setTimeout(r, 10));
    expect(fetches).toBe(2);
    // The workload's next request, of an instant just before, reaches the key set now.
    const straddling = verify(v, token, NOW + KEYS_MAX_AGE_MS - 1);
    setTimeout(release, 50);
    expect(await straddling).toBe("ok");
    expect(await loading).toBe("ok");
    expect(fetches).toBe(2);
  });
});
