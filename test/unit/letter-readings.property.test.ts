// Generated, differential: paths spelt with letters origins change (fullwidth, best-fit look-alikes, accents and
// combining marks, NFD and NFC, case), on random policies of a catch-all and narrower routes, some at
// caseInsensitivePaths services. Whatever Ward lets through, each origin reading (oracle/origin-letters.ts: NFC, NFD,
// NFKC, best-fit 1252 as Unicode publishes it, lower-casing before or between) must also be let through, or refused
// as a bad request: never decided by another route's deny or narrower allow. A reading in which best-fit made a `?`
// is left out (docs/policy.md: whether that ends the path depends on the origin parsing it again). Legitimate paths
// in other scripts stay allowed. WARD_LETTERS_SEED=<n> replays a run; the seed is printed on failure.
import { describe, expect, it } from "vitest";
import { evaluate, loadPolicy, type CompiledPolicy, type Identity } from "../../policy/index.ts";
import { prng, seedFrom } from "../support/prng.ts";
import { lookAlikesOfAscii, ORIGIN_READINGS, readPath } from "./oracle/origin-letters.ts";

const SEED = seedFrom("WARD_LETTERS_SEED");
const POLICIES = 150;
const REQUESTS = 120;
const NOW = Date.UTC(2026, 2, 2, 9, 0, 0);
const EVE: Identity = { user: { email: "eve@example.com" } };
const LITERALS = [
  "/admin",
  "/_admin",
  "/server_status",
  "/~root",
  "/files",
  "/internal/keys",
  "/café",
  "/über",
  "/łódź",
  "/文書",
  "/login",
  "/admin.php",
  "/__debug__",
  "/cafe",
  // Written decomposed; a letter the fold keeps before a mark best-fit reads; one only code page 1252 holds.
  "/cafe\u0301",
  "/\u00df_",
  "/\u0161a",
];
const OTHER_SCRIPTS = ["文", "書", "й", "א", "😀", "ا"];
const MARKS = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0304", "\u030e", "\u0331", "\u0332", "\u0323", "\u0308"];

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const encoded = (decodedPath: string) => decodedPath.split("/").map(encodeURIComponent).join("/");
const LOOK_ALIKES = lookAlikesOfAscii();

function policyOf(r: Random): { text: string; caseInsensitive: boolean; literals: string[] } {
  const staff = { id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] };
  const routes: unknown[] = [{ id: "all", methods: ["*"], pathPrefix: "/", rules: [staff] }];
  const literals = new Set<string>();
  for (let i = 0; i < 1 + Math.floor(r() * 4); i++) {
    const literal = pick(r, LITERALS);
    if (literals.has(literal)) continue;
    literals.add(literal);
    const rules =
      r() < 0.5
        ? [{ id: "not-eve", effect: "deny", principals: [{ email: "eve@example.com" }] }, staff]
        : [{ id: "admins", effect: "allow", principals: [{ group: "admins" }] }];
    routes.push({ id: `r${i}`, methods: ["*"], [r() < 0.5 ? "path" : "pathPrefix"]: literal, rules });
  }
  const caseInsensitive = r() < 0.4;
  const service = { hosts: ["app.example.com"], origin: { tunnel: "APP" }, owner: "team@example.com", routes };
  const text = JSON.stringify({
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: { app: { ...service, caseInsensitivePaths: caseInsensitive } },
  });
  return { text, caseInsensitive, literals: [...literals] };
}

/** A literal's path respelt: look-alikes for some of its characters, a letter of another script, NFD, a mark. */
function respelt(r: Random, literal: string, caseInsensitive: boolean): string {
  let path = literal + (r() < 0.3 ? pick(r, ["/x", "/", ".json", "/users"]) : "");
  const kind = r();
  if (kind < 0.6) {
    for (let times = r() < 0.7 ? 1 : 2; times > 0; times--) {
      const chars = [...path];
      for (let tries = 0; tries < 10; tries++) {
        const at = Math.floor(r() * chars.length);
        const length = r() < 0.8 ? 1 : 2;
        const part = chars.slice(at, at + length).join("");
        const choices = LOOK_ALIKES.get(caseInsensitive && r() < 0.3 ? `ci:${part}` : part);
        if (part.includes("/") || !choices) continue;
        chars.splice(at, length, pick(r, choices));
        path = chars.join("");
        break;
      }
    }
  } else if (kind < 0.7) {
    const segments = path.split("/");
    const at = 1 + Math.floor(r() * (segments.length - 1));
    segments[at] += pick(r, OTHER_SCRIPTS);
    path = segments.join("/");
  } else if (kind < 0.85) {
    path = path.normalize(r() < 0.5 ? "NFD" : "NFC");
    const chars = [...path];
    const at = chars.findIndex((c, k) => k > 0 && /[a-z]/.test(c) && r() < 0.4);
    if (at > 0) chars[at] = String.fromCodePoint(chars[at]!.codePointAt(0)! - 0x61 + 0xff41);
    path = chars.join("");
  } else {
    const chars = [...path];
    chars.splice(1 + Math.floor(r() * (chars.length - 1)), 0, pick(r, MARKS));
    path = chars.join("");
  }
  return path;
}

