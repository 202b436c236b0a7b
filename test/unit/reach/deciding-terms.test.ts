// ward diff and what the deciding allow rule does beyond letting a request through: the headers it sets and
// whether its rate limit may fail open, per route and principal (policy/reach/deciding-terms.ts). From a review
// of the first, per-rule-id comparison: it missed reordered rules and requests moved to another route, and
// listed a rule renamed or renumbered, or a failOpen limit added where there was none, as widenings.
import { describe, expect, it } from "vitest";
import {
  diffReach,
  diffWidens,
  loadPolicy,
  principalsMayOverlap,
  reach,
  type TimedGrant,
} from "../../../policy/index.ts";
import { OverlapIndex } from "../../../policy/reach/principals.ts";
import { oneServicePolicy } from "../support/one-service.ts";

type Rule = Record<string, unknown>;
const doc = oneServicePolicy;
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

  it("widens: a rate limit that always counted removed, on its route or where requests move (from a review)", async () => {
    // Removed, every request is admitted uncounted: wider than failOpen, which the diff listed while this was empty.
    const counted = { ...plain, rateLimit: { limit: 10, period: "60s", failOpen: false } };
    const d = await diffOf(doc([route("r", "/x", [counted])]), doc([route("r", "/x", [plain])]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
    expect(lines(d)).toEqual(["! rate limit: app/r for group:dev: its rate limit may now be gone (admit uncounted)"]);
    const a = route("a", "/a", [{ ...counted, principals: [{ public: true }] }]);
    const b = route("b", "/{*}", [{ ...plain, principals: [{ public: true }] }]);
    const moved = await diffOf(doc([a, b]), doc([b]));
    expect(diffWidens(moved), lines(moved).join("\n")).toBe(true);
    expect(lines(moved)).toContain(
      "! rate limit: GET /a (and the like) now reaches app/b (was app/a), where no rate limit may count them",
    );
    // Added where there was none: narrower, not listed.
    const added = await diffOf(doc([route("r", "/x", [plain])]), doc([route("r", "/x", [counted])]));
    expect(diffWidens(added), lines(added).join("\n")).toBe(false);
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

describe("ward diff: a change behind an earlier rule that may decide for the same callers", () => {
  // From a review of the per-principal union: the old side's other rule set the same line, which hid the change.
  it("every employee's x-role goes user -> admin: a widening", async () => {
    const admins: Rule = {
      id: "admins",
      effect: "allow",
      principals: [{ group: "admins" }],
      headers: { "x-role": "admin" },
    };
    const staff = (role: string): Rule => ({
      id: "staff",
      effect: "allow",
      principals: [{ emailDomain: "example.com" }],
      headers: { "x-role": role },
    });
    const d = await diffOf(
      doc([route("r", "/x", [admins, staff("user")])]),
      doc([route("r", "/x", [admins, staff("admin")])]),
    );
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
    expect(lines(d)).toContain("! rule headers: app/r for email-domain:example.com: + x-role: admin");
    // Unchanged, nothing at all.
    expect(
      lines(
        await diffOf(
          doc([route("r", "/x", [admins, staff("user")])]),
          doc([route("r", "/x", [admins, staff("user")])]),
        ),
      ),
    ).toEqual([]);
  });

  it("alice's always-counted limit made failOpen behind a group rule with none: a widening", async () => {
    const sre: Rule = { id: "sre", effect: "allow", principals: [{ group: "sre" }] };
    const alice = (failOpen: boolean): Rule => ({
      id: "alice",
      effect: "allow",
      principals: [{ email: "alice@example.com" }],
      rateLimit: { limit: 10, period: "60s", failOpen },
    });
    const d = await diffOf(doc([route("r", "/x", [sre, alice(false)])]), doc([route("r", "/x", [sre, alice(true)])]));
    expect(diffWidens(d), lines(d).join("\n")).toBe(true);
  });
});

describe("ward diff: a rule that counts nothing behind one that counts", () => {
  // From a review of the first check ("some rule counted before, some counts nothing now"): any change to such a
  // chain, a narrowing included, was a widening. Every employee is limited; admins (employees too) are not.
  const employees: Rule = {
    id: "employees",
    effect: "allow",
    principals: [{ emailDomain: "example.com" }],
    rateLimit: { limit: 100, period: "60s" },
  };
  const admins: Rule = { id: "admins", effect: "allow", principals: [{ group: "admins" }] };
  const ops: Rule = { id: "ops", effect: "allow", principals: [{ group: "ops" }] };
  const widens = async (a: Rule[], b: Rule[]) =>
    diffWidens(await diffOf(doc([route("r", "/x", a)]), doc([route("r", "/x", b)])));

  it("no widening: a header removed from the unlimited rule", async () => {
    expect(await widens([employees, { ...admins, headers: { "x-role": "admin" } }], [employees, admins])).toBe(false);
  });

  it("no widening: a rate limit added to the unlimited rule", async () => {
    expect(
      await widens([employees, admins, ops], [employees, { ...admins, rateLimit: { limit: 5, period: "60s" } }, ops]),
    ).toBe(false);
  });

  it("widens: the limit removed from the rule that counted", async () => {
    const { rateLimit: _, ...unlimited } = employees;
    expect(await widens([employees, admins], [unlimited, admins])).toBe(true);
  });

  it("widens: the unlimited rule moved ahead of a conditional limited one", async () => {
    const limited: Rule = { ...admins, id: "l", when: { country: ["DE"] }, rateLimit: { limit: 1, period: "60s" } };
    expect(await widens([limited, admins], [admins, limited])).toBe(true);
  });

  it("widens: a failOpen limit removed (every request uncounted, not only those its store could not count)", async () => {
    expect(await widens([{ ...plain, rateLimit: { limit: 10, period: "60s", failOpen: true } }], [plain])).toBe(true);
  });
});

describe("ward diff with the grants in force (push --dry-run)", () => {
  it("widens: a rule's new window equal to a GET-only exception's, for a route of GET and POST (from a review)", async () => {
    // The exception's terms hold for GET only: pooled with the POST grant's, they hid that POST is now allowed from
    // any country during the window, where the rule allowed it from DE only.
    const [from, to] = ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"];
    const exception: TimedGrant = {
      id: "e1",
      kind: "exception",
      principal: { email: "alice@example.com" },
      service: "app",
      routes: ["r"],
      methods: ["GET"],
      notBefore: Date.parse(from),
      notAfter: Date.parse(to),
    };
    const policy = (when: Rule) =>
      doc([
        {
          id: "r",
          methods: ["GET", "POST"],
          path: "/a",
          rules: [{ id: "alice", effect: "allow", principals: [{ email: "alice@example.com" }], when }],
        },
      ]);
    const [x, y] = [
      await loadPolicy(JSON.stringify(policy({ country: ["DE"] }))),
      await loadPolicy(JSON.stringify(policy({ time: { notBefore: from, notAfter: to } }))),
    ];
    if (!x.ok || !y.ok) throw new Error(JSON.stringify([x, y]));
    const d = diffReach(reach(x.policy, { grants: [exception] }), reach(y.policy, { grants: [exception] }));
    expect(diffWidens(d), JSON.stringify(d.changed)).toBe(true);
  });
});

describe("OverlapIndex", () => {
  // What it stands for, on random lists (seed printed on failure): any principal of the list may overlap.
  it("agrees with principalsMayOverlap over every principal of a list", () => {
    const seed = Number(process.env.OVERLAP_SEED ?? Math.floor(Math.random() * 2 ** 31));
    let state = seed;
    const next = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const domains = ["example.com", "other.org", "EXAMPLE.com"];
    const pool = () => {
      switch (next(10)) {
        case 0:
          return `email:u${next(5)}@${domains[next(3)]!.toLowerCase()}`;
        case 1:
          return `email-domain:${domains[next(2)]}`;
        case 2:
          return `group:g${next(3)}`;
        case 3:
          return `token:t${next(3)}.access`;
        case 4:
          return `claims:{"repo":"r${next(2)}"}`;
        case 5:
          return ["public", "any-authenticated"][next(2)]!;
        case 6:
          return `spiffe://td${next(2)}/ns/a${next(2)}`;
        case 7:
          return `trust-domain:td${next(2)}`;
        case 8:
          return `spiffe://td${next(2)}/ns/a${next(2)} + email:u${next(3)}@example.com`;
        default:
          return `email:u${next(5)}@example.com`;
      }
    };
    for (let round = 0; round < 2_000; round++) {
      const list = Array.from({ length: next(6) }, pool);
      const index = new OverlapIndex(list);
      for (let i = 0; i < 10; i++) {
        const p = pool();
        expect(index.mayOverlap(p), `seed ${seed}: ${p} against ${JSON.stringify(list)}`).toBe(
          list.some((q) => principalsMayOverlap(p, q)),
        );
      }
    }
  });
});
