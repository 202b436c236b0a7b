// A device-posture result counts only while recent (docs/policy.md, `maxPostureAge`): its get-identity `timestamp`
// an instant no older than the bound at the request's time, and not ahead of it. A stale, missing, malformed or
// future one is unknown, as a check the answer leaves out: an allow rule on it refuses (the origin never sees the
// request), a deny rule on it holds. The answer is reused per person: its results age with each request, and an
// open WebSocket's with each check. Access is the test's outside edge (vitest.config.ts); tokens really signed.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { AUD, TEAM, accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate, marker, originSaw } from "../support/harness.ts";
import { identityAnswer, postureCheck } from "../support/posture.ts";
import { upgrade } from "../websocket/support.ts";
import { directoryCalls, setDirectoryAnswer, setPersonAnswer } from "../support/directory.ts";

const HOST = "stale-posture.localhost";
const signing = inject("accessPrivateJwk");
const MAX_AGE_MS = 5 * 60_000;
/** The fixture's disk-encryption check, which passed (test/fixtures/access-identity/get-identity.json). */
const DISK = "f6f9391e-6776-4878-9c60-0cc807dc7dc8";
/** The fixture's firewall check, which failed 55 minutes before the fixture's answer. */
const FIREWALL = "a0a8e83d-be75-4aa6-bfa0-5791da6e9186";

const rule = (id: string, effect: "allow" | "deny", devicePosture?: string[]) => ({
  id,
  effect,
  principals: [{ emailDomain: "example.com" }],
  ...(devicePosture ? { when: { devicePosture } } : {}),
});
const route = (id: string, rules: unknown[], websocket = false) => ({
  id,
  methods: ["GET"],
  path: `/${id}/{**}`,
  ...(websocket ? { websocket: true } : {}),
  rules,
});

const policy = stringify({
  version: 1,
  metadata: { environment: "dev", owners: ["platform@example.com"] },
  identity: { access: { teamDomain: TEAM, audiences: [AUD], maxPostureAge: "5m" } },
  services: {
    app: {
      hosts: [HOST],
      origin: { tunnel: "WIKI" },
      owner: "platform@example.com",
      routes: [
        route("encrypted", [rule("disk", "allow", ["disk-encryption"])]),
        route("fixture", [rule("disk", "allow", [DISK])]),
        // Refused while the firewall check is unknown (or passes): a failure Access reported recently lets through.
        route("firewall", [rule("firewall", "deny", [FIREWALL]), rule("people", "allow")]),
        // Refused on an unmanaged device, or one whose management is not known now.
        route("managed", [rule("unmanaged", "deny", ["unmanaged-device"]), rule("people", "allow")]),
        route("live", [rule("disk", "allow", ["disk-encryption"])], true),
      ],
    },
  },
});

let run = "";
/** A person whose get-identity answer holds these checks (each as Access writes one). */
async function person(name: string, checks: Record<string, unknown>): Promise<{ email: string; token: string }> {
  const email = `${name}-${run}@example.com`;
  await setPersonAnswer(email, { groups: [], devicePosture: checks });
  return { email, token: await accessToken(signing, { email, identity_nonce: `n-${email}` }) };
}

/** A GET by the token's person: the status, and whether the origin saw it. */
async function get(token: string, path: string): Promise<{ status: number; seen: number }> {
  const m = marker();
  const res = await exports.default.fetch(`https://${HOST}${path}?${m}`, {
    headers: { "cf-access-jwt-assertion": token },
  });
  await res.text();
  return { status: res.status, seen: (await originSaw(m)).length };
}

const ALLOWED = { status: 200, seen: 1 };
const REFUSED = { status: 403, seen: 0 };

