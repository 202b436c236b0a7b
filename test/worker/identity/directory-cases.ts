// Generated cases for the directory differential (directory-differential.test.ts): a policy whose routes have
// allow and deny rules on groups and device posture, and people whose get-identity answers are ordinary or
// hostile (Cloudflare's shapes, other shapes, errors, late answers, someone else's identity).
import { stringify } from "yaml";
import { AUD, TEAM } from "../support/access-tokens.ts";

export const HOST = "directory.localhost";
export const GROUPS = ["sre", "contractors", "Sales + Marketing", "wiki-editors"] as const;
export const CHECKS = ["managed-device", "disk-encryption"] as const;

type Pick = <T>(xs: readonly T[]) => T;
const picker =
  (r: () => number): Pick =>
  (xs) =>
    xs[Math.floor(r() * xs.length)]!;

/** A rule as the oracle reads it: who (a group, a set holding a group, or every example.com person) and posture. */
export interface GenRule {
  id: string;
  effect: "allow" | "deny";
  who: { group: string } | { set: string } | { emailDomain: string };
  posture?: string[];
}
export interface GenRoute {
  id: string;
  path: string;
  rules: GenRule[];
}
/** A time-bounded exception to a group on some routes (a grant lifts only a denial no rule caused). */
export interface GenGrant {
  group: string;
  routes: string[];
}
export interface GenPolicy {
  sets: Record<string, string>;
  routes: GenRoute[];
  grants: GenGrant[];
}

function genRule(r: () => number, pick: Pick, id: string, effect: "allow" | "deny", sets: string[]): GenRule {
  const kind = r();
  const who = kind < 0.45 ? { group: pick(GROUPS) } : kind < 0.6 ? { set: pick(sets) } : { emailDomain: "example.com" };
  const posture = r() < 0.45 ? [...new Set([pick(CHECKS), pick(CHECKS)])] : undefined;
  // A rule for every person with no condition decides nothing here: give it one.
  if ("emailDomain" in who && !posture && effect === "deny") return { id, effect, who, posture: [pick(CHECKS)] };
  return { id, effect, who, ...(posture ? { posture } : {}) };
}

export function genPolicy(r: () => number, routes = 6): GenPolicy {
  const pick = picker(r);
  const sets = { "set-a": pick(GROUPS), "set-b": pick(GROUPS) };
  const ids = Array.from({ length: routes }, (_, i) => `r${i}`);
  return {
    sets,
    grants: [0, 1].map(() => ({ group: pick(GROUPS), routes: [...new Set([pick(ids), pick(ids)])] })),
    routes: ids.map((_, i) => {
      const rules: GenRule[] = [genRule(r, pick, "a0", "allow", Object.keys(sets))];
      if (r() < 0.5) rules.push(genRule(r, pick, "a1", "allow", Object.keys(sets)));
      if (r() < 0.6) rules.push(genRule(r, pick, "d0", "deny", Object.keys(sets)));
      return { id: `r${i}`, path: `/r${i}/{**}`, rules };
    }),
  };
}

/** The policy, with a transmitter of security events (its public key inline) when given one. */
export function policyText(p: GenPolicy, transmitterKey?: Record<string, unknown>): string {
  const matcher = (w: GenRule["who"]) => w;
  const sharedSignals = transmitterKey && {
    audience: "https://ward.example.com/dev",
    holdFor: "1h",
    transmitters: {
      idp: {
        issuer: "https://idp.example.com/",
        jwks: { keys: [transmitterKey] },
        algorithms: ["ES256"],
        events: ["token-claims-change", "device-compliance-change"],
      },
    },
  };
  return stringify({
    version: 1,
    metadata: { environment: "dev", owners: ["platform@example.com"] },
    identity: { access: { teamDomain: TEAM, audiences: [AUD] } },
    ...(sharedSignals ? { sharedSignals } : {}),
    principalSets: Object.fromEntries(Object.entries(p.sets).map(([k, g]) => [k, [{ group: g }]])),
    admin: { principals: [{ group: "ward-admins" }] },
    services: {
      directory: {
        hosts: [HOST],
        origin: { tunnel: "WIKI" },
        owner: "platform@example.com",
        routes: p.routes.map((rt) => ({
          id: rt.id,
          methods: ["GET"],
          path: rt.path,
          rules: rt.rules.map((x) => ({
            id: x.id,
            effect: x.effect,
            principals: [matcher(x.who)],
            ...(x.posture ? { when: { devicePosture: x.posture } } : {}),
          })),
        })),
      },
    },
  });
}

/** What get-identity answers: a JSON value, or `$raw` (a status, a text, a delay). */
export type Answer = unknown;

export interface DirCase {
  kind: string;
  email: string;
  sub: string;
  /** The token's identity_nonce (none: looked up every time). */
  nonce?: string;
  answer: Answer;
  /** The routes asked for, one request each, in order. */
  routes: string[];
}

