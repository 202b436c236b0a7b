// The oracle of the conditions differential (conditions-differential.test.ts), written from docs/policy.md
// ("Conditions (`when`)", "How a request is decided", "rateLimit", *instant*) and, for client addresses, from
// RFC 4291 (§2.2 text forms, §2.5.5.2 IPv4-mapped) with node:net (isIP, BlockList) as the independent reader.
// Nothing here comes from policy/.
import { BlockList, isIP } from "node:net";

export type Day = "sun" | "mon" | "tue" | "wed" | "thu" | "fri" | "sat";
export const DAYS: readonly Day[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export interface GenWhen {
  time?: { days?: Day[]; hours?: { from: string; to: string }; notBefore?: string; notAfter?: string };
  country?: string[];
}

export interface GenCondRule {
  id: string;
  effect: "allow" | "deny";
  mode?: "audit";
  principals: ({ public: true } | { email: string })[];
  when?: GenWhen;
  rateLimit?: { limit: number; period: string; key: "principal" };
}

export interface Facts {
  now: number;
  /** As evaluate() is given it (the gateway's reading of request.cf.country). */
  country?: string;
  email?: string;
  clientAddress?: string;
}

export interface Expected {
  effect: "allow" | "deny";
  status: number;
  reason: string;
  rule?: string;
  wouldDeny?: string;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * An *instant* ("ISO 8601 with seconds and an offset") as exact nanoseconds since the epoch, fraction digits
 * beyond nine dropped only where the generator never writes them.
 */
export function instantNanos(text: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) throw new Error(`oracle: no instant ${text}`);
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = m[8] === "Z" ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000;
  const fraction = BigInt((m[7] ?? "").padEnd(9, "0").slice(0, 9) || "0");
  return BigInt(utc - offset) * 1_000_000n + fraction;
}

/** Whether every condition of `when` holds; an unknown fact holds in a deny rule and fails in an allow rule. */
export function conditionsHold(when: GenWhen | undefined, facts: Facts, deny: boolean): boolean {
  if (!when) return true;
  const t = when.time;
  if (t?.days && !t.days.includes(DAYS[new Date(facts.now).getUTCDay()]!)) return false;
  if (t?.hours) {
    // "to the minute; seconds ignored"; from inclusive, to exclusive, wrapping when from > to.
    const m = Math.floor((((facts.now % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
    const from = minutes(t.hours.from);
    const to = minutes(t.hours.to);
    const inside = from < to ? m >= from && m < to : m >= from || m < to;
    if (!inside) return false;
  }
  const nanos = BigInt(facts.now) * 1_000_000n;
  if (t?.notBefore && !(nanos >= instantNanos(t.notBefore))) return false;
  if (t?.notAfter && !(nanos < instantNanos(t.notAfter))) return false;
  if (when.country) {
    // "Cloudflare's `XX` (no country known) counts as an unknown country"; no country at all is unknown too.
    const known = facts.country !== undefined && facts.country !== "" && facts.country !== "XX";
    if (!known) return deny;
    if (!when.country.includes(facts.country!)) return false;
  }
  return true;
}

function principalMatches(rule: GenCondRule, facts: Facts): boolean {
  return rule.principals.some((p) => ("public" in p ? true : p.email === facts.email));
}

/** The decision of docs/policy.md "How a request is decided", step 5, for one route of these rules. */
export function decide(service: string, route: string, rules: GenCondRule[], facts: Facts): Expected {
  const applies = (rule: GenCondRule) =>
    principalMatches(rule, facts) && conditionsHold(rule.when, facts, rule.effect === "deny");
  const name = (rule: GenCondRule) => `${service}/${route}/${rule.id}`;
  const deny = rules.find((x) => x.effect === "deny" && x.mode !== "audit" && applies(x));
  if (deny) return { effect: "deny", status: 403, reason: "denied-by-rule", rule: name(deny) };
  const allow = rules.find((x) => x.effect === "allow" && applies(x));
  if (allow) {
    const trial = rules.find((x) => x.effect === "deny" && x.mode === "audit" && applies(x));
    return {
      effect: "allow",
      status: 200,
      reason: "allowed-by-rule",
      rule: name(allow),
      ...(trial ? { wouldDeny: name(trial) } : {}),
    };
  }
  return facts.email
    ? { effect: "deny", status: 403, reason: "no-matching-rule" }
    : { effect: "deny", status: 401, reason: "unauthenticated" };
}

// ---------------------------------------------------------------------------------------------------------
// Client addresses: "counted by its address, CF-Connecting-IP ... an IPv6 client by its /64"

/** The 128 bits of an IPv6 address (node:net said it is one), its zone id dropped. */
function ipv6Bits(text: string): bigint {
  // A dotted tail (§2.2, form 3) is the last two 16-bit pieces.
  const body = text
    .split("%")[0]!
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
      [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((w) => w.toString(16)).join(":"),
    );
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  let words: number[];
  if (body.includes("::")) {
    const [head, rest] = body.split("::") as [string, string];
    const h = groups(head);
    const t = groups(rest);
    words = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  } else words = groups(body);
  if (words.length !== 8 || words.some((w) => !(w >= 0 && w <= 0xffff))) throw new Error(`oracle: ${text}`);
  return words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/**
 * node:net's BlockList reads each answer again where it is Node's own: workerd's node:net BlockList does not
 * read an IPv4-mapped address as its IPv4 address (the unit test runs the cross-check on the same cases).
 */
const crossCheck = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent !== "Cloudflare-Workers";

const dotted = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join(".");

export type AddressClass =
  | { kind: "none" }
  | { kind: "ipv4"; address: string }
  | { kind: "ipv6"; prefix: string; zoned: boolean };

/** Which client an address names: an IPv4 address (RFC 4291 §2.5.5.2: the mapped form too), an IPv6 /64, or none. */
export function addressClass(text: string | undefined): AddressClass {
  if (text === undefined) return { kind: "none" };
  const family = isIP(text);
  if (family === 4) return { kind: "ipv4", address: text };
  if (family !== 6) return { kind: "none" };
  const bits = ipv6Bits(text);
  const plain = text.split("%")[0]!;
  if (bits >> 32n === 0xffffn) {
    const address = dotted(bits & 0xffffffffn);
    const self = new BlockList();
    self.addAddress(address, "ipv4");
    if (crossCheck && !self.check(plain, "ipv6")) throw new Error(`oracle disagrees with BlockList on ${text}`);
    return { kind: "ipv4", address };
  }
  const prefix = (bits >> 64n).toString(16).padStart(16, "0");
  const words = prefix.match(/.{4}/g)!.map((w) => Number.parseInt(w, 16).toString(16));
  const self = new BlockList();
  self.addSubnet(`${words.join(":")}::`, 64, "ipv6");
  if (crossCheck && !self.check(plain, "ipv6")) throw new Error(`oracle disagrees with BlockList on ${text}`);
  return { kind: "ipv6", prefix, zoned: plain !== text };
}

export const classKey = (c: AddressClass) =>
  c.kind === "none" ? "none" : c.kind === "ipv4" ? `v4 ${c.address}` : `v6 ${c.prefix}`;
