// Generated schedules against the real RateLimiter Durable Object: seeded random interleavings of requests on
// several gateway isolates, checked after every step against what docs/policy.md#ratelimit promises:
//
// 1. Within one window of a count (a `counter`), the object grants at most `limit`, and the isolates admit no
//    more than it granted them (each isolate only what it leased itself), whatever the concurrency, the clock's
//    jumps, a push changing `period` while isolates on both versions call in turn (the count carries into the
//    later-ending window), isolates restarting, and object calls that fail, hang or answer late.
// 2. The window is the docs' fixed window aligned to the epoch: it resets once the clock reaches its end, never
//    before, and a period change moves its end only later.
// 3. A store that fails refuses (503) unless the rule says failOpen; then the request goes through uncounted,
//    without RateLimit fields, at most `limit` such requests per isolate a window (and a 503 only once they
//    are used up). Nothing fails without a failure, and requests an isolate holds a lease for are admitted
//    even while its object is down.
// 4. A refused request spends nothing: what its other buckets gave it is used by the isolate's next request,
//    and it uses none of the failOpen allowance.
// 5. Counts of different counters never mix (each object counts exactly what it granted).
// 6. The fields: q and w the rule's terms, r not above what the isolate can know is left, t and Retry-After the
//    seconds until the window resets, r=0 on a refusing bucket only when its object has nothing left. In a
//    window counted on two periods (a push spreading), t is only bounded by the window's end and r is not
//    checked: an isolate's fields describe the window as the object last answered it (docs: Changing period).
//
// The isolates are instances of the limiter module of their own (its leases, calls in flight and failOpen
// allowances), beside a "foreign" isolate that leases from the objects directly (all it is granted counts as
// admitted). Timers and Date are faked, so a hung object costs no real time; the fake clock moves only while no
// real object call is out, so none is ever timed out by it.
// Deterministic by default (the same schedules; the isolates' calls may interleave differently, the properties
// hold whatever the order); WARD_RATELIMIT_SEED=<n> WARD_RATELIMIT_SCHEDULES=1 replays a schedule a failure names,
// WARD_RATELIMIT_SEED=<n> alone runs other schedules.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { RateLimitObligation } from "../../../policy/index.ts";
import type { Env } from "../../../worker/env.ts";
import { prng } from "../../support/prng.ts";

type Limiter = typeof import("../../../worker/rate-limit/limiter.ts");
type Rand = () => number;

// The runner's WARD_* variables, through inject (not import.meta.env: Vite caches a transformed file with the
// values of its first run).
const wardEnv = inject("wardEnv");
const SEED = Number(wardEnv.WARD_RATELIMIT_SEED ?? 20261207);
const SCHEDULES = Number(wardEnv.WARD_RATELIMIT_SCHEDULES ?? 40);
const DEFAULTS = wardEnv.WARD_RATELIMIT_SEED === undefined && wardEnv.WARD_RATELIMIT_SCHEDULES === undefined;

const PERIODS = [1, 2, 10, 60, 3600];
const DAY = 86_400_000;

const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A limit: small (counted request by request), medium, or large (leased 1% at a time), up to 100,000. */
function randomLimit(r: Rand): number {
  const kind = r();
  if (kind < 0.4) return int(r, 1, 5);
  if (kind < 0.65) return int(r, 6, 150);
  return Math.round(Math.exp(Math.log(151) + r() * (Math.log(100_000) - Math.log(151))));
}

/** One rule's view of a count: rules of the same terms share a counter (`key: principal`). */
interface Term {
  rule: string;
  failOpen: boolean;
}

/** One counted key, and the docs' model of its object's window. */
interface Counter {
  name: string;
  limit: number;
  terms: Term[];
  /** Periods pushed, in order; each isolate slot is on one version of them. */
  periods: number[];
  version: number[];
  end?: number;
  windowId: number;
  periodsInWindow: Set<number>;
  /** What the object granted in the window (answers delivered, lost or garbled alike). */
  granted: number;
  /** Admitted in the window: by the isolates (counted), and all the foreign isolate was granted. */
  admitted: number;
}

/** One gateway isolate: its own module instance (leases, calls in flight, uncounted requests). */
interface Isolate {
  slot: number;
  id: number;
  limiter: Limiter;
  /** Per counter and period (the lease terms), for the window `windowId`: granted to it (delivered), admitted (counted). */
  leases: Map<string, { windowId: number; delivered: number; admitted: number }>;
  /** Admitted uncounted under failOpen, per lease terms and aligned window of the request's period. */
  uncounted: Map<string, number>;
}

