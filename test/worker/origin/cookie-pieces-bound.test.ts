// A Cookie header is read in at most MAX_COOKIE_PIECES pieces: each piece cost a split, an object and four string
// passes, so 128 KiB of `;a` (60,000 pieces) cost 9 ms of CPU to look for an Access token and 10-30 ms to filter
// Access's cookies before forwarding (an ordinary request costs Ward ~0.6 ms), on any request, anonymous included.
// Past the bound no token is taken from the header (neither that of the header Access builds from it), and it is
// not forwarded.
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { cookiePieces, MAX_COOKIE_PIECES, mayBeReadAs } from "../../../policy/cookies.ts";
import { accessToken } from "../support/access-tokens.ts";
import { activate, marker, originSaw } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const ACCESS = new Set(["cf_authorization", "cf_appsession", "cf_binding"]);
/** A Cookie header of `first` and then one-letter cookies, `pieces` in all. */
const padded = (first: string, pieces: number) => `${first}${"; a=b".repeat(pieces - 1)}`;

beforeAll(() => activate(demoPolicy));
afterEach(() => vi.restoreAllMocks());

async function send(url: string, headers: Record<string, string>) {
  const m = marker();
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  const res = await exports.default.fetch(`${url}?${m}`, { headers });
  vi.restoreAllMocks();
  const decision = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "decision")!;
  return { res, seen: await originSaw(m), decision };
}

describe("a Cookie header of more pieces than any browser sends", () => {
  it("is read up to the bound, and no further", () => {
    expect(cookiePieces(padded("a=1", MAX_COOKIE_PIECES))).toHaveLength(MAX_COOKIE_PIECES);
    expect(cookiePieces(padded("a=1", MAX_COOKIE_PIECES + 1))).toBeUndefined();
    expect(cookiePieces(";".repeat(MAX_COOKIE_PIECES))).toBeUndefined();
  });

  it("carries no Access token past the bound, and one within it", async () => {
    const token = await accessToken(signing, { email: "ann@example.com" });
    const within = await send("https://wiki.localhost/page", {
      cookie: padded(`CF_Authorization=${token}`, MAX_COOKIE_PIECES),
    });
    expect(within.res.status).toBe(200);
    for (const headers of [
      { cookie: padded(`CF_Authorization=${token}`, MAX_COOKIE_PIECES + 1) },
      { cookie: padded(`CF_Authorization=${token}`, MAX_COOKIE_PIECES + 1), "cf-access-jwt-assertion": token },
    ] as Record<string, string>[]) {
      const past = await send("https://wiki.localhost/page", headers);
      expect(past.res.status).toBe(401);
      expect(past.seen).toEqual([]);
    }
  });

  it("is not forwarded past the bound, and the decision log says so", async () => {
    const within = await send("https://payments.localhost/healthz", {
      cookie: padded("theme=dark", MAX_COOKIE_PIECES),
    });
    expect(within.res.status).toBe(200);
    expect(within.seen[0]!.headers.cookie).toMatch(/^theme=dark; a=b; a=b/);
    const past = await send("https://payments.localhost/healthz", {
      cookie: padded("theme=dark", MAX_COOKIE_PIECES + 1),
    });
    expect(past.res.status).toBe(200);
    expect(past.seen[0]!.headers.cookie).toBeUndefined();
    expect(past.decision.droppedHeaders).toContain("cookie");
  });

  it("reads each %XX as before, and no %uXXXX, as PHP and Rack do", () => {
    expect(mayBeReadAs("CF%5FAuthorization=x", ACCESS)).toBe(true);
    expect(mayBeReadAs("%43%46_authorization=x", ACCESS)).toBe(true);
    expect(mayBeReadAs("%25u0043F_Authorization=x", ACCESS)).toBe(false);
    expect(mayBeReadAs("%u0043F_Authorization=x", ACCESS)).toBe(false);
    expect(mayBeReadAs("%%43F_Authorization=x", ACCESS)).toBe(true);
    expect(mayBeReadAs("%CF_Authorization=x", ACCESS)).toBe(false);
    expect(mayBeReadAs("theme=dark", ACCESS)).toBe(false);
  });
});
