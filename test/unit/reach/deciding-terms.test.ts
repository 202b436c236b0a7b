// ward diff and what the deciding allow rule does beyond letting a request through: the headers it sets and
// whether its rate limit may fail open, per route and principal (policy/reach/deciding-terms.ts). From a review
// of the first, per-rule-id comparison: it missed reordered rules and requests moved to another route, and
// listed a rule renamed or renumbered, or a failOpen limit added where there was none, as widenings.
import { describe, expect, it } from "vitest";
import { diffReach, diffWidens, loadPolicy, reach } from "../../../policy/index.ts";

type Rule = Record<string, unknown>;
const doc = (routes: unknown[]) => ({
  version: 1,
  metadata: { environment: "dev", owners: ["security@example.com"] },
  identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
  services: {
    app: { hosts: ["app.example.com"], origin: { tunnel: "APP" }, owner: "team@example.com", routes },
  },
});
const route = (id: string, path: string, rules: Rule[]) => ({ id, methods: ["GET"], path, rules });

async function diffOf(a: unknown, b: unknown) {
  const [x, y] = [await loadPolicy(JSON.stringify(a)), await loadPolicy(JSON.stringify(b))];
  if (!x.ok || !y.ok) throw new Error(JSON.stringify([x, y]));
  return diffReach(reach(x.policy), reach(y.policy));
}
const lines = (d: Awaited<ReturnType<typeof diffOf>>) =>
  d.settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`);

const plain: Rule = { id: "plain", effect: "allow", principals: [{ group: "dev" }] };
const admin: Rule = {
  id: "admin",
  effect: "allow",
  principals: [{ group: "dev" }],
  headers: { "remote-user": "admin" },
};

describe("ward diff: what the deciding rule sets and counts", () => {
  it("widens: rules reordered so a header-setting rule decides for callers a plain rule decided for", async () => {
    // OLD: group dev is decided by `plain` (first allow): no header. NEW: `admin` first: dev now gets remote-user: admin.
    const d = await diffOf(doc([route("r", "/x", [plain, admin])]), doc([route("r", "/x", [admin, plain])]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
    expect(lines(d)).toEqual(["! rule headers: app/r for group:dev: + remote-user: admin"]);
  });

  it("widens: a rule before a header rule narrowed, so its callers fall through to the header rule", async () => {
    const narrowed = { ...plain, principals: [{ email: "someone@example.com" }] };
    const d = await diffOf(doc([route("r", "/x", [plain, admin])]), doc([route("r", "/x", [narrowed, admin])]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
  });

  it("widens: requests moved to a route whose allow rule sets a header", async () => {
    const a = route("a", "/a", [{ id: "all", effect: "allow", principals: [{ public: true }] }]);
    const b = route("b", "/{*}", [
      { id: "all", effect: "allow", principals: [{ public: true }], headers: { "remote-user": "admin" } },
    ]);
    const d = await diffOf(doc([a, b]), doc([b]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
    expect(lines(d)).toContain(
      "! rule headers: GET /a (and the like) now reaches app/b (was app/a), whose rule sets + remote-user: admin",
    );
  });

  it("widens: requests moved to a route whose rule's limit is failOpen where it was counted", async () => {
    const limit = (failOpen: boolean) => ({ limit: 10, period: "60s", failOpen });
    const a = route("a", "/a", [
      { id: "all", effect: "allow", principals: [{ public: true }], rateLimit: limit(false) },
    ]);
    const b = route("b", "/{*}", [
      { id: "all", effect: "allow", principals: [{ public: true }], rateLimit: limit(true) },
    ]);
    const d = await diffOf(doc([a, b]), doc([b]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
    expect(lines(d)).toContain(
      "! rate limit: GET /a (and the like) now reaches app/b (was app/a), whose rate limit may fail open",
    );
  });

  it("no change: a deny without an id inserted before an unnamed header rule (renumbered)", async () => {
    const unnamedAdmin = { effect: "allow", principals: [{ group: "ops" }], headers: { "remote-user": "admin" } };
    const newRule = { effect: "deny", principals: [{ email: "mallory@example.com" }] };
    const d = await diffOf(doc([route("r", "/x", [unnamedAdmin])]), doc([route("r", "/x", [newRule, unnamedAdmin])]));
    // Only a deny was added: nothing widens.
    expect(lines(d)).toEqual([]);
  });

  it("no widening: a rule renamed, same principals and headers", async () => {
    const renamed = { ...admin, id: "admins" };
    const d = await diffOf(doc([route("r", "/x", [admin])]), doc([route("r", "/x", [renamed])]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(false);
  });

  it("no widening: a failOpen rate limit added to a rule that had none", async () => {
    // OLD counts nothing; NEW counts while its store answers: narrower, never wider.
    const limited = { ...plain, rateLimit: { limit: 10, period: "60s", failOpen: true } };
    const d = await diffOf(doc([route("r", "/x", [plain])]), doc([route("r", "/x", [limited])]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(false);
  });
});
