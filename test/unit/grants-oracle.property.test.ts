// Time-bounded grants against an oracle written from the docs (test/unit/oracle/grants.ts): random policies and
// requests from the evaluate oracle's generators, each with a few random grants (every principal kind a grant
// may name and some it may not, routes and methods, windows in the past, present and future and at their
// edges, used up or not, several overlapping), a denylist verdict and now and then an upgrade. The code's side is
// the gateway's composition (worker/gateway.ts decide): evaluate, the denylist, the upgrade, applyGrants, the
// upgrade again, and one use counted in the grant's store (modelled here as the Durable Object counts it) when
// the grant that applied has a limit. Compared: effect, status, reasons, which grant applied, wouldDeny, and
// which grant's use was spent.
//
// Deterministic: seed GRANTS_ORACLE_SEED (default below), printed on failure; GRANTS_ORACLE_POLICIES and
// GRANTS_ORACLE_REQUESTS set the size.
import { describe, expect, it } from "vitest";
import {
  applyDenylist,
  applyGrants,
  applyUpgrade,
  evaluate,
  grantMayApply,
  loadPolicy,
  type CompiledPolicy,
  type ConsumeResult,
  type Decision,
  type DenylistVerdict,
  type TimedGrant,
} from "../../policy/index.ts";
import { prng } from "../support/prng.ts";
import { type GenGrant, type GrantCase, type GrantExpected, grantOracle } from "./oracle/grants.ts";
import { NOW, documentText, genPolicy, policySeed, type GenPolicy } from "./oracle/random-policy.ts";
import { genGrantCase, withWebSockets } from "./oracle/random-grants.ts";

const given = process.env.GRANTS_ORACLE_SEED;
const SEED = given !== undefined && /^\d+$/.test(given) ? Number(given) : 20_260_302;
const POLICIES = Number(process.env.GRANTS_ORACLE_POLICIES ?? 200);
const REQUESTS = Number(process.env.GRANTS_ORACLE_REQUESTS ?? 200);

// ---------------------------------------------------------------------------------------------------------
// The code's side: the gateway's composition, with the store's use counting modelled.

/**
 * The isolate's copy of the Grants Durable Object's grants (worker/grants/store.ts active()), read a little before
 * `now`: it may still hold a grant whose notAfter has passed since, and uses as they were then.
 */
function copyOf(grants: readonly GenGrant[]): TimedGrant[] {
  return grants.map(({ uses, copiedUses, ...g }) => ({
    ...(g as Omit<GenGrant, "uses"> & Pick<TimedGrant, "principal">),
    ...(g.maxUses !== undefined && (copiedUses ?? uses) >= g.maxUses ? { usedUp: true as const } : {}),
  }));
}

/**
 * The store's consume(): one use, counted only while the grant is in force and has uses left; as the gateway's
 * consumeGrant() answers when the store cannot be reached.
 */
function consume(c: GrantCase, id: string, now: number): ConsumeResult {
  if (c.storeDown) return { ok: false, status: "unavailable" };
  const g = c.grants.find((x) => x.id === id);
  if (!g) return { ok: false, status: "unknown" };
  if (g.maxUses !== undefined && g.uses >= g.maxUses) return { ok: false, status: "used-up" };
  if (!(now >= g.notBefore && now < g.notAfter)) return { ok: false, status: "outside-window" };
  return { ok: true, uses: g.uses + 1 };
}

const VERDICTS: Record<GrantCase["listing"], DenylistVerdict> = {
  clear: { state: "clear" },
  revoked: { state: "denied", entry: { id: "rev-1", kind: "revocation", expiresAt: null } },
  quarantined: { state: "denied", entry: { id: "q-1", kind: "quarantine", expiresAt: null } },
  unknown: { state: "unknown" },
};

