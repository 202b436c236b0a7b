// A generated differential of Access directory lookups through the gateway in workerd: a policy with allow and
// deny rules on groups and device posture and grants to groups (directory-cases.ts), people with tokens the Access
// team key really signed, and get-identity answers ordinary and hostile (other shapes, errors, late, someone
// else's identity), served by the test's outside edge (vitest.config.ts). The oracle (directory-oracle.ts, from
// the docs) says what each request gets; also: refused requests never reach the origin, refusals look alike,
// lookups are bounded (a usable answer is asked for once per person while cached; a late Access holds a request
// for one lookup's timeout, not more), and security events make the next request ask Access again.
//
// WARD_DIRECTORY_SEED=<n> replays (printed on failure); WARD_DIRECTORY_CASES=<n> sets the count.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_URIS, parseDecisionLine } from "../../../policy/index.ts";
import { prng } from "../../support/prng.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate, originSaw } from "../support/harness.ts";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";
import { type GenPolicy, genCase, genPolicy, HOST, policyText } from "./directory-cases.ts";
import { decide, postureHeld, readings, usable } from "./directory-oracle.ts";
import { eventSet, example, push, signSet } from "../support/transmitter.ts";
import { directoryCalls, setDirectoryAnswer } from "../support/directory.ts";

const wardEnv: Record<string, string | undefined> = inject("wardEnv");
const FIXED_SEED = 20261206;
const SEED = Number(wardEnv.WARD_DIRECTORY_SEED ?? FIXED_SEED);
const CASES = Number(wardEnv.WARD_DIRECTORY_CASES ?? 240);
const AT_ONCE = 16;
const signing = inject("accessPrivateJwk");
const transmitter = inject("transmitterPrivateJwk");

let policy: GenPolicy;
/** The group each stored grant is to, by its id. */
const grantGroups = new Map<string, string>();

/** Stores a grant as the admin API stores it, for an hour. */
async function grant(group: string, routes: string[]): Promise<void> {
  const now = Date.now();
  const created = await (env as Env).GRANTS.getByName(grantsShard("directory")).create(
    {
      kind: "exception",
      principal: { group },
      service: "directory",
      routes,
      methods: ["GET"],
      reason: "directory differential",
      ticket: `DIR-${SEED}`,
      requestedBy: "sre@example.com",
      approvedBy: "platform@example.com",
      notBefore: now - 1000,
      notAfter: now + 3600_000,
    },
    "test",
    now,
  );
  if (!created.ok) throw new Error("grant not created");
  grantGroups.set(created.record.id, group);
}

beforeAll(async () => {
  policy = genPolicy(prng(SEED));
  const { d: _private, ...publicKey } = transmitter;
  const version = await activate(policyText(policy, { ...publicKey, use: "sig" }));
  for (const g of policy.grants) await grant(g.group, g.routes);
  await new Promise((r) => setTimeout(r, 120)); // > GRANTS_REFRESH_SECONDS
  // Until the isolate reads the version (the policy refreshes every 0.05 s here).
  for (let i = 0; i < 60; i++) {
    const { lines } = await captured(async () => void (await (await exports.default.fetch(`https://${HOST}/`)).text()));
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`policy ${version} never became active`);
});

interface Sent {
  status: number;
  body: string;
  requestId: string;
  ms: number;
}

async function ask(route: string, tag: string, token: string): Promise<Sent> {
  const started = Date.now();
  const res = await exports.default.fetch(`https://${HOST}/${route}/doc?${tag}`, {
    headers: { "Cf-Access-Jwt-Assertion": token, Accept: "application/json" },
  });
  const body = await res.text();
  return { status: res.status, body, requestId: res.headers.get("ward-request-id") ?? "", ms: Date.now() - started };
}

/** A refusal's body with what differs per request (its id) taken out. */
const shape = (s: Sent) => s.body.replaceAll(s.requestId, "<id>");

