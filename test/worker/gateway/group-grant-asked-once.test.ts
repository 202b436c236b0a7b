// A person's groups are asked of Access once a request. A policy that reads only device posture asks get-identity,
// whose answer holds the groups too; when Access fails, a group grant in force must not make the gateway identify
// the person again (a second lookup, and twice the wait, while Access is failing: from a closing review).
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { AUD, TEAM, accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate, originSaw } from "../support/harness.ts";
import { directoryCalls, setDirectoryAnswer } from "../support/directory.ts";

const HOST = "posture-only.localhost";
const signing = inject("accessPrivateJwk");

const policy = stringify({
  version: 1,
  metadata: { environment: "dev", owners: ["platform@example.com"] },
  identity: { access: { teamDomain: TEAM, audiences: [AUD] } },
  services: {
    app: {
      hosts: [HOST],
      origin: { tunnel: "WIKI" },
      owner: "platform@example.com",
      routes: [
        {
          id: "docs",
          methods: ["GET"],
          path: "/docs/{**}",
          rules: [
            {
              id: "managed",
              effect: "allow",
              principals: [{ emailDomain: "example.com" }],
              when: { devicePosture: ["managed-device"] },
            },
          ],
        },
      ],
    },
  },
});

beforeAll(async () => {
  const version = await activate(policy);
  const now = Date.now();
  const created = await (env as Env).GRANTS.getByName(grantsShard("app")).create(
    {
      kind: "exception",
      principal: { group: "sre" },
      service: "app",
      routes: ["docs"],
      methods: ["GET"],
      reason: "on call",
      ticket: "OPS-1",
      requestedBy: "sre@example.com",
      approvedBy: "platform@example.com",
      notBefore: now - 1000,
      notAfter: now + 3600_000,
    },
    "test",
    now,
  );
  expect(created.ok).toBe(true);
  await new Promise((r) => setTimeout(r, 120)); // > GRANTS_REFRESH_SECONDS here
  for (let i = 0; i < 60; i++) {
    const { lines } = await captured(async () => void (await (await exports.default.fetch(`https://${HOST}/`)).text()));
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error("policy never became active");
});

it("asks Access once for a refused request whose lookup failed, though a group grant is in force", async () => {
  const marker = `asked-once-${Date.now().toString(36)}`;
  const email = `${marker}@example.com`;
  const answer = { $raw: { status: 503, body: "unavailable" } };
  await setDirectoryAnswer(email, answer);
  // No identity_nonce: never cached, so each identification would ask again.
  const token = await accessToken(signing, { email, sub: "u-pat" });
  const { lines } = await captured(async () => {
    const res = await exports.default.fetch(`https://${HOST}/docs/${marker}`, {
      headers: { "Cf-Access-Jwt-Assertion": token },
    });
    expect(res.status).toBe(403);
    await res.text();
  });
  expect(lines.filter((l) => l.event === "decision")).toHaveLength(1);
  expect(await directoryCalls(email)).toBe(1);
  // Refused: the origin never saw it.
  expect(await originSaw(marker)).toEqual([]);
});
