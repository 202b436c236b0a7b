// A shadow candidate that reads credentials otherwise identifies the caller again, off the request path
// (worker/shadow/shadow-line.ts). What that finds is the candidate's, not the live request's: from a closing
// review, during an Access outage every request logged `access-directory-unavailable` twice, once for the live
// lookup and once for the candidate's, and the candidate asked a failing Access again.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { loadPolicy, SHADOW_KEY } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import worker from "../../../worker/index.ts";
import { storeVersion } from "../../../worker/policy-store/store.ts";
import { AUD, TEAM, accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";
import { directoryCalls, setDirectoryAnswer } from "../support/directory.ts";

const signing = inject("accessPrivateJwk");
const HOST = "shadow-events.localhost";

const policy = (access: object = {}) =>
  stringify({
    version: 1,
    metadata: { environment: "dev", owners: ["platform@example.com"] },
    identity: { access: { teamDomain: TEAM, audiences: [AUD], ...access } },
    services: {
      app: {
        hosts: [HOST],
        origin: { tunnel: "WIKI" },
        owner: "platform@example.com",
        routes: [
          // The recording origin answers /__slow after 2 s: past the 2 s a failed lookup is remembered.
          {
            id: "slow",
            methods: ["GET"],
            path: "/__slow",
            rules: [{ id: "people", effect: "allow", principals: [{ emailDomain: "example.com" }] }],
          },
          {
            id: "enc",
            methods: ["GET"],
            pathPrefix: "/",
            rules: [
              {
                id: "disk",
                effect: "allow",
                principals: [{ emailDomain: "example.com" }],
                when: { devicePosture: ["disk-encryption"] },
              },
            ],
          },
        ],
      },
    },
  });

/**
 * The policy active and, in shadow, the same with a maxPostureAge: the candidate reads a person's posture otherwise,
 * so identifies them itself.
 */
async function withCandidate(): Promise<{ active: string; candidate: string }> {
  const active = await activate(policy());
  const text = policy({ maxPostureAge: "5m" });
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  await storeVersion(env.POLICY, loaded.policy, text);
  await env.POLICY.put(SHADOW_KEY, loaded.policy.version);
  return { active, candidate: loaded.policy.version };
}

/** A new person, whom Access's get-identity answers 503 for, and their token. */
async function personAccessFailsFor(): Promise<{ email: string; token: string }> {
  const email = `outage-${crypto.randomUUID()}@example.com`;
  await setDirectoryAnswer(email, { $raw: { status: 503, body: "down" } });
  return { email, token: await accessToken(signing, { email, identity_nonce: `n-${email}` }) };
}

describe("a shadow candidate identified anew", () => {
  it("logs none of its own events, and does not ask a failing Access again", async () => {
    const { active, candidate } = await withCandidate();

    // Until an isolate has both versions: then the line carries the candidate's decision.
    for (let i = 0; i < 80; i++) {
      // A person of their own each time: Access is asked for them by this request alone.
      const { email, token } = await personAccessFailsFor();
      const { lines } = await captured(async () => {
        const res = await exports.default.fetch(`https://${HOST}/doc`, {
          headers: { "cf-access-jwt-assertion": token },
        });
        await res.text();
        // The candidate's identification runs after the answer (waitUntil): give it its turn.
        await new Promise((resolve) => setTimeout(resolve, 50));
        return res.status;
      });
      const line = lines.find((l) => l.event === "decision" && l.policyVersion === active);
      const shadow = line?.shadow as { version?: string; effect?: string } | undefined;
      if (shadow?.version !== candidate) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      const requestId = line!.requestId;
      // Posture unknown to both: refused by both.
      expect(line!.effect).toBe("deny");
      expect(shadow.effect).toBe("deny");
      const outages = lines.filter((l) => l.event === "access-directory-unavailable" && l.requestId === requestId);
      expect(outages.length).toBeLessThanOrEqual(1);
      // The live lookup asked once; the candidate's found that failure remembered.
      expect(await directoryCalls(email)).toBe(1);
      return;
    }
    throw new Error("no decision line with the candidate");
  });
  it("decides the candidate on the live request's failed lookup, not on Access asked again after a slow origin", async () => {
    const { active, candidate } = await withCandidate();
    // An origin may take up to its timeout to answer (30 s deployed; 1,500 ms in the test config).
    const patient = { ...env, ORIGIN_TIMEOUT_MS: "5000" } as unknown as Env;
    for (let i = 0; i < 20; i++) {
      const { email, token } = await personAccessFailsFor();
      const { lines } = await captured(async () => {
        const ctx = createExecutionContext();
        const res = await worker.fetch(
          new Request(`https://${HOST}/__slow`, { headers: { "cf-access-jwt-assertion": token } }),
          patient,
          ctx,
        );
        await res.text();
        await waitOnExecutionContext(ctx);
        return res.status;
      });
      const line = lines.find((l) => l.event === "decision" && l.policyVersion === active);
      const shadow = line?.shadow as { version?: string; effect?: string } | undefined;
      if (shadow?.version !== candidate) continue;
      expect(line!.status).toBe(200);
      expect(shadow.effect).toBe("allow");
      // One lookup, the live request's: its failure stands for the candidate too.
      expect(await directoryCalls(email)).toBe(1);
      return;
    }
    throw new Error("no decision line with the candidate");
  }, 60_000);
});