describe("Access directory lookups through the gateway, against the docs", () => {
  it("decides on groups and posture as the docs say, fails closed, and asks Access once per person", async () => {
    const run = `d${SEED}x${Date.now().toString(36)}`;
    const r = prng(SEED ^ 0x5eed);
    const cases = Array.from({ length: CASES }, (_, i) => genCase(r, policy, i, run));
    for (let i = 0; i < cases.length; i += AT_ONCE)
      await Promise.all(cases.slice(i, i + AT_ONCE).map((c) => setDirectoryAnswer(c.email, c.answer)));
    const tokens = await Promise.all(
      cases.map((c) =>
        accessToken(signing, { email: c.email, sub: c.sub, ...(c.nonce ? { identity_nonce: c.nonce } : {}) }),
      ),
    );

    const sent: Sent[][] = cases.map(() => []);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++)
        for (const [j, route] of cases[i]!.routes.entries())
          sent[i]!.push(await ask(route, `${run}-${i}-${j}-`, tokens[i]!));
    };
    const { lines } = await captured(() => Promise.all(Array.from({ length: AT_ONCE }, worker)));
    const decisions = new Map(
      lines.flatMap((l) =>
        [parseDecisionLine(JSON.stringify(l))].flatMap((d) => (d ? [[d.requestId, d] as const] : [])),
      ),
    );
    const reached = new Map<string, number>();
    for (const seen of await originSaw(run)) {
      const at = new RegExp(`${run}-(\\d+-\\d+)-`).exec(seen.url)?.[1] ?? "?";
      reached.set(at, (reached.get(at) ?? 0) + 1);
    }
    const calls = await Promise.all(cases.map((c) => directoryCalls(c.email)));

    const found: string[] = [];
    const refusals = new Map<string, string>();
    const tally = { allowed: 0, refused: 0, unknown: 0, granted: 0 };
    cases.forEach((c, i) => {
      const options = readings(c);
      if (options.length === 1 && options[0]!.groups === undefined) tally.unknown++;
      const problems: string[] = [];
      c.routes.forEach((route, j) => {
        const got = sent[i]![j]!;
        const expected = options.map((f) => decide(policy, route, f, c.email));
        const seen = reached.get(`${i}-${j}`) ?? 0;
        if (!expected.some((e) => e.status === got.status))
          problems.push(
            `${route}: status ${got.status}, docs ${expected.map((e) => `${e.status} by ${e.rule ?? "no rule"}`).join(" or ")}`,
          );
        const line = decisions.get(got.requestId);
        const by = (e: (typeof expected)[number]) =>
          e.grant ? `exception to ${e.grant}` : `directory/${route}/${e.rule}`;
        const lineBy = line?.exception ? `exception to ${grantGroups.get(line.exception.id)}` : line?.rule;
        if (got.status === 200 && line && !expected.some((e) => e.status === 200 && by(e) === lineBy))
          problems.push(`${route}: allowed by ${lineBy}, docs ${expected.map(by).join(" or ")}`);
        if ((got.status === 200) !== (seen === 1)) problems.push(`${route}: status ${got.status}, origin saw ${seen}`);
        // "An Access get-identity lookup gives up after 5 s" (operations.md): one lookup's wait, and some slack.
        if (got.ms > 7_000) problems.push(`${route}: answered after ${got.ms} ms`);
        if (got.status === 200 && line?.exception) tally.granted++;
        if (got.status === 200) tally.allowed++;
        else {
          tally.refused++;
          refusals.set(shape(got), `case ${i} ${c.kind} ${route}`);
        }
      });
      // Cached per person (nonce, issuer, sub, e-mail) when usable; a token without a nonce is looked up each time.
      const n = c.routes.length;
      if (calls[i]! > n) problems.push(`${calls[i]} lookups for ${n} requests`);
      if (c.nonce && usable(c) && calls[i] !== 1) problems.push(`${calls[i]} lookups of a usable answer, cached: 1`);
      if (!c.nonce && calls[i] !== n) problems.push(`${calls[i]} lookups for ${n} requests without a nonce`);
      if (problems.length > 0)
        found.push(
          `case ${i} (${c.kind}, ${c.nonce ? "nonce" : "no nonce"}) ${JSON.stringify(c.answer).slice(0, 300)}\n  ${problems.join("\n  ")}`,
        );
    });
    if (refusals.size > 1)
      found.push(
        `refusals differ (${refusals.size} shapes):\n  ${[...refusals].map(([b, at]) => `${at}: ${b.slice(0, 200)}`).join("\n  ")}`,
      );
    if (found.length > 0) {
      expect.fail(
        `${found.length} disagreements (replay: WARD_DIRECTORY_SEED=${SEED})\n${found.slice(0, Number(wardEnv.WARD_DIRECTORY_SHOWN ?? 12)).join("\n")}\n\npolicy ${policyText(policy)}`,
      );
    }
    // The run reaches both answers and the unknown facts, whatever the seed; a grant at the fixed seed (the run
    // the suite makes). Whether another seed's people meet a grant where no rule decided is chance: one in a
    // sweep of a hundred did not (189832694), and each of its cases still agreed with the docs.
    expect(tally.allowed, `seed ${SEED}`).toBeGreaterThan(CASES / 20);
    expect(tally.refused, `seed ${SEED}`).toBeGreaterThan(CASES / 10);
    expect(tally.unknown, `seed ${SEED}`).toBeGreaterThan(CASES / 10);
    if (SEED === FIXED_SEED) expect(tally.granted, `seed ${SEED}`).toBeGreaterThan(0);
  }, 60_000);
});

