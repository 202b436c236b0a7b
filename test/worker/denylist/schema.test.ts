// The Denylist object upgrades its tables once, when it first wakes under a release with a newer layout, and
// records the layout it reached: at 100,000 entries the upgrade's scan of the list took ~230 ms, paid on every
// wake before, ahead of the first page a cold isolate waits for.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  COUNT_OPEN_QUARANTINES,
  COUNT_OPEN_SIGNAL_ENTRIES,
  Denylist,
  DENYLIST_SCHEMA,
} from "../../../worker/denylist/store.ts";

const NOW = Date.UTC(2026, 11, 3);

/** What an object of the first release held: the entries table alone, without the security-event columns. */
function firstReleaseTables(sql: SqlStorage): void {
  for (const table of ["entries", "directory_refresh", "fact_changes", "upkeep"])
    sql.exec(`DROP TABLE IF EXISTS ${table}`);
  sql.exec(`CREATE TABLE entries (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, match TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
    created_at INTEGER NOT NULL, created_by TEXT NOT NULL, expires_at INTEGER, released_at INTEGER, released_by TEXT)`);
}

function insertEntry(sql: SqlStorage, id: string, match: string, value: string): void {
  sql.exec(
    "INSERT INTO entries (id, kind, match, value, reason, created_at, created_by, expires_at) VALUES (?, 'revocation', ?, ?, 'test', ?, 'test', NULL)",
    id,
    match,
    value,
    NOW - 1000,
  );
}

const schemaVersion = (sql: SqlStorage) =>
  sql
    .exec<{ version: number }>("SELECT version FROM upkeep")
    .toArray()
    .map((r) => r.version);