type Mode = "ok" | "refuse-before" | "lose-after" | "hang-before" | "hang-after" | "late" | "garble";
interface Fault {
  mode: Mode;
  /** How many of the step's calls of this isolate and counter it hits (the first ones). */
  calls: number;
  delay: number;
}

interface Call {
  counter: Counter;
  periodSeconds: number;
  granted?: number;
  foreign: boolean;
}

interface Request {
  isolate: Isolate;
  obligations: { counter: Counter; term: Term; obligation: RateLimitObligation }[];
}

/** How often the schedules reached each case, so a change to the generator cannot quietly stop reaching one. */
const seen = new Map<string, number>();
const tally = (what: string): void => void seen.set(what, (seen.get(what) ?? 0) + 1);

/**
 * Another isolate's limiter: a module instance of its own, by a query Vite keys modules by. (Not vi.resetModules:
 * that reloads the Worker's main module too, which invalidates every Durable Object instance.)
 */
let instances = 0;
async function freshLimiter(): Promise<Limiter> {
  const url = `../../../worker/rate-limit/limiter.ts?isolate=${instances++}`;
  return import(/* @vite-ignore */ url);
}

/** `"rule";a=1;b=2, ...` -> rule -> parameters; a member of another shape is kept under "!". */
function members(field: string | undefined): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  if (!field) return out;
  for (const part of field.split(", ")) {
    const m = /^"([^"\\]*)"((?:;[a-z]=\d+)+)$/.exec(part);
    if (!m) {
      out.set("!", {});
      continue;
    }
    const params: Record<string, number> = {};
    for (const p of m[2]!.slice(1).split(";")) params[p.slice(0, 1)] = Number(p.slice(2));
    out.set(m[1]!, params);
  }
  return out;
}

class Schedule {
  readonly r: Rand;
  readonly trace: string[] = [];
  readonly violations: string[] = [];
  readonly counters: Counter[] = [];
  readonly byName = new Map<string, Counter>();
  isolates: Isolate[] = [];
  nextIsolateId = 0;
  now: number;
  step = 0;
  // This step's object calls, deliveries, plan of faults; the real calls in flight and answers held back.
  calls: Call[] = [];
  deliveries: { isolate: Isolate; counter: Counter; periodSeconds: number; granted: number }[] = [];
  faults = new Map<string, Fault>();
  outages = new Map<string, { fault: Fault; until: number }>();
  callsMade = new Map<string, number>();
  real = new Set<Promise<unknown>>();
  late = 0;
  readonly objects = new Map<string, { start: number; period: number; count: number } | undefined>();
  readonly withFaults: boolean;
  readonly withPushes: boolean;
  readonly slots: number;

  constructor(seed: number) {
    this.r = prng(seed);
    const r = this.r;
    this.withFaults = r() < 0.5;
    this.withPushes = r() < 0.4;
    // A random instant of a day a month ahead: no cleanup alarm of these objects comes due during the test.
    this.now = (Math.floor(Date.now() / DAY) + 30) * DAY + int(r, 0, DAY - 1);
    const slots = int(r, 1, 3);
    const run = crypto.randomUUID().slice(0, 8);
    const n = int(r, 1, 4);
    let rules = 0;
    for (let k = 0; k < n; k++) {
      const terms: Term[] = [];
      const m = r() < 0.3 ? 2 : 1;
      for (let j = 0; j < m; j++) terms.push({ rule: `gen/r${rules++}`, failOpen: r() < 0.35 });
      const counter: Counter = {
        name: `gen ${run} c${k}`,
        limit: randomLimit(r),
        terms,
        periods: [pick(r, PERIODS)],
        version: Array.from({ length: slots }, () => 0),
        windowId: 0,
        periodsInWindow: new Set(),
        granted: 0,
        admitted: 0,
      };
      this.counters.push(counter);
      this.byName.set(counter.name, counter);
    }
    // Two credentials of one caller under one rule (a person and a certificate): one rule, two counts of the
    // rule's terms (the same limit and period, pushed together), failing closed (so a field missing is never
    // a count that failed open), and the RateLimit fields report the one with less left.
    if (n >= 2 && r() < 0.3) {
      const shared = `gen/r${rules++}`;
      const [a, b] = this.counters as [Counter, Counter];
      b.limit = a.limit;
      b.periods = a.periods;
      b.version = a.version;
      for (const counter of [a, b]) counter.terms.push({ rule: shared, failOpen: false });
    }
    this.slots = slots;
    this.trace.push(
      `seed ${seed}: ${slots} isolate(s), faults ${this.withFaults}, pushes ${this.withPushes}, counters ${this.counters
        .map(
          (c) =>
            `${c.name.split(" ")[2]} limit ${c.limit} period ${c.periods[0]}s [${c.terms.map((t) => `${t.rule}${t.failOpen ? " failOpen" : ""}`).join(", ")}]`,
        )
        .join("; ")}`,
    );
  }