describe("a flood of one person's requests while Access is slow", () => {
  it("does not make a lookup each", async () => {
    const run = `f${SEED}x${Date.now().toString(36)}`;
    const r = prng(SEED ^ 0xf100d);
    const c = genCase(r, policy, 0, run);
    const body = JSON.stringify({ email: c.email, groups: [{ id: "g", name: "sre" }], devicePosture: {} });
    await setDirectoryAnswer(c.email, { $raw: { status: 200, body, delayMs: 300 } });
    const token = await accessToken(signing, { email: c.email, sub: c.sub, identity_nonce: `n-${run}` });
    const route = policy.routes[Math.floor(r() * policy.routes.length)]!.id;
    const n = 24;
    await captured(() => Promise.all(Array.from({ length: n }, (_, j) => ask(route, `${run}-${j}-`, token))));
    const calls = await directoryCalls(c.email);
    // One lookup answers everyone waiting on it; a couple more at most (another isolate), never one per request.
    expect(calls, `${calls} lookups for ${n} concurrent requests (seed ${SEED})`).toBeLessThanOrEqual(2);
  }, 20_000);
});

describe("security events about people whose answers are cached", () => {
  it("decides their next request with Access asked again, posture unknown while a device is not compliant", async () => {
    const run = `e${SEED}x${Date.now().toString(36)}`;
    const r = prng(SEED ^ 0xe7e7);
    const people = Array.from({ length: 24 }, (_, i) => {
      let before = genCase(r, policy, i, run);
      while (!usable(before) || !before.nonce) before = genCase(r, policy, i, run);
      let after = genCase(r, policy, i, run);
      while (after.kind === "slow") after = genCase(r, policy, i, run);
      return { before, after, event: r() < 0.5 ? "token-claims-change" : "device-compliance-change" };
    });
    const tokens = await Promise.all(
      people.map(({ before: c }) => accessToken(signing, { email: c.email, sub: c.sub, identity_nonce: c.nonce })),
    );
    const found: string[] = [];
    await captured(async () => {
      await Promise.all(
        people.map(async ({ before: c }, i) => {
          await setDirectoryAnswer(c.email, c.answer);
          const route = c.routes[0]!;
          const got = await ask(route, `${run}-${i}-a-`, tokens[i]!);
          const expected = decide(policy, route, readings(c)[0]!, c.email);
          if (got.status !== expected.status) found.push(`person ${i} before: ${got.status}, docs ${expected.status}`);
        }),
      );
      for (const [i, { before: c, after, event }] of people.entries()) {
        await setDirectoryAnswer(c.email, after.answer);
        const set =
          event === "token-claims-change"
            ? example("ssf-token-claims-change-email", { sub_id: { format: "email", email: c.email } })
            : eventSet(
                EVENT_URIS["device-compliance-change"],
                { current_status: "not-compliant", previous_status: "compliant" },
                { format: "complex", user: { format: "email", email: c.email } },
              );
        const res = await push(await signSet(set, transmitter));
        if (res.status !== 202) found.push(`person ${i}: event answered ${res.status}`);
      }
      // An answer fetched within a second of the event does not count as after it (clocks differ), and the
      // isolate's denylist copy is re-read every 0.05 s here: wait past both, ask a few times, take the last.
      await new Promise((w) => setTimeout(w, 1_100));
      await Promise.all(
        people.map(async ({ before: c, after, event }, i) => {
          const route = c.routes[0]!;
          let got: Sent | undefined;
          for (let k = 0; k < 3; k++) {
            got = await ask(route, `${run}-${i}-b${k}-`, tokens[i]!);
            await new Promise((w) => setTimeout(w, 60));
          }
          const facts = readings({ ...after, email: c.email });
          const expected = facts.map((f) =>
            decide(policy, route, event === "token-claims-change" ? f : postureHeld(f), c.email),
          );
          if (!expected.some((e) => e.status === got!.status))
            found.push(
              `person ${i} (${event}, then ${after.kind}) ${route}: ${got!.status}, docs ${expected.map((e) => e.status).join(" or ")}; ${JSON.stringify(after.answer).slice(0, 200)}`,
            );
          const calls = await directoryCalls(c.email);
          if (usable(after) && calls !== 2) found.push(`person ${i} (${event}): ${calls} lookups, docs 2`);
        }),
      );
    });
    if (found.length > 0)
      expect.fail(`${found.length} disagreements (replay: WARD_DIRECTORY_SEED=${SEED})\n${found.join("\n")}`);
  }, 20_000);
});
