// A denylist entry's or grant's id is drawn again when the one drawn is taken: with 32 random bits, a list of
// 100,000 kept records would otherwise fail an insert on the primary key most of the time it grew that long.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshRecordId } from "../../../worker/shared/record-id.ts";

describe("record ids", () => {
  const stub = () => env.DENYLIST.getByName("record-id-test");

  it("draws again while the id drawn is taken, in the object's own table", async () => {
    await stub().add(
      { kind: "revocation", match: "email", value: "a@example.com", reason: "t", expiresAt: null },
      "t",
      1,
    );
    await runInDurableObject(stub(), (_instance, state) => {
      const [taken] = state.storage.sql.exec<{ id: string }>("SELECT id FROM entries").toArray();
      const hex = taken!.id.slice("rev-".length);
      const draws = [hex, hex, "0badc0de"];
      expect(freshRecordId(state.storage.sql, "entries", "rev", () => draws.shift()!)).toBe("rev-0badc0de");
      expect(draws).toEqual([]);
      // The prefix is part of the id: the same digits under another kind are free.
      expect(freshRecordId(state.storage.sql, "entries", "q", () => hex)).toBe(`q-${hex}`);
      expect(() => freshRecordId(state.storage.sql, "entries", "rev", () => hex)).toThrow(/no free rev id/);
    });
  });
});
