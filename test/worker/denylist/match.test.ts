// Which verified fact each kind of denylist entry names, against the real Denylist Durable Object: one entry
// at a time, a caller that has the fact is refused with that entry and a caller without it is clear. The
// gateway-level refusals (origin never called) are in denylist.test.ts.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { Identity } from "../../../policy/index.ts";
import { denylistVerdict, resetDenylistCache } from "../../../worker/denylist/cache.ts";
import { DENYLIST_NAME, type NewDenyEntry } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import type { CertificateFacts } from "../../../worker/identity/mtls.ts";

const gatewayEnv = env as unknown as Env;
const list = () => gatewayEnv.DENYLIST.getByName(DENYLIST_NAME);
const SKI = "3a45f848c6050cd86d58fe6da772c4f3c3cef5c2";
/** The intermediate CA the workload's certificate was reached through, and the root pinned above it. */
const INTERMEDIATE = "5c0ffee5".repeat(5);
const ROOT = "0123abcd".repeat(5);
const CERT: CertificateFacts = {
  sha256: "ab".repeat(32),
  issuerSki: SKI.toUpperCase().match(/../g)!.join(":"),
  serial: "00:1F:2E",
  caKeys: [SKI, INTERMEDIATE, ROOT],
};
const WORKLOAD = "spiffe://demo.ward.internal/ns/shop/sa/checkout";

interface Caller {
  identity: Identity;
  certificate?: CertificateFacts;
  principal: string;
}

const workload: Caller = {
  identity: { workload: { id: WORKLOAD } },
  certificate: CERT,
  principal: `workload:${WORKLOAD}`,
};
const person: Caller = {
  identity: { user: { email: "Ann@Example.com", sub: "u-ann" } },
  principal: "user:ann@example.com",
};
const token: Caller = {
  identity: { serviceToken: { clientId: "d60f578cd343bd10763fc2292a6cbc83.access" } },
  principal: "token:d60f578cd343bd10763fc2292a6cbc83.access",
};
const both: Caller = {
  identity: { workload: { id: WORKLOAD }, user: { email: "ann@example.com" } },
  certificate: CERT,
  principal: `workload:${WORKLOAD}+user:ann@example.com`,
};
const stranger: Caller = {
  identity: {
    workload: { id: "spiffe://demo.ward.internal/ns/shop/sa/cart" },
    user: { email: "bob@example.com", sub: "u-bob" },
  },
  // Issued directly by the workload's issuer CA, which a pin names.
  certificate: { sha256: "cd".repeat(32), issuerSki: SKI, serial: "1f2f", caKeys: [SKI] },
  principal: "workload:spiffe://demo.ward.internal/ns/shop/sa/cart+user:bob@example.com",
};

/** Background refreshes a verdict starts: awaited before the next test, so none lands in its copy. */
const background: Promise<unknown>[] = [];
const verdict = (caller: Caller, now: number) =>
  denylistVerdict(gatewayEnv, caller.identity, caller.certificate, caller.principal, now, (p) => background.push(p));

async function withEntry(entry: Pick<NewDenyEntry, "match" | "value"> & Partial<NewDenyEntry>, now = Date.now()) {
  const added = await list().add({ kind: "revocation", reason: "test", expiresAt: null, ...entry }, "test", now);
  resetDenylistCache();
  return added;
}

const added: string[] = [];
afterEach(async () => {
  await Promise.allSettled(background.splice(0));
  for (const id of added.splice(0)) await list().release(id, "test", Date.now());
  resetDenylistCache();
});

