// Device-posture results as Access's get-identity reports them (test/fixtures/access-identity/): a `timestamp`
// says when each was evaluated, and Ward counts only recent ones (policy/posture-age.ts).
import answer from "../../fixtures/access-identity/get-identity.json";

/** The fixture's clock: its results are this old (the newest a minute and a half) when re-timed to `now`. */
const FIXTURE_NOW = Date.parse("2026-03-02T12:00:00Z");

/** One check's result, evaluated `ageMs` before now (a minute by default), shaped as the fixture's. */
export function postureCheck(id: string, success: boolean, ageMs = 60_000, now = Date.now()) {
  return {
    id,
    schedule: "5m",
    timestamp: new Date(now - ageMs).toISOString(),
    description: "",
    type: "file",
    check: { exists: success, path: "/etc/managed" },
    success,
    rule_name: id,
    input: { path: "/etc/managed", exists: true, operating_system: "linux" },
  };
}

/** Several checks, each evaluated a minute ago: `{ "disk-encryption": true }` as get-identity writes it. */
export const postureOf = (results: Record<string, boolean>, ageMs?: number): Record<string, unknown> =>
  Object.fromEntries(Object.entries(results).map(([id, ok]) => [id, postureCheck(id, ok, ageMs)]));

/** The fixture's answer for `email`, its timestamps moved so that it was fetched at `now`. */
export function identityAnswer(email: string, now = Date.now()): typeof answer {
  const shift = now - FIXTURE_NOW;
  const devicePosture = Object.fromEntries(
    Object.entries(answer.devicePosture).map(([id, r]) => [
      id,
      { ...r, timestamp: new Date(Date.parse(r.timestamp) + shift).toISOString() },
    ]),
  );
  return { ...answer, email, devicePosture } as typeof answer;
}