  violation(what: string): void {
    this.violations.push(`step ${this.step} (now ${this.now}): ${what}`);
  }

  async isolate(slot: number): Promise<Isolate> {
    return {
      slot,
      id: this.nextIsolateId++,
      limiter: await freshLimiter(),
      leases: new Map(),
      uncounted: new Map(),
    };
  }

  /** The namespace one isolate sees: the real objects, with this step's faults. */
  namespace(isolate: Isolate): Env["RATE_LIMITER"] {
    return {
      getByName: (name: string) => ({
        lease: (want: number, limit: number, periodSeconds: number, now: number) =>
          this.lease(isolate, this.byName.get(name)!, want, limit, periodSeconds, now),
      }),
    } as unknown as Env["RATE_LIMITER"];
  }

  /** Calls that never answer, ended when the schedule is: one left pending for good is logged by workerd. */
  readonly hung: ((error: Error) => void)[] = [];
  hang(): Promise<never> {
    return new Promise<never>((_, reject) => void this.hung.push(reject));
  }

  /** A real call, tracked so the fake clock never moves while one is in flight. */
  private realLease(
    counter: Counter,
    want: number,
    limit: number,
    periodSeconds: number,
    now: number,
    foreign: boolean,
  ) {
    const call: Call = { counter, periodSeconds, foreign };
    this.calls.push(call);
    const answer = (async () => env.RATE_LIMITER.getByName(counter.name).lease(want, limit, periodSeconds, now))();
    const tracked = answer.then(
      (a) => void (call.granted = a.granted),
      () => undefined,
    );
    this.real.add(tracked);
    void tracked.then(() => this.real.delete(tracked));
    return answer;
  }

  private async lease(
    isolate: Isolate,
    counter: Counter,
    want: number,
    limit: number,
    periodSeconds: number,
    now: number,
  ) {
    const key = `${isolate.slot} ${counter.name}`;
    const made = this.callsMade.get(key) ?? 0;
    this.callsMade.set(key, made + 1);
    const fault = this.faults.get(key);
    const mode: Mode = fault && made < fault.calls ? fault.mode : "ok";
    if (mode === "refuse-before") throw new Error("Durable Object is overloaded. Too many requests queued.");
    if (mode === "hang-before") return this.hang();
    const answer = await this.realLease(counter, want, limit, periodSeconds, now, false);
    if (mode === "lose-after") throw new Error("Network connection lost.");
    if (mode === "hang-after") return this.hang();
    if (mode === "garble") return { ...answer, granted: Number.NaN };
    if (mode === "late") {
      this.late++;
      if (fault!.delay > 3_000) tally("answered after the caller gave up");
      try {
        await new Promise((resolve) => setTimeout(resolve, fault!.delay));
      } finally {
        this.late--;
      }
    }
    this.deliveries.push({ isolate, counter, periodSeconds, granted: answer.granted });
    return answer;
  }

  periodOf(counter: Counter, slot: number): number {
    return counter.periods[counter.version[slot]!]!;
  }

  /** The clock: same instant, a little on, exactly at a window's end, just before it, or periods on. */
  advanceClock(): void {
    const r = this.r;
    if (r() < 0.45) return;
    const counter = pick(r, this.counters);
    const period = this.periodOf(counter, int(r, 0, this.slots - 1)) * 1000;
    const boundary = (Math.floor(this.now / period) + 1) * period;
    const kind = r();
    const before = this.now;
    if (kind < 0.2) this.now += 1;
    else if (kind < 0.45) this.now += int(r, 0, period - 1);
    else if (kind < 0.7) this.now = boundary;
    else if (kind < 0.85) this.now = Math.max(this.now, boundary - 1);
    else this.now += int(r, 1, 3) * period + int(r, 0, 999);
    if (this.now !== before) this.trace.push(`step ${this.step}: clock +${this.now - before} ms`);
  }

