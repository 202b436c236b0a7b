// Ids of denylist entries and grants: a kind prefix and 8 hex digits, short enough to type in `ward revoke
// release rev-1a2b3c4d`. 32 random bits collide often in a long list (1 in 100 by 10,000 records kept, 7 in 10
// by 100,000; closed records are kept), and a collision would fail the insert on the primary key: so an id
// already taken is drawn again. Called inside the Durable Object, whose synchronous SQL makes the check and the
// insert that follows atomic.

/** How many draws before giving up: at 100,000 records a draw is taken with probability 2.3e-5. */
const DRAWS = 8;

const randomHex = () => crypto.randomUUID().slice(0, 8);

/** `draw`: the 8 hex digits (tests pass their own, to make a collision happen). */
export function freshRecordId(
  sql: SqlStorage,
  table: "entries" | "grants",
  prefix: string,
  draw: () => string = randomHex,
): string {
  for (let i = 0; i < DRAWS; i++) {
    const id = `${prefix}-${draw()}`;
    if (sql.exec(`SELECT 1 FROM ${table} WHERE id = ?`, id).toArray().length === 0) return id;
  }
  throw new Error(`no free ${prefix} id after ${DRAWS} draws`);
}