const CONTROL = ["\u0000", "\n", "\r", "\t", "\u007f", "\u0085", "\u2028", "\u2029", "\u202e", "\u200f", "\u2066"];
const LOOKALIKE = (g: string, pick: Pick): string =>
  pick([
    g.toUpperCase(),
    g[0]!.toUpperCase() + g.slice(1),
    `${g} `,
    ` ${g}`,
    `${g}\u200b`,
    g.replace("s", "\u0455").replace("e", "\u0435").replace("a", "\u0430"),
    g.replace(/[a-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    g.normalize("NFD").replace("e", "e\u0301"),
  ]);

const HOUR = 3_600_000;
/**
 * When a result was evaluated: recently, a day ago, long ago, ahead of the clock (a little, or by an hour), or
 * at no instant (none, a number, a date, a day that does not exist). Clear of the bounds by minutes, as the run
 * takes seconds.
 */
function timestamp(r: () => number, pick: Pick, now: number): unknown {
  const roll = r();
  const at = (ms: number) => new Date(now + ms).toISOString();
  if (roll < 0.5) return at(-Math.floor(r() * 10 * 60_000));
  if (roll < 0.6) return at(-24 * HOUR);
  if (roll < 0.7) return pick([at(-26 * HOUR), at(-7 * 24 * HOUR), "2019-01-01T00:00:00Z"]);
  if (roll < 0.8) return pick([at(5_000), at(HOUR)]);
  return pick([
    undefined,
    Math.floor(now / 1000),
    at(-60_000).slice(0, 10),
    "2026-02-30T12:00:00Z",
    new Date(now).toUTCString(),
    "yesterday",
  ]);
}

/** A device-posture result as Cloudflare writes it (test/fixtures/access-identity/get-identity.json). */
const check = (id: string, success: unknown, timestamp: unknown) => ({
  id: `rule-${id}`,
  schedule: "5m",
  ...(timestamp === undefined ? {} : { timestamp }),
  description: "",
  type: "file",
  check: { exists: success === true, path: "/etc/managed" },
  success,
  rule_name: id,
  input: {},
});

function posture(r: () => number, pick: Pick, hostile: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const now = Date.now();
  for (const c of CHECKS) {
    const roll = r();
    if (roll < 0.2) continue;
    const success = roll < 0.6 ? true : roll < 0.85 || !hostile ? false : pick(["true", 1, null, undefined, {}]);
    out[c] = hostile && r() < 0.15 ? pick([null, true, "passed", []]) : check(c, success, timestamp(r, pick, now));
  }
  // A check of the same name spelt with a control character: never read as the real one.
  if (hostile && r() < 0.3) out[`${pick(CHECKS)}${pick(CONTROL)}`] = check("spoof", true, new Date(now).toISOString());
  return out;
}

const groupObject = (name: string) => ({ id: `id-${name.length}-${name.charCodeAt(0)}`, name, email: "" });

export function genCase(r: () => number, p: GenPolicy, i: number, run: string): DirCase {
  const pick = picker(r);
  const email = `p${i}-${run}@example.com`;
  const sub = `u-${i}-${run}`;
  const mine = GROUPS.filter(() => r() < 0.4);
  const ordinaryGroups = () => mine.map(groupObject);
  const base = () => ({ email, groups: ordinaryGroups(), devicePosture: posture(r, pick, false) });
  const kinds: [string, () => Answer][] = [
    ["ordinary", base],
    ["ordinary", base],
    ["ordinary", base],
    ["string-groups", () => ({ ...base(), groups: [...mine] })],
    [
      "group-id-or-email-only-names-another",
      () => ({
        ...base(),
        groups: GROUPS.map((g) => ({ id: g, name: `not-${g}`, email: `${g.replace(/\W/g, "")}@example.com` })),
      }),
    ],
    ["duplicated", () => ({ ...base(), groups: [...ordinaryGroups(), ...ordinaryGroups(), ...mine] })],
    [
      "huge",
      () => ({
        ...base(),
        groups: [...Array.from({ length: 6000 }, (_, k) => groupObject(`g-${k}`)), ...ordinaryGroups()],
      }),
    ],
    [
      "not-strings",
      () => ({ ...base(), groups: [...ordinaryGroups(), pick([42, null, true, [], {}, { id: "x" }, { name: 7 }])] }),
    ],
    ["groups-not-a-list", () => ({ ...base(), groups: pick([mine[0] ?? "sre", { sre: true }, null, 1]) })],
    ["no-groups", () => ({ email, devicePosture: posture(r, pick, false) })],
    [
      "control-character",
      () => ({ ...base(), groups: [...ordinaryGroups(), groupObject(`${pick(GROUPS)}${pick(CONTROL)}`)] }),
    ],
    [
      "look-alike",
      () => ({
        ...base(),
        groups: [...GROUPS.filter((g) => !mine.includes(g)).map((g) => groupObject(LOOKALIKE(g, pick)))],
      }),
    ],
    [
      "another-person",
      () => ({ ...base(), email: pick([`admin-${run}@example.com`, `p${i}-${run}@example.org`, "", 7]) }),
    ],
    ["email-other-case", () => ({ ...base(), email: email.toUpperCase() })],
    ["no-email", () => ({ groups: ordinaryGroups(), devicePosture: posture(r, pick, false) })],
    ["hostile-posture", () => ({ ...base(), devicePosture: posture(r, pick, true) })],
    ["posture-not-a-map", () => ({ ...base(), devicePosture: pick([[], "managed-device", null, 1]) })],
    ["status", () => ({ $raw: { status: pick([401, 403, 404, 429, 500, 502, 503]), body: JSON.stringify(base()) } })],
    ["not-json", () => ({ $raw: { status: 200, body: pick(["<html>sign in</html>", "", "null", "[]", '"x"', "{"]) } })],
    [
      "lone-surrogate",
      () => ({ $raw: { status: 200, body: JSON.stringify(base()).replace('"groups":[', '"groups":["sre\\ud800",') } }),
    ],
    ["slow", () => ({ $raw: { status: 200, body: JSON.stringify(base()), delayMs: 6_000 } })],
  ];
  const [kind, make] = pick(kinds);
  const n = 1 + Math.floor(r() * 3);
  return {
    kind,
    email,
    sub,
    ...(r() < 0.85 ? { nonce: `n-${i}-${run}` } : {}),
    answer: make(),
    routes: Array.from({ length: kind === "slow" ? 1 : n }, () => pick(p.routes).id),
  };
}