  /** A push changing one counter's period: isolates take it up one by one (or at once). */
  push(): void {
    const r = this.r;
    for (const counter of this.counters)
      for (let slot = 0; slot < this.slots; slot++)
        if (counter.version[slot]! < counter.periods.length - 1 && r() < 0.4) counter.version[slot]!++;
    // (A shared version array is visited twice above: it may take up two pushes at once, as an isolate may.)
    if (!this.withPushes || r() >= 0.12) return;
    const counter = pick(r, this.counters);
    const current = counter.periods.at(-1)!;
    // Counters sharing a rule share its periods (one array): a push is one for both.
    const next = pick(
      r,
      PERIODS.filter((p) => p !== current),
    );
    counter.periods.push(next);
    for (let slot = 0; slot < this.slots; slot++) if (r() < 0.5) counter.version[slot] = counter.periods.length - 1;
    this.trace.push(`step ${this.step}: push ${counter.name.split(" ")[2]} period ${current}s -> ${next}s`);
  }

  planFaults(): void {
    this.faults.clear();
    this.callsMade.clear();
    if (!this.withFaults) return;
    const r = this.r;
    const modes: Mode[] = ["refuse-before", "lose-after", "hang-before", "hang-after", "late", "late", "garble"];
    for (let slot = 0; slot < this.slots; slot++)
      for (const counter of this.counters) {
        const key = `${slot} ${counter.name}`;
        const outage = this.outages.get(key);
        if (outage && outage.until >= this.step) {
          this.faults.set(key, outage.fault);
          continue;
        }
        if (r() >= 0.15) continue;
        // A fault of one step, or an outage of a few (an isolate's calls to one object failing for a while).
        const fault = {
          mode: pick(r, modes),
          calls: r() < 0.5 ? 1 : Number.POSITIVE_INFINITY,
          delay: pick(r, [300, 1_500, 3_500]),
        };
        const steps = r() < 0.5 ? 1 : int(r, 2, 6);
        this.outages.set(key, { fault, until: this.step + steps - 1 });
        this.faults.set(key, fault);
        this.trace.push(
          `step ${this.step}: fault isolate ${slot} ${counter.name.split(" ")[2]} ${fault.mode}${fault.mode === "late" ? ` ${fault.delay} ms` : ""} (${fault.calls === 1 ? "first call" : "every call"}${steps > 1 ? `, ${steps} steps` : ""})`,
        );
      }
  }

  faulted(isolate: Isolate, counter: Counter): boolean {
    return this.faults.has(`${isolate.slot} ${counter.name}`);
  }

  /** Until every request answered and every late answer arrived, moving the fake clock only while no real call is out. */
  async settle(all: Promise<unknown>): Promise<void> {
    let done = false;
    void all.then(() => (done = true));
    for (let i = 0; ; i++) {
      if (i > 5_000) throw new Error(`step ${this.step} did not settle`);
      if (this.real.size > 0) {
        await Promise.race([all, ...this.real]);
        continue;
      }
      if (done && this.late === 0) return;
      await vi.advanceTimersByTimeAsync(100);
    }
  }

  /** What the docs say the object's window is after a call at `now` (Window, Changing period). */
  observe(counter: Counter, periodSeconds: number): void {
    const period = periodSeconds * 1000;
    const end = Math.floor(this.now / period) * period + period;
    if (counter.end === undefined || this.now >= counter.end) {
      counter.end = end;
      counter.windowId++;
      counter.periodsInWindow = new Set([periodSeconds]);
      counter.granted = 0;
      counter.admitted = 0;
    } else {
      counter.end = Math.max(counter.end, end);
      counter.periodsInWindow.add(periodSeconds);
    }
  }

  /** An isolate's lease of a counter on one period (the limiter's lease terms), in the counter's window. */
  leaseOf(isolate: Isolate, counter: Counter, periodSeconds: number) {
    const key = `${counter.name} ${periodSeconds}`;
    let lease = isolate.leases.get(key);
    if (!lease || lease.windowId !== counter.windowId)
      isolate.leases.set(key, (lease = { windowId: counter.windowId, delivered: 0, admitted: 0 }));
    return lease;
  }