beforeAll(async () => {
  run = Date.now().toString(36);
  const version = await activate(policy);
  for (let i = 0; i < 60; i++) {
    const { lines } = await captured(async () => void (await (await exports.default.fetch(`https://${HOST}/`)).text()));
    if (lines.some((l) => l.event === "decision" && l.policyVersion === version)) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error("policy never became active");
});

describe("device posture and its age", () => {
  it("an allow rule lets a recent passing result through, and one Access evaluated a little ahead of the clock", async () => {
    for (const [name, ageMs] of [
      ["fresh", 10_000],
      ["ahead", -5_000],
    ] as const) {
      const { token } = await person(name, { "disk-encryption": postureCheck("disk-encryption", true, ageMs) });
      expect(await get(token, "/encrypted/doc"), name).toEqual(ALLOWED);
    }
  });

  it("an allow rule refuses a passing result that is stale, in the future, or at no instant", async () => {
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const timestamps: [string, unknown][] = [
      ["stale", at(-MAX_AGE_MS - 60_000)],
      ["last-week", at(-7 * 24 * 3_600_000)],
      ["future", at(3_600_000)],
      ["missing", undefined],
      ["seconds", Math.floor(Date.now() / 1000)],
      ["date-only", at(0).slice(0, 10)],
      ["no-such-day", "2026-02-30T12:00:00Z"],
      ["http-date", new Date().toUTCString()],
      ["words", "just now"],
    ];
    for (const [name, timestamp] of timestamps) {
      const { timestamp: _fresh, ...check } = postureCheck("disk-encryption", true);
      const { token } = await person(name, {
        "disk-encryption": timestamp === undefined ? check : { ...check, timestamp },
      });
      expect(await get(token, "/encrypted/doc"), name).toEqual(REFUSED);
    }
  });

  it("reads Access's own answer: a check evaluated on its schedule counts, one older than the bound does not", async () => {
    const email = `fixture-${run}@example.com`;
    await setDirectoryAnswer(email, identityAnswer(email));
    const token = await accessToken(signing, { email, identity_nonce: `n-${email}` });
    // Passed 110 s ago: current. The firewall's failure is 55 minutes old: unknown, so the deny rule on it holds.
    expect(await get(token, "/fixture/doc")).toEqual(ALLOWED);
    expect(await get(token, "/firewall/doc")).toEqual(REFUSED);
  });

  it("a deny rule on a check holds while its result is stale, and not while a recent one says it fails", async () => {
    const recent = await person("managed", { "unmanaged-device": postureCheck("unmanaged-device", false) });
    expect(await get(recent.token, "/managed/doc")).toEqual(ALLOWED);
    const stale = await person("managed-stale", {
      "unmanaged-device": postureCheck("unmanaged-device", false, MAX_AGE_MS + 60_000),
    });
    expect(await get(stale.token, "/managed/doc")).toEqual(REFUSED);
  });

  it("judges a reused answer's results at each request's time, not the lookup's", async () => {
    // Current for two more seconds when Access is asked; the answer is then reused for this person.
    const { email, token } = await person("ageing", {
      "disk-encryption": postureCheck("disk-encryption", true, MAX_AGE_MS - 2_000),
    });
    expect(await get(token, "/encrypted/doc")).toEqual(ALLOWED);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await get(token, "/encrypted/doc")).toEqual(REFUSED);
    // Gone stale since it was fetched: Access was asked once more, and had nothing newer; not asked again after.
    expect(await directoryCalls(email)).toBe(2);
    expect(await get(token, "/encrypted/doc")).toEqual(REFUSED);
    expect(await directoryCalls(email)).toBe(2);
  }, 10_000);

  it("asks Access again when a reused answer's result goes stale, and takes the device's newer report", async () => {
    const { email, token } = await person("reported", {
      "disk-encryption": postureCheck("disk-encryption", true, MAX_AGE_MS - 2_000),
    });
    expect(await get(token, "/encrypted/doc")).toEqual(ALLOWED);
    // The device reports again on its schedule; the answer Ward holds is still within its 5 minutes of reuse.
    await setPersonAnswer(email, {
      groups: [],
      devicePosture: { "disk-encryption": postureCheck("disk-encryption", true) },
    });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await get(token, "/encrypted/doc")).toEqual(ALLOWED);
    expect(await directoryCalls(email)).toBe(2);
  }, 10_000);

  it("shows the person a stale check on /.ward/me as stale, not leaves it out", async () => {
    const { token } = await person("me-stale", {
      "disk-encryption": postureCheck("disk-encryption", true),
      "os-version": postureCheck("os-version", true, MAX_AGE_MS + 60_000),
    });
    const json = await exports.default.fetch(`https://${HOST}/.ward/me`, {
      headers: { "cf-access-jwt-assertion": token, accept: "application/json" },
    });
    const record = (await json.json()) as { user: { devicePosture: unknown; devicePostureStale: unknown } };
    expect(record.user.devicePosture).toEqual({ "disk-encryption": true });
    expect(record.user.devicePostureStale).toEqual(["os-version"]);
    const page = await exports.default.fetch(`https://${HOST}/.ward/me`, {
      headers: {
        "cf-access-jwt-assertion": token,
        accept: "text/html",
        "sec-fetch-mode": "navigate",
        "sec-fetch-dest": "document",
      },
    });
    expect(await page.text()).toContain("Device checks: disk-encryption passed, os-version stale (no recent result)");
  });

  it("ends an open WebSocket whose posture goes stale while it lasts", async () => {
    const { token } = await person("live", {
      "disk-encryption": postureCheck("disk-encryption", true, MAX_AGE_MS - 1_500),
    });
    const { res, client } = await upgrade(`https://${HOST}/live/feed?${marker()}`, {
      "cf-access-jwt-assertion": token,
    });
    expect(res.status).toBe(101);
    client!.send("hello");
    expect(await client!.message(0)).toBe("hello");
    expect(await client!.close(4_000)).toMatchObject({
      code: 4403,
      reason: "access ended",
    });
  }, 10_000);
});