/** worker/gateway.ts decide(), its I/O replaced by the case's denylist verdict and the modelled store. */
function decide(policy: CompiledPolicy, c: GrantCase): { decision: Decision; consumed?: string } {
  const { request, now } = c;
  let decision = evaluate(policy, request, now);
  if (decision.principal !== "anonymous") decision = applyDenylist(decision, VERDICTS[c.listing]);
  const upgrade = (d: Decision) => (c.upgrade === "none" ? d : applyUpgrade(policy, d, c.upgrade, () => c.crossOrigin));
  decision = upgrade(decision);
  if (!decision.service || !grantMayApply(decision)) return { decision };
  let offered = copyOf(c.grants);
  for (;;) {
    const granted = upgrade(applyGrants(policy, decision, request.identity, offered, now));
    if (granted.effect === "deny" || granted.exception?.maxUses === undefined) return { decision: granted };
    const spent = granted.exception.id;
    const use = consume(c, spent, now);
    if (use.ok) return { decision: granted, consumed: spent };
    offered = offered.filter((g) => g.id !== spent && (use.status !== "unavailable" || g.maxUses === undefined));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Comparison

interface Mismatch {
  policy: number;
  text: string;
  c: GrantCase;
  expected: GrantExpected;
  actual: { decision: Partial<Decision>; consumed?: string };
  what: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function differences(e: GrantExpected, d: Decision, consumed: string | undefined): string[] {
  const out: string[] = [];
  if (d.effect !== e.effect) out.push("effect");
  if (d.status !== e.status) out.push("status");
  if (d.exception?.id !== e.grant) out.push("grant");
  if (!same(d.reasons, e.reasons)) out.push("reasons");
  if (consumed !== e.consumes) out.push("consumed");
  const w = e.wouldDeny;
  if ((w === undefined) !== (d.wouldDeny === undefined)) out.push("wouldDeny");
  else if (w && d.wouldDeny) {
    if (w.status !== d.wouldDeny.status || !same(w.reasons, d.wouldDeny.reasons)) out.push("wouldDeny");
    if (w.rule !== undefined && d.wouldDeny.rule !== w.rule) out.push("wouldDeny.rule");
    if (w.ruleAmong !== undefined && !w.ruleAmong.includes(d.wouldDeny.rule ?? "")) out.push("wouldDeny.rule");
  }
  return out;
}

function describeMismatch(m: Mismatch): string {
  const { request, ...rest } = m.c;
  return [
    `policy ${m.policy}: ${m.what.join(", ")} differ`,
    `request ${request.method} ${request.host}${request.path} as ${JSON.stringify(request.identity)}`,
    `case ${JSON.stringify(rest)}`,
    `oracle ${JSON.stringify(m.expected)}`,
    `code   ${JSON.stringify(m.actual)}`,
    `policy text ${m.text}`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------

describe("time-bounded grants against an oracle written from the docs", () => {
  it("lift, refuse to lift and count uses as the docs say", async () => {
    const mismatches: Mismatch[] = [];
    const seen = {
      loaded: 0,
      checked: 0,
      byGrant: 0,
      byBreakGlass: 0,
      consumed: 0,
      overlapping: 0,
      trial: 0,
      audit: 0,
      edgeRefused: 0,
      usedUpRefused: 0,
      denyRuleKept: 0,
      listed: 0,
      upgradeRefused: 0,
      groupGrant: 0,
      gaveWay: 0,
      storeDown: 0,
    };
    for (let p = 0; p < POLICIES; p++) {
      const r = prng(policySeed(SEED, p));
      const g: GenPolicy = withWebSockets(r, genPolicy(r));
      const text = documentText(g);
      const loaded = await loadPolicy(text);
      if (!loaded.ok) continue;
      seen.loaded++;
      for (let q = 0; q < REQUESTS; q++) {
        const c = genGrantCase(r, g, NOW);
        const expected = grantOracle(g, c);
        const { decision, consumed } = decide(loaded.policy, c);
        seen.checked++;
        tally(seen, c, expected, decision, consumed);
        const what = differences(expected, decision, consumed);
        if (what.length > 0) {
          const { effect, status, reasons, exception, wouldDeny, route } = decision;
          const actual = { decision: { effect, status, reasons, exception, wouldDeny, route }, consumed };
          mismatches.push({ policy: p, text, c, expected, actual, what });
        }
      }
    }
    if (process.env.GRANTS_ORACLE_STATS) console.log(JSON.stringify(seen));
    if (mismatches.length > 0) {
      const shown = mismatches.slice(0, 3).map(describeMismatch).join("\n\n");
      expect.fail(
        `${mismatches.length} of ${seen.checked} decisions differ from the oracle (replay: GRANTS_ORACLE_SEED=${SEED})\n\n${shown}`,
      );
    }
    // The generator reaches the cases that matter, whatever the seed.
    expect(seen.loaded, `seed ${SEED}`).toBeGreaterThan(POLICIES / 3);
    if (POLICIES >= 200 && REQUESTS >= 200)
      // A stale copy giving way needs a stale grant before another that covers: rarer than the rest.
      for (const [what, count] of Object.entries(seen))
        expect(count, `${what}, seed ${SEED}`).toBeGreaterThan(what === "gaveWay" ? 5 : 20);
  }, 60_000);
});

/** Counts what the cases reached, so a generator that stops reaching a kind of case fails. */
function tally(
  seen: Record<string, number>,
  c: GrantCase,
  e: GrantExpected,
  d: Decision,
  consumed: string | undefined,
): void {
  const inc = (k: string) => {
    seen[k] = (seen[k] ?? 0) + 1;
  };
  if (e.grant) {
    inc("byGrant");
    if (e.covered!.grants > 1) inc("overlapping");
    if (e.covered!.stale > 0) inc("gaveWay");
    if (d.reasons[0] === "allowed-by-break-glass") inc("byBreakGlass");
    if (e.wouldDeny) inc("trial");
    if (d.mode === "audit") inc("audit");
    const applied = c.grants.find((g) => g.id === d.exception?.id);
    if (applied && "group" in applied.principal) inc("groupGrant");
  }
  if (consumed) inc("consumed");
  if (c.storeDown && e.grant) inc("storeDown");
  // A grant that would cover but for one thing the docs name.
  if (!e.grant && c.grants.length > 0 && d.reasons[0] === "no-matching-rule") {
    if (c.grants.some((g) => g.notBefore === c.now + 1 || g.notAfter === c.now)) inc("edgeRefused");
    if (c.grants.some((g) => g.maxUses !== undefined && g.uses >= g.maxUses)) inc("usedUpRefused");
  }
  if (c.grants.length > 0 && d.reasons[0] === "denied-by-rule") inc("denyRuleKept");
  if (c.grants.length > 0 && ["revoked", "quarantined", "denylist-unavailable"].includes(d.reasons[0]!)) inc("listed");
  if (c.grants.length > 0 && d.reasons[0]?.startsWith("upgrade-")) inc("upgradeRefused");
}