const decide = (policy: CompiledPolicy, decodedPath: string) =>
  evaluate(policy, { method: "GET", host: "app.example.com", path: encoded(decodedPath), identity: EVE }, NOW);

describe("paths as origins that change letters read them", () => {
  it("let through only what every reading lets through, or refuses as a bad request", async () => {
    const r = prng(SEED);
    const found: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (let p = 0; p < POLICIES; p++) {
      const generated = policyOf(r);
      const loaded = await loadPolicy(generated.text);
      if (!loaded.ok) throw new Error(`seed ${SEED}: a generated policy does not load`);
      for (let q = 0; q < REQUESTS; q++) {
        const written = respelt(r, pick(r, [...generated.literals, ...LITERALS]), generated.caseInsensitive);
        const ward = decide(loaded.policy, written);
        if (ward.effect !== "allow") {
          refused++;
          continue;
        }
        allowed++;
        for (const reading of ORIGIN_READINGS) {
          if (reading.caseInsensitiveOnly && !generated.caseInsensitive) continue;
          const read = readPath(written, reading);
          if (read === undefined || read === written) continue;
          const theirs = decide(loaded.policy, read);
          if (theirs.effect === "allow" || theirs.reasons[0] === "bad-request") continue;
          found.push(
            `${JSON.stringify(written)} allowed by ${ward.route}; ${reading.name} reads ${JSON.stringify(read)}: ` +
              `${theirs.reasons} by ${theirs.route} (policy ${generated.text})`,
          );
        }
      }
    }
    if (found.length > 0)
      expect.fail(`${found.length} let through (replay: WARD_LETTERS_SEED=${SEED})\n${found.slice(0, 4).join("\n")}`);
    // Both answers, whatever the seed.
    expect(allowed, `seed ${SEED}`).toBeGreaterThan(POLICIES * 10);
    expect(refused, `seed ${SEED}`).toBeGreaterThan(POLICIES * 5);
  }, 120_000);

  it("allows paths in other scripts, marks and emoji where no route claims their folded spelling", async () => {
    const staff = { id: "staff", effect: "allow", principals: [{ emailDomain: "example.com" }] };
    for (const caseInsensitivePaths of [false, true]) {
      const loaded = await loadPolicy(
        JSON.stringify({
          version: 1,
          metadata: { environment: "dev", owners: ["security@example.com"] },
          identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
          services: {
            app: {
              hosts: ["app.example.com"],
              origin: { tunnel: "APP" },
              owner: "team@example.com",
              caseInsensitivePaths,
              routes: [
                { id: "all", methods: ["*"], pathPrefix: "/", rules: [staff] },
                { id: "api", methods: ["*"], pathPrefix: "/api", rules: [staff] },
                { id: "user", methods: ["*"], path: "/users/{id}", rules: [staff] },
                {
                  id: "admin",
                  methods: ["*"],
                  pathPrefix: "/admin",
                  rules: [{ ...staff, principals: [{ group: "x" }] }],
                },
              ],
            },
          },
        }),
      );
      if (!loaded.ok) throw new Error("the policy does not load");
      const refused = [
        "/docs/文書",
        "/users/Иван",
        "/search/مرحبا",
        "/docs/مَرْحَبًا",
        "/docs/שָׁלוֹם",
        "/docs/한국어",
        "/docs/हिन्दी",
        "/docs/ภาษาไทย",
        "/docs/tiếng-việt",
        "/docs/Ελληνικά",
        "/static/😀.png",
        "/docs/👨‍👩‍👧",
        "/docs/1️⃣",
        "/users/josé",
        "/docs/résumé",
        "/docs/Straße",
        "/docs/ŁÓDŹ",
        "/docs/ﾃｽﾄ",
        "/docs/１２３",
        "/docs/x²",
      ].filter((path) => decide(loaded.policy, path).effect !== "allow");
      expect(refused, `caseInsensitivePaths ${caseInsensitivePaths}`).toEqual([]);
    }
  });
});
