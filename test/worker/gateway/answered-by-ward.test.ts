// scripts/own-paths.ts answeredByWard() (`ward explain` refuses to explain "Ward's own paths") says what
// worker/own-paths.ts (Hono) answers itself, checked against the Worker: Hono decodes with decodeURI (keeping
// %2F), routes the security-event receiver on one segment (:transmitter), and keeps undecodable escapes as
// written. Under a pathPrefix "/" route, what Ward does not answer itself is decided like any path, and a path in
// Ward's own namespace (/.ward/, /.well-known/ward/) matches no route: it never reaches an origin.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { answeredByWard } from "../../../scripts/own-paths.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";

const OPEN = stringify({
  version: 1,
  metadata: { environment: "dev", owners: ["security@example.com"] },
  services: {
    open: {
      hosts: ["open.localhost"],
      origin: { tunnel: "WIKI" },
      owner: "open@example.com",
      routes: [
        {
          id: "all",
          methods: ["*"],
          pathPrefix: "/",
          rules: [{ id: "anyone", effect: "allow", principals: [{ public: true }] }],
        },
      ],
    },
    // In audit mode a refusal is forwarded and logged: not one under Ward's namespace.
    audited: {
      hosts: ["audited.localhost"],
      origin: { tunnel: "WIKI" },
      owner: "open@example.com",
      mode: "audit",
      routes: [
        {
          id: "all",
          methods: ["*"],
          pathPrefix: "/",
          rules: [{ id: "never", effect: "allow", principals: [{ public: true }], when: { country: ["AQ"] } }],
        },
      ],
    },
  },
});

beforeAll(async () => {
  await activate(OPEN);
});

/** Whether the Worker answered it itself (an own-path answer line, reason ward-*), and what it answered. */
async function answeredItself(
  method: string,
  path: string,
  host = "open.localhost",
): Promise<{ itself: boolean; status: number; forwarded: boolean }> {
  const m = marker();
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(String(l)));
  vi.spyOn(console, "warn").mockImplementation((l: string) => void lines.push(String(l)));
  vi.spyOn(console, "error").mockImplementation((l: string) => void lines.push(String(l)));
  try {
    const res = await fetchRaw(rawRequest(`https://${host}${path}?${m}`, { method }));
    await res.body?.cancel();
    const parsed = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as { event?: string; reasons?: string[] }];
      } catch {
        return [];
      }
    });
    const itself = parsed.some((l) => l.event === "decision" && (l.reasons ?? []).some((r) => r.startsWith("ward-")));
    return { itself, status: res.status, forwarded: (await originSaw(m)).length > 0 };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("answeredByWard agrees with the Worker's own-path router", () => {
  it.each([
    ["POST", "/.ward/ssf/events/a/b"],
    ["POST", "/.ward/ssf/events/"],
    ["GET", "/.ward/admin%2Fpolicy"],
    ["GET", "/.ward%2Fme"],
    ["GET", "/.ward/admin/%ZZ"],
  ])("%s %s", async (method, path) => {
    const seen = await answeredItself(method, path);
    expect(answeredByWard(method, path), `worker: ${JSON.stringify(seen)}`).toBe(seen.itself);
  });
});

describe("a path in Ward's namespace that Ward does not answer itself", () => {
  // From a review: a service's catch-all route sent /.ward/apps/ and /.well-known/ward/jwks.json/ to its origin.
  it.each([
    ["GET", "/.ward/apps/"],
    ["GET", "/.ward"],
    ["GET", "/.ward/ssf/events/a/b"],
    ["POST", "/.ward/admin%2Fpolicy"],
    ["GET", "/.well-known/ward/jwks.json/"],
    ["GET", "/.well-known/ward/"],
    ["GET", "/.well-known/ward"],
    // Fullwidth letters, which an origin that normalises (NFKC) reads as /.ward/apps/.
    ["GET", "/.%EF%BD%97%EF%BD%81%EF%BD%92%EF%BD%84/apps/"],
    ["GET", "/.well-known/%EF%BD%97ard/jwks.json"],
  ])("%s %s matches no route and reaches no origin", async (method, path) => {
    const seen = await answeredItself(method, path);
    expect(seen.itself).toBe(false);
    expect(seen.forwarded).toBe(false);
    // 401: the caller is asked to sign in rather than told what exists; 400 for an encoded slash.
    expect([400, 401]).toContain(seen.status);
  });

  it("is refused at a service in audit mode too, which forwards what it would refuse", async () => {
    for (const path of ["/.ward/apps/", "/.well-known/ward/jwks.json/", "/other"]) {
      const seen = await answeredItself("GET", path, "audited.localhost");
      expect(seen.forwarded, path).toBe(path === "/other");
    }
  });

  it("leaves the paths beside it to the route", async () => {
    for (const path of ["/.wardrobe", "/.well-known/wardx", "/.well-known/security.txt", "/ward/"]) {
      const seen = await answeredItself("GET", path);
      expect(seen.forwarded, path).toBe(true);
    }
  });
});