  /** The isolate's lease on the period it is on now, if it is one of the counter's window still open. */
  openLease(isolate: Isolate, counter: Counter) {
    const lease = isolate.leases.get(`${counter.name} ${this.periodOf(counter, isolate.slot)}`);
    if (!lease || counter.end === undefined || lease.windowId !== counter.windowId) return undefined;
    return this.now < counter.end ? lease : undefined;
  }

  /** What an isolate holds leased and unused for a counter, where the model knows it exactly (one period). */
  held(isolate: Isolate, counter: Counter): number {
    const lease = this.openLease(isolate, counter);
    return lease && counter.periodsInWindow.size === 1 ? lease.delivered - lease.admitted : 0;
  }

  async runStep(): Promise<void> {
    const r = this.r;
    this.advanceClock();
    this.push();
    if (this.isolates.length > 1 && r() < 0.05) {
      const slot = int(r, 0, this.slots - 1);
      this.isolates[slot] = await this.isolate(slot);
      this.trace.push(`step ${this.step}: isolate ${slot} restarts`);
    }
    this.planFaults();
    this.calls = [];
    this.deliveries = [];
    // The requests: per isolate a few (a burst now and then), each counted against one to three counters.
    const requests: Request[] = [];
    for (const isolate of this.isolates) {
      const n = r() < 0.15 ? int(r, 8, 24) : int(r, 0, 4);
      for (let i = 0; i < n; i++) {
        const chosen = this.counters.filter(() => r() < 0.5);
        if (chosen.length === 0) chosen.push(pick(r, this.counters));
        const obligations = chosen.slice(0, 3).map((counter) => {
          const term = pick(r, counter.terms);
          const obligation: RateLimitObligation = {
            rule: term.rule,
            key: counter.name,
            counter: counter.name,
            limit: counter.limit,
            periodSeconds: this.periodOf(counter, isolate.slot),
            failOpen: term.failOpen,
          };
          return { counter, term, obligation };
        });
        requests.push({ isolate, obligations });
      }
    }
    for (let i = requests.length - 1; i > 0; i--) {
      const j = int(r, 0, i);
      [requests[i], requests[j]] = [requests[j]!, requests[i]!];
    }
    // The foreign isolate: leases from the object directly, anything from one request to the whole limit.
    const foreign: { counter: Counter; want: number; periodSeconds: number }[] = [];
    if (r() < 0.2) {
      const counter = pick(r, this.counters);
      const want = r() < 0.5 ? counter.limit : int(r, 1, Math.max(1, Math.ceil(counter.limit / 3)));
      foreign.push({ counter, want, periodSeconds: this.periodOf(counter, int(r, 0, this.slots - 1)) });
    }
    if (requests.length > 0 || foreign.length > 0)
      this.trace.push(
        `step ${this.step}: ${requests
          .map(
            (q) =>
              `i${q.isolate.slot}[${q.obligations.map((o) => `${o.counter.name.split(" ")[2]}/${o.obligation.periodSeconds}s`).join(" ")}]`,
          )
          .join(" ")}${foreign.map((f) => ` foreign ${f.counter.name.split(" ")[2]} wants ${f.want}`).join("")}`,
      );
    // Held at the step's start, for the requests alone on their isolate and counter (below).
    const heldBefore = new Map<string, number>();
    for (const isolate of this.isolates)
      for (const counter of this.counters) heldBefore.set(`${isolate.id} ${counter.name}`, this.held(isolate, counter));
    const priorAdmitted = new Map<string, number>();
    for (const isolate of this.isolates)
      for (const counter of this.counters)
        priorAdmitted.set(`${isolate.id} ${counter.name}`, this.openLease(isolate, counter)?.admitted ?? 0);

    const now = this.now;
    const answers = Promise.all([
      ...requests.map((q) =>
        q.isolate.limiter.checkRateLimits(
          { RATE_LIMITER: this.namespace(q.isolate) },
          q.obligations.map((o) => o.obligation),
          now,
        ),
      ),
      ...foreign.map((f) =>
        this.realLease(f.counter, f.want, f.counter.limit, f.periodSeconds, now, true).then(() => undefined),
      ),
    ]);
    await this.settle(answers);
    const results = (await answers).slice(0, requests.length) as Awaited<ReturnType<Limiter["checkRateLimits"]>>[];

    // The docs' window after this step's calls (all at one instant), then what was granted and delivered in it.
    for (const call of this.calls) {
      this.observe(call.counter, call.periodSeconds);
      call.counter.granted += call.granted ?? 0;
      if (call.foreign) call.counter.admitted += call.granted ?? 0;
    }
    for (const d of this.deliveries) this.leaseOf(d.isolate, d.counter, d.periodSeconds).delivered += d.granted;
    // The objects this step called (the others are as they were).
    const objects = this.objects;
    for (const counter of new Set(this.calls.map((call) => call.counter)))
      objects.set(counter.name, await objectState(counter.name));

    const perIsolateCounter = new Map<string, number>();
    for (const q of requests)
      for (const o of q.obligations) {
        const key = `${q.isolate.id} ${o.counter.name}`;
        perIsolateCounter.set(key, (perIsolateCounter.get(key) ?? 0) + 1);
      }
    for (const [i, q] of requests.entries())
      this.checkAnswer(q, results[i]!, objects, heldBefore, priorAdmitted, perIsolateCounter);
    // A 503 needs a failed count that may not fail open: not failOpen, or its isolate's uncounted requests of the
    // window used up (counted after the step: they only grow, so it was not used up when this one was answered).
    requests.forEach((q, i) => {
      const result = results[i]!;
      if (result.ok || result.reason !== "rate-limit-unavailable") return;
      const closes = q.obligations.some(
        (o) =>
          this.faulted(q.isolate, o.counter) &&
          (!o.term.failOpen || (q.isolate.uncounted.get(uncountedKey(o.obligation, now)) ?? 0) >= o.counter.limit),
      );
      if (!closes)
        this.violation(
          `isolate ${q.isolate.slot} [${q.obligations.map((o) => `${o.counter.name.split(" ")[2]}/${o.term.rule}`).join(" ")}]: 503, though each count that failed may fail open (${q.obligations.map((o) => `${q.isolate.uncounted.get(uncountedKey(o.obligation, now)) ?? 0} uncounted`).join(", ")})`,
        );
    });

    for (const counter of this.counters) {
      const name = counter.name.split(" ")[2];
      const row = objects.get(counter.name);
      if (counter.end === undefined) {
        if (row) this.violation(`${name}: the object counts (${JSON.stringify(row)}) though no call reached it`);
        continue;
      }
      if (!row) {
        this.violation(`${name}: the object holds no count, the docs' window ends at ${counter.end}`);
        continue;
      }
      if (row.start + row.period !== counter.end)
        this.violation(`${name}: the object's window ends at ${row.start + row.period}, the docs' at ${counter.end}`);
      if (row.count !== counter.granted)
        this.violation(`${name}: the object counts ${row.count}, it granted ${counter.granted} in the window`);
      if (row.count === counter.limit) tally(counter.limit > 100 ? "a large limit spent" : "a small limit spent");
      if (counter.granted > counter.limit)
        this.violation(`${name}: granted ${counter.granted} in one window, over the limit ${counter.limit}`);
      if (counter.admitted > counter.granted)
        this.violation(`${name}: admitted ${counter.admitted} in one window, granted only ${counter.granted}`);
      for (const isolate of this.isolates)
        for (const [key, lease] of isolate.leases)
          if (
            key.startsWith(`${counter.name} `) &&
            lease.windowId === counter.windowId &&
            lease.admitted > lease.delivered
          )
            this.violation(
              `${name}: isolate ${isolate.slot} admitted ${lease.admitted} off its lease ${key.split(" ").at(-1)}s in the window, leased only ${lease.delivered}`,
            );
    }
  }