describe("a denylist entry names", () => {
  const cases: [string, Pick<NewDenyEntry, "match" | "value">, Caller][] = [
    ["a workload by its SPIFFE ID", { match: "spiffe", value: WORKLOAD }, workload],
    ["a certificate by its fingerprint", { match: "fingerprint", value: "ab".repeat(32) }, workload],
    [
      "a certificate by issuer and serial, however Cloudflare writes the hex",
      { match: "serial", value: `${SKI}/1f2e` },
      workload,
    ],
    ["a CA on the certificate's path by its key identifier", { match: "ca", value: INTERMEDIATE }, workload],
    ["the root a path reached, by its key identifier", { match: "ca", value: ROOT }, workload],
    ["a person by e-mail, in any case", { match: "email", value: "ann@example.com" }, person],
    ["a person by sub", { match: "sub", value: "u-ann" }, person],
    ["a service token by client id", { match: "token", value: "d60f578cd343bd10763fc2292a6cbc83.access" }, token],
    ["a whole principal (quarantine)", { match: "principal", value: "user:ann@example.com" }, person],
    ["one part of a two-factor principal (quarantine)", { match: "principal", value: "user:ann@example.com" }, both],
  ];
  for (const [name, entry, caller] of cases) {
    it(name, async () => {
      const now = Date.now();
      const { id } = await withEntry(entry, now);
      added.push(id);
      expect(await verdict(caller, now)).toMatchObject({ state: "denied", entry: { id } });
      expect(await verdict(stranger, now)).toEqual({ state: "clear" });
    });
  }

  it("a quarantined part of a two-factor principal, even with a '+' in an e-mail or a SPIFFE ID", async () => {
    const now = Date.now();
    const plus: Caller = {
      identity: { workload: { id: "spiffe://demo.ward.internal/a+b" }, user: { email: "alice+dev@example.com" } },
      principal: "workload:spiffe://demo.ward.internal/a+b+user:alice+dev@example.com",
    };
    const { id } = await withEntry(
      { kind: "quarantine", match: "principal", value: "workload:spiffe://demo.ward.internal/a+b" },
      now,
    );
    added.push(id);
    expect(await verdict(plus, now)).toMatchObject({ state: "denied", entry: { id } });
    const { id: second } = await withEntry(
      { kind: "quarantine", match: "principal", value: "user:alice+dev@example.com" },
      now,
    );
    added.push(second);
    await list().release(id, "test", now);
    resetDenylistCache();
    expect(await verdict(plus, now)).toMatchObject({ state: "denied", entry: { id: second } });
  });

  it("a permanent revocation, even after a shorter one of the same credential has ended", async () => {
    const now = Date.now();
    const { id: permanent } = await withEntry({ match: "email", value: "ann@example.com" }, now);
    const { id: brief } = await withEntry({ match: "email", value: "ann@example.com", expiresAt: now + 1000 }, now + 1);
    added.push(permanent, brief);
    expect(await verdict(person, now + 2)).toMatchObject({ state: "denied", entry: { id: permanent } });
    // Past the brief one's end, on the same copy: the permanent one still stands.
    expect(await verdict(person, now + 1001)).toMatchObject({ state: "denied", entry: { id: permanent } });
  });

  it("an entry added since an idle isolate last read the list: read again before answering", async () => {
    const now = Date.now();
    expect(await verdict(person, now)).toEqual({ state: "clear" });
    const { id } = await list().add(
      { kind: "revocation", match: "email", value: "ann@example.com", reason: "test", expiresAt: null },
      "test",
      now,
    );
    added.push(id);
    // A busy isolate would answer from its copy and re-read in the background; one whose copy is 5 s old
    // (no request since) reads the list first.
    expect(await verdict(person, now + 5000)).toMatchObject({ state: "denied", entry: { id } });
  });

  /**
   * A store whose reads answer in turn from `answers` (one never settling, or settling late), where the real
   * object cannot be made to: the timing of reads is what these tests are about.
   */
  const scripted = (answers: (() => Promise<unknown[]>)[]) => {
    const state = { reads: 0, pending: [] as Promise<unknown>[] };
    const store = {
      DENYLIST_REFRESH_SECONDS: "2",
      DENYLIST: {
        // Each answer is what the store holds for Ann's address now: one changed fact, the copy then up to date.
        getByName: () => ({
          changes: (since: number) =>
            answers[state.reads++]!().then((entries) => ({
              from: since,
              seq: since + 1,
              facts: [{ match: "email", value: "ann@example.com", entry: entries[0] ?? null }],
              complete: true,
              refreshes: [],
            })),
        }),
      },
    } as unknown as Env;
    const at = (now: number) =>
      denylistVerdict(store, person.identity, undefined, person.principal, now, (p) => state.pending.push(p));
    return { state, at };
  };
  const revocation = (id: string) => ({
    id,
    kind: "revocation",
    match: "email",
    value: "ann@example.com",
    reason: "test",
    createdAt: 0,
    createdBy: "test",
    expiresAt: null,
    releasedAt: null,
    releasedBy: null,
  });

  it("an entry, even after a background read never finished (its request was cancelled): later reads go on", async () => {
    const { state, at } = scripted([
      async () => [],
      () => new Promise(() => {}),
      async () => [],
      async () => [revocation("rev-late")],
    ]);
    const t0 = Date.now();
    expect(await at(t0)).toEqual({ state: "clear" });
    await at(t0 + 3000); // a background read that never settles
    await at(t0 + 9000); // the copy is 9 s old: read before answering
    expect(state.reads).toBe(3);
    await at(t0 + 13_100); // the copy is 4 s old, the stuck read 10 s: read again in the background
    expect(state.reads).toBe(4);
    await state.pending[state.pending.length - 1];
    expect(await at(t0 + 13_200)).toMatchObject({ state: "denied", entry: { id: "rev-late" } });
  });

  it("an entry, even when a slower, older read finishes after the read that found it", async () => {
    let finishSlow: (entries: unknown[]) => void = () => {};
    const slow = new Promise<unknown[]>((resolve) => (finishSlow = resolve));
    const { state, at } = scripted([
      async () => [],
      () => slow,
      async () => [revocation("rev-new")],
      async () => [revocation("rev-new")],
    ]);
    const t0 = Date.now();
    expect(await at(t0)).toEqual({ state: "clear" });
    await at(t0 + 2100); // a background read, slow to answer
    expect(await at(t0 + 5100)).toMatchObject({ state: "denied", entry: { id: "rev-new" } }); // 5 s old: read first
    finishSlow([]); // the older read ends last, with what the list held before
    await Promise.allSettled(state.pending);
    expect(await at(t0 + 5200)).toMatchObject({ state: "denied", entry: { id: "rev-new" } });
  });

  it("nothing once it has expired, at the request's instant, before the copy is refreshed", async () => {
    const now = Date.now();
    const { id } = await withEntry({ match: "email", value: "ann@example.com", expiresAt: now + 1000 }, now);
    added.push(id);
    expect(await verdict(person, now)).toMatchObject({ state: "denied", entry: { id } });
    expect(await verdict(person, now + 1001)).toEqual({ state: "clear" });
  });
});
