// The stand-in for Access's get-identity (vitest.config.ts, the true outside edge): what it answers for a person,
// and how often the gateway asked it.
import { expect } from "vitest";

const DIRECTORY = "https://directory.ward-demo.test";

/** Sets get-identity's answer for `email` as given: hostile, raw (`{ $raw: { status, body, delayMs } }`) or Access's. */
export async function setDirectoryAnswer(email: string, answer: unknown): Promise<void> {
  const res = await fetch(`${DIRECTORY}/answer`, { method: "PUT", body: JSON.stringify({ email, answer }) });
  expect(res.status).toBe(204);
}

/** An answer about the person, naming them as Access's does (an answer naming no one is no answer). */
export const setPersonAnswer = (email: string, facts: object): Promise<void> =>
  setDirectoryAnswer(email, { email, ...facts });

/** How many times the gateway asked get-identity about `email`. */
export const directoryCalls = async (email: string): Promise<number> =>
  (await (await fetch(`${DIRECTORY}/calls?email=${encodeURIComponent(email)}`)).json()) as number;
