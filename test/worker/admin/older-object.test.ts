// During a gradual deployment (or for the seconds after any deploy), a Worker of this release may call a Durable
// Object still running the release before it (Cloudflare: one version per object at a time). That release's
// Denylist.release and Grants.revoke answered the record itself, not { entry | record, changed }: an admin's lift
// or revocation the object made was answered 500 here, and neither logged nor announced.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { DENYLIST_NAME } from "../../../worker/denylist/store.ts";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";
import { captured } from "../support/captured-log.ts";
import { activate } from "../support/harness.ts";

const signing = inject("accessPrivateJwk");
const ADMIN = "https://ward.localhost/.ward/admin";

/** The real objects, but for one method answered as the release before answered it (`eventsFail`: events throws). */
function olderObjects(eventsFail = false): Env {
  const denylist = env.DENYLIST.getByName(DENYLIST_NAME);
  const olderDenylist = {
    changes: (...a: Parameters<typeof denylist.changes>) => denylist.changes(...a),
    add: (...a: Parameters<typeof denylist.add>) => denylist.add(...a),
    list: (...a: Parameters<typeof denylist.list>) => denylist.list(...a),
    release: async (...a: Parameters<typeof denylist.release>) => (await denylist.release(...a))?.entry,
    // That release had no revoke: workerd refuses the call with these words (the test pool's wrapper drops "the
    // method"; both are read).
    revoke: () => Promise.reject(new TypeError('The RPC receiver does not implement the method "revoke".')),
    // Nor a listing in pages.
    page: () => Promise.reject(new TypeError('The RPC receiver does not implement "page".')),
  };
  const olderGrants = (name: string) => {
    const grants = env.GRANTS.getByName(name);
    return {
      active: (...a: Parameters<typeof grants.active>) => grants.active(...a),
      list: (...a: Parameters<typeof grants.list>) => grants.list(...a),
      page: () => Promise.reject(new TypeError('The RPC receiver does not implement "page".')),
      revoke: async (...a: Parameters<typeof grants.revoke>) => (await grants.revoke(...a))?.record,
      events: async (...a: Parameters<typeof grants.events>) => {
        if (eventsFail) throw new Error("events unreadable");
        return grants.events(...a);
      },
    };
  };
  return {
    ...env,
    DENYLIST: { getByName: () => olderDenylist },
    GRANTS: { getByName: olderGrants },
  } as unknown as Env;
}

/** A grant listing's answer. */
type Listed = { grants: { id: string; service: string }[]; next: string | null };

