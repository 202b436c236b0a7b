// AccessDirectory in workerd: groups and posture from get-identity, cached by identity_nonce, never past
// the token's expiry, and a failed lookup gives nothing (so group rules fail closed).
import { describe, expect, it } from "vitest";
import { AccessDirectory } from "../../worker/identity/access-directory.ts";

const TEAM = "https://ward-demo.cloudflareaccess.com";
const NOW = Date.UTC(2026, 10, 23, 12);

function directory(respond: () => Response | Promise<Response>) {
  const calls: { url: string; cookie: string | null }[] = [];
  const fetchImpl = (async (url: string, init?: RequestInit) => {
    calls.push({ url: String(url), cookie: new Headers(init?.headers).get("cookie") });
    return respond();
  }) as unknown as typeof fetch;
  return { calls, dir: new AccessDirectory(TEAM, fetchImpl) };
}

const body = {
  groups: [{ id: "g-1", name: "sre" }, "legacy-string-group"],
  devicePosture: { "managed-device": { success: true }, "disk-encryption": { success: false } },
};

describe("AccessDirectory", () => {
  it("reads group names and posture results from get-identity, presenting the token as the Access cookie", async () => {
    const { calls, dir } = directory(() => Response.json(body));
    const facts = await dir.lookup("tok", "nonce-1", NOW + 60_000, NOW);
    expect(facts).toEqual({ groups: ["sre", "legacy-string-group"], devicePosture: { "managed-device": true, "disk-encryption": false } });
    expect(calls).toEqual([{ url: `${TEAM}/cdn-cgi/access/get-identity`, cookie: "CF_Authorization=tok" }]);
  });

  it("leaves posture unknown when the answer has no posture results, rather than 'nothing passes'", async () => {
    const { dir } = directory(() => Response.json({ groups: ["sre"] }));
    expect(await dir.lookup("tok", "nonce-np", NOW + 60_000, NOW)).toEqual({ groups: ["sre"] });
  });

  it("asks once per identity_nonce while the token is valid, and again after it expires", async () => {
    const { calls, dir } = directory(() => Response.json(body));
    await dir.lookup("tok", "nonce-1", NOW + 60_000, NOW);
    await dir.lookup("tok", "nonce-1", NOW + 60_000, NOW + 30_000);
    expect(calls).toHaveLength(1);
    await dir.lookup("tok", "nonce-1", NOW + 60_000, NOW + 60_000);
    expect(calls).toHaveLength(2);
    await dir.lookup("tok2", "nonce-2", NOW + 60_000, NOW);
    expect(calls).toHaveLength(3);
  });

  it.each([
    ["an error status", () => new Response("no", { status: 502 })],
    ["a body that is not JSON", () => new Response("<html>")],
    ["a network failure", () => Promise.reject(new Error("down"))],
    ["an answer without a list of groups", () => Response.json({ err: "session expired" })],
    ["an empty object", () => Response.json({})],
    ["a group entry that names no group", () => Response.json({ groups: ["sre", { id: "g-2" }] })],
  ])("gives nothing on %s, and does not cache it", async (_name, respond) => {
    const { calls, dir } = directory(respond);
    expect(await dir.lookup("tok", "nonce-1", NOW + 60_000, NOW)).toBeUndefined();
    expect(await dir.lookup("tok", "nonce-1", NOW + 60_000, NOW)).toBeUndefined();
    expect(calls).toHaveLength(2);
  });
});