describe("the Denylist object's tables", () => {
  it("upgrades a first-release object when it wakes: every entry listed, e-mails in lower case", async () => {
    const stub = env.DENYLIST.getByName("schema-first-release");
    await runInDurableObject(stub, async (_instance, state) => {
      firstReleaseTables(state.storage.sql);
      insertEntry(state.storage.sql, "rev-1", "email", "Leaver@Example.COM");
      insertEntry(state.storage.sql, "rev-2", "spiffe", "spiffe://prod.example.com/ns/old/sa/gone");

      const woken = new Denylist(state, env);
      const columns = state.storage.sql.exec("SELECT * FROM entries LIMIT 0").columnNames;
      expect(columns).toEqual(expect.arrayContaining(["signal_transmitter", "signal_event", "signal_jti"]));
      expect(schemaVersion(state.storage.sql)).toEqual([DENYLIST_SCHEMA]);
      const page = await woken.changes(0, NOW);
      expect(page.complete).toBe(true);
      // Numbered in no particular order (SELECT DISTINCT): compared sorted.
      expect(page.facts.map((f) => [f.match, f.value, f.entry?.id]).sort()).toEqual([
        ["email", "leaver@example.com", "rev-1"],
        ["spiffe", "spiffe://prod.example.com/ns/old/sa/gone", "rev-2"],
      ]);
    });
  });

  it("does not scan the list again once at the current layout, and does when the layout is older", async () => {
    const stub = env.DENYLIST.getByName("schema-current");
    await stub.add(
      { kind: "revocation", match: "email", value: "a@example.com", reason: "t", expiresAt: null },
      "t",
      NOW,
    );
    await stub.add(
      { kind: "revocation", match: "email", value: "b@example.com", reason: "t", expiresAt: null },
      "t",
      NOW,
    );
    await runInDurableObject(stub, async (_instance, state) => {
      const listed = async () => (await new Denylist(state, env).changes(0, NOW)).facts.map((f) => f.value);
      expect(await listed()).toEqual(["a@example.com", "b@example.com"]); // a wake: both rows now looked at
      // A row already looked at whose number is gone: only the whole-list scan of an upgrade numbers it again.
      state.storage.sql.exec("DELETE FROM fact_changes WHERE value = 'b@example.com'");
      expect(await listed()).toEqual(["a@example.com"]);
      expect(schemaVersion(state.storage.sql)).toEqual([DENYLIST_SCHEMA]);

      state.storage.sql.exec("UPDATE upkeep SET version = ?", DENYLIST_SCHEMA - 1);
      expect(await listed()).toEqual(["a@example.com", "b@example.com"]);
      expect(schemaVersion(state.storage.sql)).toEqual([DENYLIST_SCHEMA]);
    });
  });

  it("gives an early layout 3's forgetting table its generation, and keeps the floor it held", async () => {
    // Review finding: the first release at layout 3 made forgotten_upto without `generation`; a later one added
    // the column to CREATE TABLE IF NOT EXISTS only, so such an object answered no read again (every isolate 503).
    const stub = env.DENYLIST.getByName("schema-early-layout-3");
    await stub.add(
      { kind: "revocation", match: "email", value: "kept@example.com", reason: "t", expiresAt: null },
      "t",
      NOW,
    );
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE forgotten_upto");
      sql.exec("CREATE TABLE forgotten_upto (seq INTEGER NOT NULL)");
      sql.exec("INSERT INTO forgotten_upto (seq) VALUES (0)");
      sql.exec("UPDATE upkeep SET version = 3");
      const woken = new Denylist(state, env);
      expect(schemaVersion(sql)).toEqual([DENYLIST_SCHEMA]);
      expect(sql.exec("SELECT seq, generation FROM forgotten_upto").toArray()).toEqual([{ seq: 0, generation: 0 }]);
      expect((await woken.changes(0, NOW)).facts.map((f) => f.value)).toEqual(["kept@example.com"]);
    });
  });

  it("counts the open security-event entries by an index, not by a scan of every entry ever closed", async () => {
    const stub = env.DENYLIST.getByName("schema-signal-index");
    await runInDurableObject(stub, async (_instance, state) => {
      const plan = state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${COUNT_OPEN_SIGNAL_ENTRIES}`, NOW)
        .toArray()
        .map((r) => r.detail)
        .join("; ");
      expect(plan).toContain("entries_open_signals");
    });
  });

  it("counts the quarantines in force by an index, not by a scan of every entry ever closed", async () => {
    const stub = env.DENYLIST.getByName("schema-quarantine-index");
    await runInDurableObject(stub, async (_instance, state) => {
      const plan = state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${COUNT_OPEN_QUARANTINES}`, NOW)
        .toArray()
        .map((r) => r.detail)
        .join("; ");
      expect(plan).toContain("entries_open_quarantines");
    });
  });

  it("numbers the rows a release from before the change sequence wrote (a rollback), on the next wake", async () => {
    const stub = env.DENYLIST.getByName("schema-roll-forward");
    await stub.add(
      { kind: "revocation", match: "email", value: "a@example.com", reason: "t", expiresAt: null },
      "t",
      NOW,
    );
    await runInDurableObject(stub, async (_instance, state) => {
      // Written as such a release writes: no number in the change sequence, the address as given.
      insertEntry(state.storage.sql, "rev-old-release", "email", "Leaver@Example.com");
      const page = await new Denylist(state, env).changes(0, NOW);
      expect(page.facts.map((f) => [f.value, f.entry?.id])).toEqual([
        ["a@example.com", expect.any(String)],
        ["leaver@example.com", "rev-old-release"],
      ]);
    });
  });

  it("makes a posture hold kept the first way (one holder per person) that holder's own", async () => {
    const stub = env.DENYLIST.getByName("schema-posture-holds");
    const fact = { match: "email" as const, value: "held@example.com" };
    const until = NOW + 3_600_000;
    await runInDurableObject(stub, async (_instance, state) => {
      // As version 1 kept it: the latest holder in directory_refresh, no table of holds.
      new Denylist(state, env);
      state.storage.sql.exec("DROP TABLE posture_holds");
      state.storage.sql.exec("UPDATE upkeep SET version = 1");
      state.storage.sql.exec(
        "INSERT INTO directory_refresh (match, value, at, posture_until, posture_by) VALUES ('email', ?, ?, ?, 'idp')",
        fact.value,
        NOW,
        until,
      );
      const woken = new Denylist(state, env);
      const held = async () =>
        (await woken.changes(0, NOW)).refreshes.find((r) => r.value === fact.value)?.postureUntil;
      expect(await held()).toBe(until);
      // Another transmitter's "compliant" ends nothing; the holder's own does.
      await woken.applySignals(
        { transmitter: "mdm", jti: "j-1" },
        [{ op: "release-posture", fact, issuedAt: NOW }],
        NOW,
      );
      expect(await held()).toBe(until);
      await woken.applySignals(
        { transmitter: "idp", jti: "j-2" },
        [{ op: "release-posture", fact, issuedAt: NOW }],
        NOW,
      );
      expect(await held()).toBeNull();
    });
  });

  it("keeps a later release's version (a rollback), and still numbers rows written since", async () => {
    const stub = env.DENYLIST.getByName("schema-later");
    await stub.add(
      { kind: "revocation", match: "email", value: "a@example.com", reason: "t", expiresAt: null },
      "t",
      NOW,
    );
    await runInDurableObject(stub, async (_instance, state) => {
      state.storage.sql.exec("UPDATE upkeep SET version = ?", DENYLIST_SCHEMA + 1);
      insertEntry(state.storage.sql, "rev-unnumbered", "email", "b@example.com");
      const page = await new Denylist(state, env).changes(0, NOW);
      expect(page.facts.map((f) => f.value)).toEqual(["a@example.com", "b@example.com"]);
      expect(schemaVersion(state.storage.sql)).toEqual([DENYLIST_SCHEMA + 1]);
    });
  });
});