async function call(path: string, init: RequestInit = {}, bindings: Env = env as unknown as Env): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(
    "cf-access-jwt-assertion",
    await accessToken(signing, { email: "admin@example.com", identity_nonce: "n-old" }),
  );
  if (init.body) headers.set("content-type", "application/json");
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ADMIN}${path}`, { ...init, headers }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

beforeAll(async () => {
  await activate(demoPolicy);
});

describe("an admin call answered by an object of the release before", () => {
  it("a lift the object made is answered and logged as one", async () => {
    const made = await call("/revocations", {
      method: "POST",
      body: JSON.stringify({ match: "email", value: "older@example.com", reason: "older object" }),
    });
    expect(made.status).toBe(201);
    const { id } = ((await made.json()) as { entry: { id: string } }).entry;
    const lift = await captured(() => call(`/denylist/${id}?kind=revocation`, { method: "DELETE" }, olderObjects()));
    // The object lifted it either way.
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect(open.some((e) => e.id === id)).toBe(false);
    expect(lift.result.status).toBe(200);
    expect(lift.lines.filter((l) => l.event === "revocation-lifted")).toHaveLength(1);
    // And a second lift through it is still "nothing changed".
    const again = await captured(() => call(`/denylist/${id}?kind=revocation`, { method: "DELETE" }, olderObjects()));
    expect(again.result.status).toBe(409);
    expect(again.lines.filter((l) => l.event === "revocation-lifted")).toHaveLength(0);
  });

  it("a revocation is stored through add, as that release stored it, not refused with a 500", async () => {
    const made = await captured(() =>
      call(
        "/revocations",
        {
          method: "POST",
          body: JSON.stringify({ match: "email", value: "rollout@example.com", reason: "mid-deploy" }),
        },
        olderObjects(),
      ),
    );
    expect(made.result.status).toBe(201);
    expect(made.lines.filter((l) => l.event === "credential-revoked")).toHaveLength(1);
    const open = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    expect(open.filter((e) => e.value === "rollout@example.com")).toHaveLength(1);
  });

  it("a grant the object revoked is answered and logged as revoked", async () => {
    const made = await call("/breakglass", {
      method: "POST",
      body: JSON.stringify({
        principal: { email: "older@example.com" },
        service: "wiki",
        minutes: 5,
        justification: "revoked through an older object",
      }),
    });
    expect(made.status).toBe(201);
    const { id } = ((await made.json()) as { grant: { id: string } }).grant;
    const revoke = await captured(() => call(`/grants/wiki/${id}`, { method: "DELETE" }, olderObjects()));
    const [record] = (await env.GRANTS.getByName("service:wiki").list(true)).filter((g) => g.id === id);
    expect(record?.status).toBe("revoked");
    expect(revoke.result.status).toBe(200);
    expect(revoke.lines.filter((l) => l.event === "grant-revoked")).toHaveLength(1);
    const again = await captured(() => call(`/grants/wiki/${id}`, { method: "DELETE" }, olderObjects()));
    expect(again.result.status).toBe(409);
    expect(again.lines.filter((l) => l.event === "grant-revoked")).toHaveLength(0);
  });

  it("a revocation whose history cannot be read is answered as not known, not as made or refused", async () => {
    // Whether this call ended it is only in the grant's history: unread, the answer says so (500, changed
    // "unknown", list it), and logs no revocation it cannot attribute; the grant is revoked either way.
    const made = await call("/breakglass", {
      method: "POST",
      body: JSON.stringify({
        principal: { email: "older-events@example.com" },
        service: "wiki",
        minutes: 5,
        justification: "revoked through an older object",
      }),
    });
    const { id } = ((await made.json()) as { grant: { id: string } }).grant;
    const revoke = await captured(() => call(`/grants/wiki/${id}`, { method: "DELETE" }, olderObjects(true)));
    expect(revoke.result.status).toBe(500);
    expect(((await revoke.result.json()) as { changed: string }).changed).toBe("unknown");
    expect(revoke.lines.filter((l) => l.event === "grant-revoked")).toHaveLength(0);
    const [record] = (await env.GRANTS.getByName("service:wiki").list(true)).filter((g) => g.id === id);
    expect(record?.status).toBe("revoked");
  });

  it("the denylist in pages is its whole listing in one page; a later page is refused, not made up", async () => {
    for (const value of ["paged-older-1@example.com", "paged-older-2@example.com"]) {
      const body = JSON.stringify({ match: "email", value, reason: "listed by an older object" });
      expect((await call("/revocations", { method: "POST", body })).status).toBe(201);
    }
    const whole = await env.DENYLIST.getByName(DENYLIST_NAME).list(false, Date.now());
    for (const path of ["/denylist?kind=revocation", "/denylist?kind=revocation&limit=1"]) {
      const listed = await call(path, {}, olderObjects());
      expect(listed.status, path).toBe(200);
      const { entries, next } = (await listed.json()) as { entries: { id: string }[]; next: string | null };
      expect(entries.map((e) => e.id).sort(), path).toEqual(whole.map((e) => e.id).sort());
      expect(next, path).toBeNull();
    }
    const later = await call("/denylist?kind=revocation&limit=1&after=1", {}, olderObjects());
    expect(later.status).toBe(500);
    expect(JSON.stringify(await later.json())).not.toContain("paged-older");
  });

  it("the grants listed in pages are each service's whole listing; a later part is refused, not made up", async () => {
    // One on orders too, listed first: wiki's whole list then overflows a page that has some already.
    for (const service of ["orders", "wiki"]) {
      const made = await call("/breakglass", {
        method: "POST",
        body: JSON.stringify({
          principal: { email: "paged-older@example.com" },
          service,
          minutes: 5,
          justification: "listed through an older object",
        }),
      });
      expect(made.status).toBe(201);
    }
    const stored = async (service: string) =>
      (await env.GRANTS.getByName(`service:${service}`).list(true)).map((g) => `${service}/${g.id}`);
    const whole = [...(await stored("orders")), ...(await stored("payments")), ...(await stored("wiki"))];
    expect(whole.length).toBeGreaterThan(0);
    for (const path of ["/grants?all=1", "/grants?all=1&limit=1"]) {
      const res = await call(path, {}, olderObjects());
      expect(res.status, path).toBe(200);
      let { grants, next } = (await res.json()) as Listed;
      const listed = grants.map((g) => `${g.service}/${g.id}`);
      // Page by page, each service whole, from its first row.
      for (let pages = 0; next !== null && pages < 10; pages++) {
        const more = await call(`/grants?all=1&limit=1&after=${next}`, {}, olderObjects());
        expect(more.status, next).toBe(200);
        ({ grants, next } = (await more.json()) as Listed);
        listed.push(...grants.map((g) => `${g.service}/${g.id}`));
      }
      expect(listed, path).toEqual(whole);
    }
    const later = await call("/grants?all=1&limit=1&after=wiki/1", {}, olderObjects());
    expect(later.status).toBe(500);
  });
});
