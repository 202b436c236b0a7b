// diffReach: the semantic diff of two policies, grants and the changes beyond them (policy/reach/diff*.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diffReach, diffWidens, loadPolicy, reach, type CompiledPolicy } from "../../../policy/index.ts";
import { oneServicePolicy } from "../support/one-service.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/policies");

async function fixture(name: string): Promise<CompiledPolicy> {
  const result = await loadPolicy(readFileSync(join(FIXTURES, name), "utf8"));
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.issues)}`);
  return result.policy;
}

describe("diffReach", () => {
  it.each<[string, string[], string[], string[]]>([
    ["diff-old.yaml", [], [], []],
    ["diff-rename.yaml", [], [], []],
    ["diff-narrow.yaml", [], ["token:88aff8945a9bce23551a7d7b05773f7f.access grafana/api POST by grafana/api/bot"], []],
    [
      "diff-swap.yaml",
      ["email:bot-owner@example.com grafana/api POST by grafana/api/bot"],
      ["token:88aff8945a9bce23551a7d7b05773f7f.access grafana/api POST by grafana/api/bot"],
      [],
    ],
    [
      "diff-wide.yaml",
      [
        "email-domain:example.com grafana/ui GET,HEAD,POST by grafana/ui/sre",
        "group:sre grafana/ui POST by grafana/ui/sre",
      ],
      [],
      ["group:sre grafana/ui GET,HEAD: grafana/ui/sre when device posture managed -> grafana/ui/sre always"],
    ],
  ])("diff-old.yaml -> %s", async (file, gained, lost, changed) => {
    const diff = diffReach(reach(await fixture("diff-old.yaml")), reach(await fixture(file)));
    const line = (d: { principal: string; route: string; methods: string[]; rules: string[] }) =>
      `${d.principal} ${d.route} ${d.methods.join(",")} by ${d.rules.join(",")}`;
    expect(diff.gained.map(line)).toEqual(gained);
    expect(diff.lost.map(line)).toEqual(lost);
    expect(
      diff.changed.map(
        (c) =>
          `${c.principal} ${c.route} ${c.methods.join(",")}: ${c.before.terms.join(" | ")} -> ${c.after.terms.join(" | ")}`,
      ),
    ).toEqual(changed);
  });

  it("is symmetric: NEW -> OLD swaps gains and losses", async () => {
    const [a, b] = [reach(await fixture("diff-old.yaml")), reach(await fixture("diff-wide.yaml"))];
    const forward = diffReach(a, b);
    const back = diffReach(b, a);
    expect(back.lost).toEqual(forward.gained);
    expect(back.gained).toEqual(forward.lost);
    expect(back.changed.map((c) => c.before)).toEqual(forward.changed.map((c) => c.after));
  });

  it("a deny added in NEW is a change, not a loss", async () => {
    const old = await fixture("diff-old.yaml");
    const doc = structuredClone(old.document);
    doc.services.grafana!.routes[0]!.rules.push({ id: "no-sre", effect: "deny", principals: [{ group: "sre" }] });
    const diff = diffReach(reach(old), reach(doc));
    expect(diff.gained).toEqual([]);
    expect(diff.lost).toEqual([]);
    expect(diff.changed.map((c) => c.after.terms)).toEqual([
      ["grafana/ui/sre when device posture managed unless deny no-sre (group:sre)"],
    ]);
  });

  describe("changes beyond the grants", () => {
    type Doc = CompiledPolicy["document"];
    /** OLD (diff-old.yaml, changed by `base`) and NEW (OLD changed by `change`), diffed. */
    const diffOf = async (change: (d: Doc) => void, base: (d: Doc) => void = () => {}) => {
      const old = structuredClone((await fixture("diff-old.yaml")).document);
      base(old);
      const doc = structuredClone(old);
      change(doc);
      return diffReach(reach(old), reach(doc));
    };
    /** `! kind: change` for a change that may widen, `- kind: change` for one that does not. */
    const settings = async (change: (d: Doc) => void, base?: (d: Doc) => void) =>
      (await diffOf(change, base)).settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`);
    const ui = (d: Doc) => d.services.grafana!.routes[0]!;
    const api = (d: Doc) => d.services.grafana!.routes[1]!;
    const uiPosts = (d: Doc) => {
      ui(d).methods = ["GET", "HEAD", "POST"];
    };

    it("a route gone: its requests now reach a broader route, whose grants they get", async () => {
      // POST /api/ds/query falls through to ui, which sre may POST to: no grant changes, yet sre gets in.
      const diff = await diffOf((d) => d.services.grafana!.routes.splice(1, 1), uiPosts);
      expect(diff.gained).toEqual([]);
      expect(diff.settings.map((s) => [s.change, s.widens])).toEqual([
        ["POST /api/ds/query (and the like) now reaches grafana/ui (was grafana/api): may let in group:sre", true],
      ]);
      expect(diffWidens(diff)).toBe(true);
    });

    it("a route gone with nothing to fall through to is no widening", async () => {
      const diff = await diffOf((d) => d.services.grafana!.routes.splice(1, 1));
      expect(diff.settings).toEqual([]);
      expect(diffWidens(diff)).toBe(false);
    });

    it("a route narrowed to fewer methods, whose requests a broader route serves", async () => {
      expect(await settings((d) => (api(d).methods = ["PUT"]), uiPosts)).toEqual([
        "! route: POST /api/ds/query (and the like) now reaches grafana/ui (was grafana/api): may let in group:sre",
      ]);
    });

    it("a route whose pattern changed: listed, and the requests it newly takes are compared", async () => {
      const diff = await diffOf((d) => (api(d).path = "/api/{**}"));
      expect(diff.settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`)).toEqual([
        "- route: grafana/api: path /api/ds/query -> /api/{**}",
        "! route: POST /api (and the like) now reaches grafana/api (reached no route): may let in token:88aff8945a9bce23551a7d7b05773f7f.access",
      ]);
      // Same grants, same terms: what the pattern changes is which requests reach them.
      expect(diff.changed).toEqual([]);
    });

    it("a route narrowed to a pattern whose other requests reach nothing: listed, no widening", async () => {
      const diff = await diffOf(
        (d) => (api(d).path = "/api/ds/query"),
        (d) => (api(d).path = "/api/ds/{name}"),
      );
      expect(diff.settings.map((s) => [s.change, s.widens])).toEqual([
        ["grafana/api: path /api/ds/{name} -> /api/ds/query", false],
      ]);
      expect(diffWidens(diff)).toBe(false);
    });

    it("a deny rule that applies to fewer callers, or at fewer times", async () => {
      const add = (d: Doc, deny: object) =>
        ui(d).rules.push({ id: "no-contractors", effect: "deny", ...deny } as never);
      const before = await fixture("diff-old.yaml");
      const withDeny = structuredClone(before.document);
      add(withDeny, { principals: [{ group: "sre" }] });
      for (const narrowed of [
        { principals: [{ email: "bob@example.com" }] },
        { principals: [{ group: "sre" }], when: { time: { days: ["sat"] } } },
      ]) {
        const doc = structuredClone(before.document);
        add(doc, narrowed);
        const diff = diffReach(reach(withDeny), reach(doc));
        expect(diff.changed.map((c) => [c.route, c.widens])).toEqual([["grafana/ui", true]]);
      }
    });

    it("a deny rule renamed is no change, nor its route's pattern; moved to another route, it is", async () => {
      const deny = { id: "no-sre", effect: "deny", principals: [{ group: "sre" }] } as never;
      const withDeny = (d: Doc) => {
        ui(d).rules.push(deny);
      };
      const renamed = await diffOf((d) => (ui(d).rules[1]!.id = "not-sre"), withDeny);
      expect([renamed.changed, renamed.settings]).toEqual([[], []]);
      // A route's own deny rules cover every request it takes, whatever its pattern.
      expect((await diffOf((d) => (ui(d).pathPrefix = "/ui"), withDeny)).changed).toEqual([]);
      const moved = await diffOf((d) => {
        ui(d).rules.pop();
        api(d).rules.push(deny);
      }, withDeny);
      expect(moved.changed.map((c) => [c.principal, c.route, c.widens])).toEqual([["group:sre", "grafana/ui", true]]);
    });

    it("the same denies in another order are no change", async () => {
      const before = await fixture("diff-old.yaml");
      const [a, b] = [structuredClone(before.document), structuredClone(before.document)];
      const denies = [
        { id: "d1", effect: "deny", principals: [{ group: "sre" }] },
        { id: "d2", effect: "deny", principals: [{ group: "sre" }], when: { country: ["KP"] } },
      ];
      ui(a).rules.push(...(denies as never[]));
      ui(b).rules.push(...([...denies].reverse() as never[]));
      expect(diffReach(reach(a), reach(b))).toEqual({ gained: [], lost: [], changed: [], settings: [] });
    });

    it("an admin, an identity source or an identity-binding pair added widens; taken away, narrows", async () => {
      expect(await settings((d) => (d.admin = { principals: [{ emailDomain: "example.com" }] }))).toEqual([
        "! admin: + email-domain:example.com may use the admin API",
      ]);
      // A new Access audience, and every service that names none of its own takes it from now on, as does a host
      // no service answers (the admin API's): no service claims it.
      expect(await settings((d) => d.identity.access!.audiences.push("e".repeat(64)))).toEqual([
        `! identity source: + Access audience ${"e".repeat(64)}`,
        `! identity source: + Hosts no service answers (the admin API's) take Access tokens of audience ${"e".repeat(64)}`,
        `! identity source: + Service grafana takes Access tokens of audience ${"e".repeat(64)}`,
      ]);
      expect(
        await settings((d) => {
          d.identity.mtls = {
            required: false,
            spiffe: true,
            issuers: [{ ski: "AB:CD:EF:01", trustDomains: ["td"] }],
            registry: [{ fingerprintSha256: "ab".repeat(32), id: "spiffe://td/ns/ops/sa/runner" }],
          };
        }),
      ).toEqual([
        "! identity source: + mTLS SPIFFE IDs from certificates",
        "! identity source: + mTLS issuer SKI abcdef01",
        "! identity source: + mTLS issuer SKI abcdef01 for trust domain td",
        `! identity source: + mTLS registry ${"ab".repeat(32)} -> spiffe://td/ns/ops/sa/runner`,
      ]);
      // A CA pinned by its certificate is named by its key: another key under the same SKI is another CA.
      const pemOf = (file: string) => readFileSync(join(import.meta.dirname, "../../fixtures/certs", file), "utf8");
      const keyed = (pem: string) => (d: Doc) => {
        d.identity.mtls = { required: false, spiffe: true, issuers: [{ certificate: pem, trustDomains: ["td"] }] };
      };
      const caLines = await settings(keyed(pemOf("ca.pem")));
      expect(caLines).toContain(
        "! identity source: + mTLS issuer certificate SKI 3a45f848c6050cd86d58fe6da772c4f3c3cef5c2 key MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO7YquA6i3Ac0ow8elxFQdd69bkY28SjhBtsYnIvAwAlXMawVja1ff4zTf5O5/1ngd1SjPn/SRs9QNoAj2BFyTw== for trust domain td",
      );
      // The look-alike carries the same SKI: only its key tells it apart, and the diff says so.
      const swapped = await settings(keyed(pemOf("issuer-keys/lookalike-ca.pem")), keyed(pemOf("ca.pem")));
      const newKey = swapped.filter((l) => l.startsWith("! identity source: + mTLS issuer certificate SKI 3a45f848"));
      expect(newKey).toHaveLength(2);
      expect(newKey.some((l) => l.includes("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO7Yq"))).toBe(false);
      // A pin reached through one more intermediate the client sends takes more certificates: a widening.
      const through =
        (intermediates: number) =>
        (d: Doc): void => {
          const certificate = pemOf("chain/chain-root.pem");
          d.identity.mtls = {
            required: false,
            spiffe: true,
            issuers: [{ certificate, intermediates, trustDomains: ["td"] }],
          };
        };
      const deeper = await settings(through(2), through(1));
      expect(deeper).toEqual([
        expect.stringMatching(
          /^! identity source: \+ mTLS issuer certificate SKI [0-9a-f]+ key \S+ through 2 intermediate CAs$/,
        ),
      ]);
      expect(await settings(through(1), through(2))).toEqual([
        expect.stringMatching(
          /^- identity source: - mTLS issuer certificate SKI [0-9a-f]+ key \S+ through 2 intermediate CAs$/,
        ),
      ]);
      // A binding's pairs count where rules name the binding: an allow lets a pair added through, a deny lets
      // a pair taken out past it.
      const runner = { workload: "spiffe://td/ns/ops/sa/runner", access: "Mallory@example.com" };
      const other = { workload: "spiffe://td/ns/ops/sa/other", access: "bob@example.com" };
      const pairs =
        (...list: (typeof runner)[]) =>
        (d: Doc) => {
          d.identityBindings = { ops: list };
        };
      const naming = (effect: "allow" | "deny") => (d: Doc) => {
        pairs(other)(d);
        const both = { workload: [{ trustDomain: "td" }], access: [{ emailDomain: "example.com" }], binding: "ops" };
        ui(d).rules.push({ id: "pair", effect, bothFactors: both } as never);
      };
      const added = "binding: + binding ops: spiffe://td/ns/ops/sa/runner & mallory@example.com";
      const removed = "binding: - binding ops: spiffe://td/ns/ops/sa/runner & mallory@example.com";
      expect(await settings(pairs(other, runner), naming("allow"))).toEqual([`! ${added}`]);
      expect(await settings(pairs(other, runner), naming("deny"))).toEqual([`- ${added}`]);
      expect(await settings(pairs(other), (d) => (naming("deny")(d), pairs(other, runner)(d)))).toEqual([
        `! ${removed}`,
      ]);
      expect(await settings(pairs(other), (d) => (naming("allow")(d), pairs(other, runner)(d)))).toEqual([
        `- ${removed}`,
      ]);
      expect(
        await settings(
          (d) => (d.admin = undefined),
          (d) => (d.admin = { principals: [{ group: "sre" }] }),
        ),
      ).toEqual(["- admin: - group:sre may use the admin API"]);
    });

    it("security events: a transmitter trusted or changed is listed, and widens only where a poll endpoint gets its secret", async () => {
      const signals = (poll?: string) => (d: Doc) => {
        (d as Record<string, unknown>).sharedSignals = {
          audience: "https://ward.example.com/dev",
          transmitters: {
            idp: {
              issuer: "https://idp.example.com/",
              jwksUri: "https://idp.example.com/jwks",
              events: ["session-revoked"],
              ...(poll ? { poll: { endpoint: poll, authorization: "SSF_IDP_POLL" } } : {}),
            },
          },
        };
      };
      // It can only refuse people: listed, exit code untouched.
      const trusted = await diffOf(signals());
      expect(trusted.settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`)).toEqual([
        "- security events: + audience https://ward.example.com/dev",
        "- security events: + transmitter idp: events session-revoked",
        "- security events: + transmitter idp: issuer https://idp.example.com/",
        "- security events: + transmitter idp: keys from https://idp.example.com/jwks",
      ]);
      expect(diffWidens(trusted)).toBe(false);
      // Ward sends the transmitter's secret to a poll endpoint: one added, or moved, widens.
      expect(
        await settings(signals("https://elsewhere.example/poll"), signals("https://idp.example.com/poll")),
      ).toEqual([
        "! security events: + transmitter idp: poll https://elsewhere.example/poll with SSF_IDP_POLL",
        "- security events: - transmitter idp: poll https://idp.example.com/poll with SSF_IDP_POLL",
      ]);
      expect(await settings(signals(), signals("https://idp.example.com/poll"))).toEqual([
        "- security events: - transmitter idp: poll https://idp.example.com/poll with SSF_IDP_POLL",
      ]);
      // The rest of a transmitter's terms, and how long an event holds, are listed too (from a review: holdFor
      // 24h -> 1s printed nothing). Each can only refuse people sooner or later, never let anyone in.
      const terms = (d: Doc) => {
        signals()(d);
        const ss = (d as unknown as { sharedSignals: Record<string, any> }).sharedSignals;
        ss.holdFor = "1s";
        Object.assign(ss.transmitters.idp, {
          algorithms: ["ES256", "RS256"],
          subIssuers: ["https://okta.example.com"],
          authorization: "SSF_IDP_PUSH",
          criticalSubjectMembers: ["user"],
        });
      };
      expect(await settings(terms, signals())).toEqual([
        "- security events: + hold for 1s",
        "- security events: + transmitter idp: algorithms ES256, RS256",
        "- security events: + transmitter idp: critical subject members user",
        "- security events: + transmitter idp: pushes carry the secret SSF_IDP_PUSH",
        "- security events: + transmitter idp: subject issuers https://okta.example.com",
      ]);
    });

    it("Access tokens that count for longer widen; for less, narrow", async () => {
      // Longer-lived or older tokens now count: as much a widening as a new audience.
      expect(await settings((d) => (d.identity.access!.maxTokenLifetime = "7d"))).toEqual([
        "! token limit: Access people's token lifetime: 24h -> 7d",
      ]);
      expect(await settings((d) => (d.identity.access!.serviceTokenMaxLifetime = "1h"))).toEqual([
        "- token limit: Access service tokens' token lifetime: 24h -> 1h",
      ]);
      expect(await settings((d) => (d.identity.access!.maxTokenAge = "1h"))).toEqual([
        "- token limit: Access token age: no limit -> 1h",
      ]);
      expect(
        await settings(
          (d) => delete d.identity.access!.maxTokenAge,
          (d) => (d.identity.access!.maxTokenAge = "90m"),
        ),
      ).toEqual(["! token limit: Access token age: 90m -> no limit"]);
      // Older posture results count: a check that was unknown passes an allow rule, or fails a deny rule's.
      expect(await settings((d) => (d.identity.access!.maxPostureAge = "48h"))).toEqual([
        "! token limit: Access device posture age: 25h -> 2d",
      ]);
      expect(await settings((d) => (d.identity.access!.maxPostureAge = "15m"))).toEqual([
        "- token limit: Access device posture age: 25h -> 15m",
      ]);
    });

    it("a trust domain bound to a pinned issuer: that CA may now mint its identities", async () => {
      const withMtls = async (trustDomains: string[][], spiffe = true) => {
        const old = await fixture("diff-old.yaml");
        const doc = structuredClone(old.document);
        doc.identity.mtls = {
          required: false,
          spiffe,
          issuers: trustDomains.map((t, i) => ({ ski: `AB:CD:EF:0${i}`, trustDomains: t })),
        };
        return reach(doc);
      };
      const changes = (before: Awaited<ReturnType<typeof withMtls>>, after: typeof before) =>
        diffReach(before, after).settings.map((s) => `${s.widens ? "!" : "-"} ${s.kind}: ${s.change}`);
      const one = await withMtls([["prod.example.com"]]);
      expect(changes(one, await withMtls([["prod.example.com", "partner.example.com"]]))).toEqual([
        "! identity source: + mTLS issuer SKI abcdef00 for trust domain partner.example.com",
      ]);
      // Another CA's trust domain is no change for this one: each binding is its own line.
      expect(
        changes(
          await withMtls([["prod.example.com"], ["partner.example.com"]]),
          await withMtls([["prod.example.com", "partner.example.com"], ["partner.example.com"]]),
        ),
      ).toEqual(["! identity source: + mTLS issuer SKI abcdef00 for trust domain partner.example.com"]);
      // Removing one narrows; while SPIFFE IDs are not read, the bindings mint nothing.
      expect(changes(await withMtls([["prod.example.com", "partner.example.com"]]), one)).toEqual([
        "- identity source: - mTLS issuer SKI abcdef00 for trust domain partner.example.com",
      ]);
      expect(
        changes(
          await withMtls([["prod.example.com"]], false),
          await withMtls([["prod.example.com", "partner.example.com"]], false),
        ),
      ).toEqual([]);
    });

    it("hosts: added (exact or wildcard), moved, newly or no longer served", async () => {
      const grafana = (d: Doc) => d.services.grafana!;
      expect(await settings((d) => grafana(d).hosts.push("*.example.com"))).toEqual([
        "! host: *.example.com: now served by grafana (was served by no service)",
      ]);
      expect(await settings((d) => grafana(d).hosts.push("ops.example.com"))).toEqual([
        "! host: ops.example.com: now served by grafana (was served by no service)",
      ]);
      expect(
        await settings(
          (d) => (grafana(d).hosts = ["grafana.example.com"]),
          (d) => grafana(d).hosts.push("old.example.com"),
        ),
      ).toEqual(["- host: old.example.com: no longer served (was grafana)"]);
      // A host given to a new service: that service is listed, and the host with it.
      expect(
        await settings((d) => {
          grafana(d).hosts = ["grafana.example.com"];
          d.services.admin = { ...structuredClone(grafana(d)), hosts: ["*.example.com"] };
        }),
      ).toEqual([
        "! service: + admin (*.example.com)",
        "! host: *.example.com: now served by admin (was served by no service)",
        `! identity source: + Service admin takes Access tokens of audience ${"d".repeat(64)}`,
      ]);
    });

    it("a service removed narrows; its origin, hide, certificate and forwarded headers changed", async () => {
      const grafana = (d: Doc) => d.services.grafana!;
      expect(await settings((d) => delete d.services.grafana)).toEqual([
        "- service: - grafana (grafana.example.com)",
        "- host: grafana.example.com: no longer served (was grafana)",
        `- identity source: - Service grafana takes Access tokens of audience ${"d".repeat(64)}`,
      ]);
      expect(await settings((d) => (grafana(d).origin = { tunnel: "ELSEWHERE" }))).toEqual([
        "! origin: grafana: tunnel GRAFANA -> tunnel ELSEWHERE (allowed requests now reach another backend)",
      ]);
      // Refusals answered 403 rather than 404 tell a caller which routes exist.
      expect(
        await settings(
          (d) => (grafana(d).hide = false),
          (d) => (grafana(d).hide = true),
        ),
      ).toEqual(["! hide: grafana: refusals now answered 403 (was 404): callers learn which routes exist"]);
      expect(await settings((d) => (grafana(d).hide = true))).toEqual([
        "- hide: grafana: refusals now answered 404, as if nothing were there",
      ]);
      const mtls = (required: boolean) => (d: Doc) => {
        d.identity.mtls = { required, spiffe: true, issuers: [{ dn: "CN=CA", trustDomains: ["td"] }] };
      };
      // identity.mtls.required is every service's default: turning it off is a change of each service.
      expect(await settings(mtls(false), mtls(true))).toEqual([
        "! certificate: grafana: a client certificate is no longer required",
      ]);
      expect(
        await settings(
          (d) => (grafana(d).requireCertificate = true),
          (d) => {
            mtls(false)(d);
            grafana(d).requireCertificate = false;
          },
        ),
      ).toEqual(["- certificate: grafana: a client certificate is now required"]);
      expect(await settings((d) => (grafana(d).forwardHeaders = ["Authorization"]))).toEqual([
        "! forwarded headers: grafana/ui: + authorization",
        "! forwarded headers: grafana/api: + authorization",
      ]);
      // A route whose allowed GETs may now hold a connection open widens; the opposite narrows.
      expect(
        await settings((d) => {
          grafana(d).routes[0]!.websocket = { idleTimeout: "5m" };
        }),
      ).toEqual(["! websocket: grafana/ui: WebSocket upgrades now allowed"]);
      expect(
        await settings(
          (d) => (grafana(d).routes[0]!.websocket = false),
          (d) => (grafana(d).routes[0]!.websocket = true),
        ),
      ).toEqual(["- websocket: grafana/ui: WebSocket upgrades no longer allowed"]);
      // A connection's limits changed are listed for the reviewer; they bound resources, not who gets in.
      expect(
        await settings(
          (d) => (grafana(d).routes[0]!.websocket = { maxBytesPerSecond: 1_048_576, idleTimeout: "1h" }),
          (d) => (grafana(d).routes[0]!.websocket = true),
        ),
      ).toEqual([
        "- websocket: grafana/ui: WebSocket limits the gateway's defaults -> maxBytesPerSecond 1048576, idleTimeout 1h",
      ]);
      // What a rule sets on what it forwards tells the origin more about every caller it admits (from a review:
      // a rule adding remote-user: admin printed nothing and exited 0).
      const sre = (d: Doc) => grafana(d).routes[0]!.rules[0]!;
      expect(await settings((d) => (sre(d).headers = { "Remote-User": "admin" }))).toEqual([
        "! rule headers: grafana/ui for group:sre: + remote-user: admin",
      ]);
      expect(
        await settings(
          (d) => (sre(d).headers = { "remote-user": "root" }),
          (d) => (sre(d).headers = { "remote-user": "viewer" }),
        ),
      ).toEqual([
        "! rule headers: grafana/ui for group:sre: + remote-user: root",
        "- rule headers: grafana/ui for group:sre: - remote-user: viewer",
      ]);
      expect(
        await settings(
          (d) => delete sre(d).headers,
          (d) => (sre(d).headers = { "x-team": "sre" }),
        ),
      ).toEqual(["- rule headers: grafana/ui for group:sre: - x-team: sre"]);
      // A rate limit made failOpen admits requests uncounted while its store cannot answer.
      const limited = (failOpen: boolean) => (d: Doc) => {
        sre(d).rateLimit = { limit: 10, period: "60s", key: "principal+route", failOpen };
      };
      expect(await settings(limited(true), limited(false))).toEqual([
        "! rate limit: grafana/ui for group:sre: its rate limit may now fail open (admit uncounted when it cannot be checked)",
      ]);
      // Counted always again: narrower, and not listed (a limit's terms are otherwise not compared).
      expect(await settings(limited(false), limited(true))).toEqual([]);
    });

    it("a service switched to audit mode, even one that grants nothing", async () => {
      const denyAll = (d: Doc) => {
        d.services.grafana!.routes = [
          {
            id: "all",
            methods: ["*"],
            pathPrefix: "/",
            rules: [{ id: "nobody", effect: "deny", principals: [{ public: true }] }],
          },
        ] as never;
      };
      // Denying everything is no widening, though every request reaches another route ...
      expect(diffWidens(await diffOf(denyAll))).toBe(false);
      // ... and forwarding everything it denies is one.
      expect(await settings((d) => (d.services.grafana!.mode = "audit"), denyAll)).toEqual([
        "! mode: grafana: enforce -> audit (every request it serves is forwarded)",
      ]);
      expect(
        await settings(
          (d) => (d.services.grafana!.mode = "enforce"),
          (d) => (d.services.grafana!.mode = "audit"),
        ),
      ).toEqual(["- mode: grafana: audit -> enforce"]);
    });
  });

  it("a switch to audit mode is a change", async () => {
    const old = await fixture("diff-old.yaml");
    const doc = structuredClone(old.document);
    doc.services.grafana!.mode = "audit";
    const diff = diffReach(reach(old), reach(doc));
    expect(diff.changed.map((c) => `${c.principal} ${c.after.terms.join("")}`)).toEqual([
      "token:88aff8945a9bce23551a7d7b05773f7f.access grafana/api/bot always [audit]",
      "group:sre grafana/ui/sre when device posture managed [audit]",
    ]);
  });
});

describe("diffReach: requests moved to a route that forwards more", () => {
  // From a review: OLD has /a and /{*} (which forwards Authorization and allows upgrades), both public; NEW drops
  // /a. GET /a now reaches the origin with the client's Authorization and may upgrade, and no grant changed.
  const doc = (withA: boolean) =>
    oneServicePolicy([
      ...(withA
        ? [
            {
              id: "a",
              methods: ["GET"],
              path: "/a",
              rules: [{ id: "all", effect: "allow", principals: [{ public: true }] }],
            },
          ]
        : []),
      {
        id: "b",
        methods: ["GET"],
        path: "/{*}",
        forwardHeaders: ["authorization"],
        websocket: true,
        rules: [{ id: "all", effect: "allow", principals: [{ public: true }] }],
      },
    ]);

  it("lists what the new route forwards and allows beyond the old one's, as widenings", async () => {
    const [before, after] = [await loadPolicy(JSON.stringify(doc(true))), await loadPolicy(JSON.stringify(doc(false)))];
    if (!before.ok || !after.ok) throw new Error("invalid");
    const diff = diffReach(reach(before.policy), reach(after.policy));
    expect(diff.settings.filter((s) => s.kind === "forwarded headers" || s.kind === "websocket")).toEqual([
      {
        kind: "forwarded headers",
        change: "GET /a (and the like) now reaches app/b (was app/a), which forwards + authorization",
        widens: true,
      },
      {
        kind: "websocket",
        change: "GET /a (and the like) now reaches app/b (was app/a), which allows WebSocket upgrades",
        widens: true,
      },
    ]);
    expect(diffWidens(diff)).toBe(true);
    // The other way, nothing more is forwarded: no such line.
    const back = diffReach(reach(after.policy), reach(before.policy));
    expect(back.settings.filter((s) => s.kind === "forwarded headers" || s.kind === "websocket")).toEqual([]);
  });
});