  checkAnswer(
    q: Request,
    result: Awaited<ReturnType<Limiter["checkRateLimits"]>>,
    objects: Map<string, { start: number; period: number; count: number } | undefined>,
    heldBefore: Map<string, number>,
    priorAdmitted: Map<string, number>,
    perIsolateCounter: Map<string, number>,
  ): void {
    const { isolate } = q;
    const what = `isolate ${isolate.slot} [${q.obligations.map((o) => `${o.counter.name.split(" ")[2]}/${o.term.rule}`).join(" ")}]`;
    const policy = members(result.headers["RateLimit-Policy"]);
    const current = members(result.headers.RateLimit);
    if (policy.has("!") || current.has("!"))
      this.violation(`${what}: malformed fields ${JSON.stringify(result.headers)}`);
    const rules = new Map<string, typeof q.obligations>();
    for (const o of q.obligations) rules.set(o.term.rule, [...(rules.get(o.term.rule) ?? []), o]);
    const secondsLeft = (counter: Counter) => Math.max(0, Math.ceil((counter.end! - this.now) / 1000));
    const exhausted = (counter: Counter) => objects.get(counter.name)?.count === counter.limit;
    const faulted = q.obligations.some((o) => this.faulted(isolate, o.counter));
    // Alone on its isolate and counters, with requests leased for each: admitted off the leases, whatever the object.
    const alone = q.obligations.every((o) => perIsolateCounter.get(`${isolate.id} ${o.counter.name}`) === 1);
    const leased = q.obligations.every((o) => (heldBefore.get(`${isolate.id} ${o.counter.name}`) ?? 0) > 0);
    if (alone && leased && !result.ok)
      this.violation(`${what}: refused (${result.reason}) though the isolate held a lease for each of its counts`);
    tally(result.ok ? "admitted" : result.reason);
    if (alone && leased && faulted && result.ok) tally("admitted off a lease while its object failed");

    if (!result.ok && result.reason === "rate-limit-unavailable") {
      if (Object.keys(result.headers).length > 0)
        this.violation(`${what}: 503 with fields ${JSON.stringify(result.headers)}`);
      if (!faulted) this.violation(`${what}: 503 without a store failure`);
      return;
    }
    for (const [rule, obligations] of rules) {
      const p = policy.get(rule);
      const c = current.get(rule);
      if (!p || !c) {
        if (p || c) this.violation(`${what}: ${rule} in one RateLimit field only`);
        // Not counted: only where the rule says failOpen and its store failed (docs: "Store failure").
        for (const o of obligations) {
          if (!o.term.failOpen) this.violation(`${what}: ${rule} answered without its count, and not failOpen`);
          else if (!this.faulted(isolate, o.counter))
            this.violation(`${what}: ${rule} admitted uncounted without a store failure`);
        }
        if (result.ok)
          for (const o of obligations) {
            const key = uncountedKey(o.obligation, this.now);
            const n = (isolate.uncounted.get(key) ?? 0) + 1;
            isolate.uncounted.set(key, n);
            tally(n === o.counter.limit ? "uncounted allowance used up" : "admitted uncounted");
            if (n > o.counter.limit)
              this.violation(`${what}: ${n} admitted uncounted in one window, limit ${o.counter.limit}`);
          }
        continue;
      }
      const o = obligations[0]!;
      if (p.q !== o.counter.limit || p.w !== o.obligation.periodSeconds)
        this.violation(
          `${what}: ${rule} policy q=${p.q};w=${p.w}, the terms are ${o.counter.limit}/${o.obligation.periodSeconds}s`,
        );
      const ts = obligations.map((x) => secondsLeft(x.counter));
      // While a period change spreads, an isolate may tell the end of the window it leased in, which the other
      // period's calls since moved later (docs: Changing period): never later than the window's end.
      const mixed = obligations.some((x) => x.counter.periodsInWindow.size > 1);
      if (mixed ? !(c.t! >= 1 && c.t! <= Math.max(...ts)) : !ts.includes(c.t!))
        this.violation(`${what}: ${rule} t=${c.t}, the window resets in ${ts.join(" or ")} s`);
      const bound = Math.min(
        ...obligations.map(
          (x) => x.counter.limit - (priorAdmitted.get(`${isolate.id} ${x.counter.name}`) ?? 0) - (result.ok ? 1 : 0),
        ),
      );
      if (!(c.r! >= 0 && c.r! <= bound) && !mixed)
        this.violation(`${what}: ${rule} r=${c.r}, but at most ${bound} can be left for this isolate`);
      if (mixed) tally("counted in a window of two periods");
      if (result.ok) {
        if (o.counter.limit > 100) tally("admitted under a leased (large) limit");
        for (const x of obligations) {
          x.counter.admitted++;
          this.leaseOf(isolate, x.counter, x.obligation.periodSeconds).admitted++;
        }
        continue;
      }
      // Refused by the limit: r=0 on the buckets that refused it (their object has nothing left), r>=1 on the rest.
      if (c.r === 0) {
        tally("refused by a spent window");
        if (!obligations.some((x) => exhausted(x.counter)))
          this.violation(
            `${what}: ${rule} refused with r=0, its object has ${JSON.stringify(objects.get(o.counter.name))} of ${o.counter.limit}`,
          );
        const retryAfter = Number(result.headers["Retry-After"]);
        if (!mixed && !obligations.some((x) => exhausted(x.counter) && this.now + retryAfter * 1000 >= x.counter.end!))
          this.violation(`${what}: Retry-After ${retryAfter}, the window of ${rule} resets in ${ts.join(" or ")} s`);
        if (obligations.length === 1 && alone && (heldBefore.get(`${isolate.id} ${o.counter.name}`) ?? 0) > 0)
          this.violation(
            `${what}: ${rule} refused, the isolate held ${heldBefore.get(`${isolate.id} ${o.counter.name}`)} leased`,
          );
      }
    }
    if (!result.ok) {
      const refusing = [...current.values()].filter((m) => m.r === 0);
      const retryAfter = Number(result.headers["Retry-After"]);
      if (refusing.length === 0) this.violation(`${what}: 429 without a bucket at r=0`);
      // Retry-After is the latest reset of the buckets that refused (the fields show one bucket per rule: while
      // a period change spreads, two of a rule's buckets may reset at different times).
      const latest = Math.max(1, ...refusing.map((m) => m.t!));
      const mixed = q.obligations.some((o) => o.counter.periodsInWindow.size > 1);
      if (!(Number.isInteger(retryAfter) && (mixed ? retryAfter >= latest : retryAfter === latest)))
        this.violation(`${what}: Retry-After ${result.headers["Retry-After"]} for ${result.headers.RateLimit}`);
    } else if ("Retry-After" in result.headers) this.violation(`${what}: admitted with Retry-After`);
  }
}

