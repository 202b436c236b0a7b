// Groups and device posture are not in the Access JWT: Access's get-identity endpoint has them. It is asked
// only when the policy has a rule that can use them, and the answer is cached by the token's identity_nonce
// (which changes when the user's identity is refreshed). A failed lookup yields no groups: rules on groups
// then do not match, which fails closed.
import { setBounded } from "../bounded-cache.ts";

const CACHE_LIMIT = 1000;
/** Upper bound on how long a lookup is reused, whatever the token's lifetime. */
const MAX_CACHE_MS = 5 * 60_000;

export interface DirectoryFacts {
  groups: string[];
  devicePosture: Record<string, boolean>;
}

function factsFrom(body: unknown): DirectoryFacts | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const record = body as { groups?: unknown; devicePosture?: unknown };
  const groups = Array.isArray(record.groups)
    ? record.groups.flatMap((g) => (typeof g === "string" ? [g] : typeof g?.name === "string" ? [g.name as string] : []))
    : [];
  const devicePosture: Record<string, boolean> = {};
  if (record.devicePosture && typeof record.devicePosture === "object") {
    for (const [id, check] of Object.entries(record.devicePosture as Record<string, { success?: unknown }>)) {
      devicePosture[id] = check?.success === true;
    }
  }
  return { groups, devicePosture };
}

export class AccessDirectory {
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;
  private readonly cache = new Map<string, { facts: DirectoryFacts; until: number }>();

  constructor(teamDomain: string, fetchImpl: typeof fetch = (input, init) => fetch(input, init)) {
    this.url = `${teamDomain}/cdn-cgi/access/get-identity`;
    this.fetchImpl = fetchImpl;
  }

  async lookup(token: string, nonce: string | undefined, expiresAt: number, now: number): Promise<DirectoryFacts | undefined> {
    const cached = nonce ? this.cache.get(nonce) : undefined;
    if (cached && now < cached.until) return cached.facts;
    let facts: DirectoryFacts | undefined;
    try {
      const response = await this.fetchImpl(this.url, { headers: { cookie: `CF_Authorization=${token}` } });
      facts = response.ok ? factsFrom(await response.json()) : undefined;
    } catch {
      facts = undefined;
    }
    if (facts && nonce) {
      setBounded(this.cache, nonce, { facts, until: Math.min(expiresAt, now + MAX_CACHE_MS) }, CACHE_LIMIT);
    }
    return facts;
  }
}