/** Per isolate, what failOpen admits uncounted is counted per lease terms and aligned window of the period. */
const uncountedKey = (o: RateLimitObligation, now: number): string =>
  `${o.counter} ${o.limit} ${o.periodSeconds} ${Math.floor(now / (o.periodSeconds * 1000))}`;

/** The object's row, read in the object (none when no call reached it). */
async function objectState(name: string) {
  return runInDurableObject(env.RATE_LIMITER.getByName(name), (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'counter'")
      .one().n;
    if (tables === 0) return undefined;
    return state.storage.sql
      .exec<{ start: number; period: number; count: number }>("SELECT start, period, count FROM counter")
      .toArray()[0];
  });
}

// The objects' first call starts their isolate, seconds on a busy machine: not this test's subject.
beforeAll(async () => {
  await env.RATE_LIMITER.getByName("warm-up").lease(1, 1, 60, Date.now() + DAY);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("rate limits on generated schedules (docs/policy.md#ratelimit)", () => {
  it("keep every documented property after every step", { timeout: 120_000 }, async () => {
    const seeds = prng(SEED);
    const failures: string[] = [];
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    for (let s = 0; s < SCHEDULES && failures.length === 0; s++) {
      const seed = SCHEDULES === 1 ? SEED : Math.floor(seeds() * 2 ** 32);
      const schedule = new Schedule(seed);
      for (let slot = 0; slot < schedule.slots; slot++) schedule.isolates.push(await schedule.isolate(slot));
      const length = int(schedule.r, 10, 30);
      for (schedule.step = 0; schedule.step < length && schedule.violations.length === 0; schedule.step++)
        await schedule.runStep();
      // The calls that never answered fail now, long after their callers gave up (as a lost connection would):
      // a promise left pending for good is reported by workerd ("Promise will never complete") on every run.
      for (const fail of schedule.hung.splice(0)) fail(new Error("abandoned: the schedule ended"));
      if (schedule.violations.length > 0)
        failures.push(
          `schedule seed ${seed} (replay: WARD_RATELIMIT_SEED=${seed} WARD_RATELIMIT_SCHEDULES=1)`,
          ...schedule.violations,
          "trace:",
          ...schedule.trace,
        );
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
    // The default schedules reach every case the properties are about (a change to the generator that stops
    // reaching one fails here, not silently).
    if (DEFAULTS)
      for (const what of [
        "admitted",
        "rate-limited",
        "rate-limit-unavailable",
        "admitted uncounted",
        "uncounted allowance used up",
        "admitted off a lease while its object failed",
        "admitted under a leased (large) limit",
        "refused by a spent window",
        "counted in a window of two periods",
        "answered after the caller gave up",
        "a large limit spent",
        "a small limit spent",
      ])
        expect(seen.get(what) ?? 0, `${what}, seed ${SEED}: ${JSON.stringify([...seen])}`).toBeGreaterThanOrEqual(5);
  });
});
