// Generated SET pushes for the SSF receiver's differential test (ssf-differential.test.ts): signed by the trusted transmitter's key (mostly) and
// hostile in every other way. A case is a prelude (valid SETs about the same people, to set up lifts and clears),
// then one push, sometimes pushed again (the same token, signed again, another SET under its jti). People are
// named with a tag unique to the run and case, so what the denylist holds afterwards is read per case.
import { type JObj, type JV, raw, setMember, tree } from "./ssf-json.ts";

export const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";
export const RISC = "https://schemas.openid.net/secevent/risc/event-type/";
export const SSFE = "https://schemas.openid.net/secevent/ssf/event-type/";
export const URIS: Record<string, string> = {
  "session-revoked": `${CAEP}session-revoked`,
  "credential-change": `${CAEP}credential-change`,
  "token-claims-change": `${CAEP}token-claims-change`,
  "device-compliance-change": `${CAEP}device-compliance-change`,
  "account-disabled": `${RISC}account-disabled`,
  "account-enabled": `${RISC}account-enabled`,
  "account-purged": `${RISC}account-purged`,
  "credential-compromise": `${RISC}credential-compromise`,
  verification: `${SSFE}verification`,
  "stream-updated": `${SSFE}stream-updated`,
};
const UNKNOWN_URIS = [
  `${RISC}account-credential-change-required`,
  `${CAEP}assurance-level-change`,
  `${CAEP}session-revoked/`,
  `${CAEP}Session-Revoked`,
  "http://schemas.openid.net/secevent/caep/event-type/session-revoked",
  `${CAEP}session-revoked?1`,
  "urn:example:secevent:events:type_1",
  "__proto__",
  "constructor",
];

export const AUDIENCE = "https://ward.example.com/dev";
export const TEAM = "https://ward-demo.cloudflareaccess.com";
export const TRANSMITTERS: Record<
  string,
  { issuer: string; events: string[]; subIssuers: string[]; critical: string[]; remote: boolean }
> = {
  idp: {
    issuer: "https://idp.example.com/",
    events: [
      "session-revoked",
      "credential-change",
      "token-claims-change",
      "device-compliance-change",
      "account-disabled",
      "account-enabled",
      "account-purged",
      "credential-compromise",
    ],
    subIssuers: [
      TEAM,
      "https://idp.example.com/",
      "https://idp.example.com/123456789/",
      "https://idp.example.com/3456789/",
      "https://idp.example.com/3456790/",
      "https://idp.example.com/3957ea72-1b66-44d6-a044-d805712b9288/",
    ],
    critical: [],
    remote: true,
  },
  narrow: {
    issuer: "https://narrow.example.com/",
    events: ["session-revoked"],
    subIssuers: [TEAM],
    critical: [],
    remote: false,
  },
  poller: {
    issuer: "https://poll.example.com/",
    events: ["session-revoked", "account-disabled"],
    subIssuers: [TEAM],
    critical: ["user", "tenant"],
    remote: false,
  },
};

export type Signer = "good" | "stranger" | "tamper" | "hs256" | "none" | "embedded-jwk";

export interface Push {
  transmitter: string;
  method: string;
  contentType: string | null;
  around: [string, string];
  /** "jws": header and payload built, signed by `signer`; "text": the body as given. */
  body:
    | {
        kind: "jws";
        header: JV;
        payload: JV | { bytes: number[] };
        signer: Signer;
        dupHeader: boolean;
        dupPayload: boolean;
        pad?: number;
      }
    | { kind: "text"; text: string };
}

export interface Case {
  index: number;
  tag: string;
  prelude: Push[];
  pushes: Push[];
  /** A short description of what was made hostile (for the failure report). */
  notes: string[];
}

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
/** Half the cases are calm: each hostile choice (p <= 0.15) a fifth as likely, so more SETs are taken and act. */
let calm = 1;
const chance = (r: R, p: number) => r() < (p <= 0.15 ? p * calm : p);
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** The placeholder for "now + offset" seconds, filled in when the push is built (just before it is sent). */
export const iatAt = (offset: number): JV => raw(`"__IAT__${offset}"`);

export function generateCase(r: R, index: number, runTag: string, kid: string): Case {
  const tag = `${runTag}c${index}`;
  calm = r() < 0.5 ? 0.2 : 1;
  const notes: string[] = [];
  let people = 0;
  const person = () => `p${tag}n${people++}`;
  const roll = r();
  const transmitter =
    roll < 0.62
      ? "idp"
      : roll < 0.76
        ? "narrow"
        : roll < 0.92
          ? "poller"
          : pick(r, ["evil", "IDP", "__proto__", "constructor", "idp ", "hasOwnProperty"]);
  const t = Object.hasOwn(TRANSMITTERS, transmitter) ? TRANSMITTERS[transmitter]! : TRANSMITTERS.idp!;
  const note = (n: string) => notes.push(n);

  // ---- subjects ---------------------------------------------------------------------------------------------
  const goodEmail = () => {
    const p = person();
    return chance(r, 0.2) ? `${p.toUpperCase()}@Example.COM` : `${p}@example.com`;
  };
  const badEmail = () => {
    const p = person();
    note("bad-email");
    return pick(r, [
      `${p}@@example.com`,
      `${p}`,
      `${p}@`,
      `${p}@example.com.`,
      `${p}@ex\u00e4mple.com`,
      `${p} @example.com`,
      `"${p}"@example.com`,
      `${p}@example.com\n`,
      `${p}@evil.example@example.com`,
      `${p}@example.com\u202e`,
      `${p}@[192.0.2.1]`,
      `${p}..x@example.com`,
      `${p}@-example.com`,
    ]);
  };
  const badText = (): JV => {
    note("bad-text");
    return pick<JV>(r, [
      "",
      5,
      null,
      true,
      ["x"],
      { obj: [] },
      "a\u0000b",
      "x\u2028y",
      "\u202eevil",
      raw('"\\ud800x"'),
      "y".repeat(600),
    ]);
  };
  const text = (base: string): JV =>
    chance(r, 0.06) ? badText() : chance(r, 0.1) ? `${base}-\u00fc\u6f22\ud83d\ude00` : base;

  const simple = (allowNested = false): JV => {
    const k = r();
    const fmt = (f: string) => (chance(r, 0.05) ? { subject_type: f.replace("_", "-") } : { format: f });
    if (k < 0.32) return tree({ ...fmt("email"), email: chance(r, 0.1) ? badEmail() : goodEmail() });
    if (k < 0.5) {
      const iss = chance(r, 0.75)
        ? pick(r, t.subIssuers)
        : pick(r, ["https://other.example/", `${TEAM}/`, "https://idp.example.com"]);
      const sub = chance(r, 0.08) ? badText() : `sub-${person()}`;
      return tree({ ...fmt("iss_sub"), iss, ...(chance(r, 0.04) ? {} : { sub }) });
    }
    if (k < 0.58) return tree({ format: "opaque", id: text(`opaque-${person()}`) });
    if (k < 0.62) return tree({ format: "phone_number", phone_number: text("+12065550100") });
    if (k < 0.66) return tree({ format: "account", uri: text(`acct:${person()}@example.com`) });
    if (k < 0.69) return tree({ format: "did", url: text("did:example:123456") });
    if (k < 0.72) return tree({ format: "uri", uri: text("https://example.com/users/1") });
    if (k < 0.75) return tree({ format: "jwt_id", iss: "https://idp.example.com/", jti: text("j1") });
    if (k < 0.77)
      return tree({ format: "saml_assertion_id", issuer: "https://idp.example.com/", assertion_id: text("_a75") });
    if (k < 0.79)
      return tree({ format: "ip-addresses", "ip-addresses": chance(r, 0.2) ? [] : ["192.0.2.1", "2001:db8::1"] });
    if (k < 0.82)
      return tree({
        format: pick(r, ["x-custom", "Email", "iss-sub", "EMAIL", "constructor", "__proto__", "toString"]),
        id: "1",
      });
    if (k < 0.85) {
      note("subject-shape");
      return pick<JV>(r, [
        tree({ email: goodEmail() }),
        tree({ format: 5, email: goodEmail() }),
        tree({ format: "email", subject_type: "iss-sub", email: goodEmail() }),
        tree({ format: "email" }),
        "ann@example.com",
        null,
        [],
        tree({ format: "" }),
      ]);
    }
    if (k < 0.87 && !allowNested) {
      note("nested-complex");
      return tree({ format: pick(r, ["complex", "aliases"]), user: tree({ format: "email", email: goodEmail() }) });
    }
    return tree({ format: "email", email: goodEmail() });
  };

  const subject = (): JV => {
    const k = r();
    if (k < 0.55) return simple();
    if (k < 0.8) {
      // complex: the user and other members; sometimes without `format` (older drafts)
      const names = ["user", "device", "session", "tenant", "application", "org_unit", "group"];
      const count = chance(r, 0.04) ? pick(r, [0, 17]) : int(r, 1, 4);
      const members: [string, JV][] = [];
      const pool = [...names];
      for (let i = 0; i < count; i++) {
        let name = pool.length && chance(r, 0.85) ? pool.splice(Math.floor(r() * pool.length), 1)[0]! : `m${i}`;
        if (chance(r, 0.03)) {
          note("member-name");
          name = pick(r, ["x".repeat(65), "bad\nname", "", "\u202euser", "__proto__"]);
        }
        members.push([name, simple()]);
      }
      if (count > 0 && !members.some(([n]) => n === "user") && chance(r, 0.6)) members[0]![0] = "user";
      const o: JObj = { obj: [] };
      if (chance(r, 0.8)) o.obj.push(["format", "complex"]);
      for (const m of members) o.obj.push(m);
      note(`complex(${members.map(([n]) => n).join(",")})`);
      return o;
    }
    if (k < 0.97) {
      const n = chance(r, 0.05) ? pick(r, [0, 17]) : int(r, 1, 4);
      note(`aliases(${n})`);
      return tree({
        format: "aliases",
        identifiers: chance(r, 0.02) ? "x" : Array.from({ length: n }, () => simple()),
      });
    }
    // deep: a subject nested beyond any format
    note("deep-subject");
    let v: JV = tree({ format: "email", email: goodEmail() });
    const depth = pick(r, [6, 9, 40]);
    for (let i = 0; i < depth; i++)
      v = {
        obj: [
          ["format", "complex"],
          ["user", v],
        ],
      };
    return v;
  };

  // ---- events ---------------------------------------------------------------------------------------------------
  const reason = (): Record<string, unknown> => {
    const k = r();
    if (k < 0.6) return {};
    if (k < 0.75) return { reason_admin: { en: "Landspeed Policy Violation: C076E82F" } };
    if (k < 0.85) {
      // a reason that ends where it is cut: a surrogate pair split at 200
      note("long-reason");
      return { reason_admin: { en: `${"r".repeat(199)}\ud83d\ude00${"s".repeat(50)}` } };
    }
    if (k < 0.92) return { reason_admin: "plain string reason", reason: "hijacking" };
    return { reason_admin: { de: "x\u0000y", en: 5 }, reason: "\u202eok" };
  };
  const stamp = (): Record<string, unknown> => {
    const k = r();
    if (k < 0.7) return {};
    if (k < 0.9) return { event_timestamp: Math.floor(Date.now() / 1000) - 5 };
    note("event_timestamp");
    return { event_timestamp: pick<unknown>(r, [1615304991.5, 1615304991, 1615304991643, -1, "1615304991", null]) };
  };
  const eventPayload = (name: string): JV => {
    const bad = chance(r, 0.12);
    const common = { ...stamp(), ...reason() };
    if (bad) note(`bad-payload:${name}`);
    switch (name) {
      case "credential-change":
        return tree({
          ...common,
          credential_type: bad && chance(r, 0.5) ? badText() : pick(r, ["password", "fido2-roaming", "x509", "app"]),
          change_type: bad
            ? pick<unknown>(r, ["REVOKE", "", undefined, 1, "rotate", "create"])
            : pick(r, ["create", "revoke", "update", "delete"]),
        });
      case "credential-compromise":
        return tree({
          ...common,
          ...(bad ? pick(r, [{}, { credential_type: badText() }]) : { credential_type: "password" }),
        });
      case "device-compliance-change": {
        const s = () => pick(r, ["compliant", "not-compliant"]);
        return tree({
          ...common,
          current_status: bad ? pick<unknown>(r, ["noncompliant", undefined, true, "Compliant"]) : s(),
          previous_status: bad && chance(r, 0.5) ? undefined : s(),
        });
      }
      case "token-claims-change":
        return tree({
          ...common,
          ...(bad
            ? pick(r, [{}, { claims: {} }, { claims: [] }, { claims: "role" }])
            : { claims: { role: "ro-admin" } }),
        });
      case "verification":
        return tree({
          ...(bad
            ? { state: pick<unknown>(r, [5, "", "x\ny"]) }
            : chance(r, 0.3)
              ? {}
              : { state: pick(r, ["STATE", "STATE", "other-state"]) }),
        });
      case "stream-updated":
        return tree({
          status: bad ? pick<unknown>(r, ["on", undefined, "Paused"]) : pick(r, ["enabled", "paused", "disabled"]),
          ...(chance(r, 0.4) ? { reason: "Internal error" } : {}),
        });
      default:
        if (bad && chance(r, 0.5)) return pick<JV>(r, [null, [], "x", 5]);
        return tree(common);
    }
  };
  const personEvents = Object.keys(URIS).filter((n) => n !== "verification" && n !== "stream-updated");
  const eventName = (): string => {
    if (chance(r, 0.85) && transmitter !== "idp" && t.events.length < 8)
      return r() < 0.1 ? pick(r, ["verification", "stream-updated"]) : pick(r, t.events);
    const k = r();
    if (chance(r, 0.05)) return "unknown";
    if (k < 0.12) return pick(r, ["verification", "stream-updated"]);
    return pick(r, personEvents);
  };

  // ---- the SET ------------------------------------------------------------------------------------------------
  const buildSet = (opts: { names?: string[]; subj?: JV; iat?: JV } = {}): { payload: JObj; dup: boolean } => {
    const count = opts.names ? opts.names.length : pick(r, [1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5]);
    const names = opts.names ?? Array.from({ length: count }, eventName);
    const events: JObj = { obj: [] };
    for (const n of names) {
      const uri = n === "unknown" ? pick(r, UNKNOWN_URIS) : URIS[n]!;
      if (events.obj.some(([u]) => u === uri)) continue;
      events.obj.push([uri, eventPayload(n)]);
    }
    const subj = opts.subj ? structuredClone(opts.subj) : subject();
    const p: JObj = { obj: [] };
    const add = (k: string, v: JV) => p.obj.push([k, v]);
    // iss
    if (chance(r, 0.05)) {
      note("iss");
      const v = pick<JV>(r, [
        undefined as unknown as JV,
        "https://evil.example.com/",
        t.issuer.replace(/\/$/, ""),
        t.issuer.toUpperCase(),
        5,
        [t.issuer],
      ]);
      if (v !== undefined) add("iss", v);
    } else add("iss", t.issuer);
    // aud
    if (chance(r, 0.06)) {
      note("aud");
      const v = pick<JV>(r, [
        undefined as unknown as JV,
        "https://ward.example.com/staging",
        [],
        [AUDIENCE, 5],
        ["x", AUDIENCE],
        `${AUDIENCE}/`,
        [[AUDIENCE]],
        { obj: [["aud", AUDIENCE]] },
      ]);
      if (v !== undefined) add("aud", v);
    } else add("aud", chance(r, 0.2) ? [AUDIENCE] : AUDIENCE);
    // iat
    if (opts.iat !== undefined) add("iat", opts.iat);
    else if (chance(r, 0.1)) {
      note("iat");
      const v = pick<JV>(r, [
        iatAt(50),
        iatAt(-3600),
        iatAt(90),
        iatAt(3600),
        iatAt(-7 * 86400 + 600),
        iatAt(-7 * 86400 - 600),
        raw("1.5"),
        "1700000000",
        -1,
        raw("4294967296"),
        raw("1e400"),
        null,
        undefined as unknown as JV,
      ]);
      if (v !== undefined) add("iat", v);
    } else add("iat", iatAt(0));
    // jti
    if (chance(r, 0.09)) {
      note("jti");
      const v = pick<JV>(r, [
        undefined as unknown as JV,
        "",
        `${tag}-${"j".repeat(256 - tag.length - 1)}`,
        "j".repeat(1000),
        `${tag}\u0000`,
        `${tag}\u202e`,
        raw(`"${tag}\\udc00"`),
        `${tag}-\u00fc-\ud83d\ude00`,
        5,
        null,
        [tag],
      ]);
      if (v !== undefined) add("jti", v);
    } else add("jti", `${tag}-${crypto.randomUUID()}`);
    if (chance(r, 0.15)) add("txn", chance(r, 0.2) ? (note("txn"), badText()) : "8675309");
    if (chance(r, 0.02)) note("sub"), add("sub", "someone");
    if (chance(r, 0.02)) note("exp"), add("exp", pick<JV>(r, [iatAt(3600), null]));
    // the subject: sub_id, the events' own, both
    const place = r();
    if (place < 0.78) add("sub_id", subj);
    else if (place < 0.88) {
      note("event-subject");
      for (const e of events.obj)
        if (e[1] !== null && typeof e[1] === "object" && "obj" in e[1]) e[1].obj.push(["subject", subj]);
    } else if (place < 0.94) {
      note("both-subjects");
      add("sub_id", subj);
      const first = events.obj[0];
      if (first && first[1] !== null && typeof first[1] === "object" && "obj" in first[1])
        first[1].obj.push(["subject", chance(r, 0.5) ? subj : subject()]);
    } else note("no-subject");
    if (events.obj.length > 0 || chance(r, 0.5)) add("events", chance(r, 0.01) ? (note("events-type"), []) : events);
    if (chance(r, 0.1)) add("extra_claim", { obj: [["x", 1]] });
    if (chance(r, 0.03)) {
      note("__proto__");
      add("__proto__", tree({ iss: "https://evil.example.com/", admin: true }));
    }
    if (chance(r, 0.03)) {
      const depth = pick(r, [20, 31, 33, 200]);
      note(`deep-${depth}`);
      add("deep", raw(`${"[".repeat(depth)}1${"]".repeat(depth)}`));
    }
    // a member twice: top level, in events, in the subject, in an event; with an escaped name sometimes
    let dup = false;
    if (chance(r, 0.05)) {
      dup = true;
      const where = r();
      const target: JObj | undefined =
        where < 0.4
          ? p
          : where < 0.6
            ? events
            : where < 0.8 && subj && typeof subj === "object" && "obj" in subj
              ? subj
              : (events.obj[0]?.[1] as JObj | undefined);
      if (target && typeof target === "object" && "obj" in target && target.obj.length > 0) {
        const [name, value] = target.obj[int(r, 0, target.obj.length - 1)]!;
        const escaped =
          name.length > 0 && chance(r, 0.5)
            ? `"\\u${name.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(name).slice(2)}`
            : undefined;
        target.obj.push([name, chance(r, 0.5) ? value : "other", escaped]);
        note(`dup:${name.slice(0, 30)}`);
      } else dup = false;
    }
    return { payload: p, dup };
  };

  const header = (): { header: JV; signer: Signer; dup: boolean } => {
    const h: JObj = {
      obj: [
        ["alg", "ES256"],
        ["kid", kid],
        ["typ", "secevent+jwt"],
      ],
    };
    let signer: Signer = "good";
    let dup = false;
    if (chance(r, 0.1)) {
      note("typ");
      setMember(
        h,
        "typ",
        pick<JV>(r, [
          undefined as unknown as JV,
          "JWT",
          "application/secevent+jwt",
          "SECEVENT+JWT",
          "secevent+jwt ",
          "at+jwt",
          5,
          "application/jwt",
        ]) ?? undefined,
      );
    }
    if (chance(r, 0.03))
      note("crit"),
        h.obj.push(["crit", pick<JV>(r, [["exp"], [], ["b64"]])]),
        chance(r, 0.5) && h.obj.push(["b64", false]);
    if (chance(r, 0.07)) {
      note("kid");
      setMember(h, "kid", pick<JV>(r, [undefined as unknown as JV, "made-up", "", 5, null, `${kid} `]) ?? undefined);
    }
    if (chance(r, 0.07)) {
      const k = r();
      if (k < 0.3) note("alg-none"), setMember(h, "alg", pick(r, ["none", "None"])), (signer = "none");
      else if (k < 0.6) note("hs256"), setMember(h, "alg", "HS256"), (signer = "hs256");
      else if (k < 0.8) note("alg"), setMember(h, "alg", pick<JV>(r, ["RS256", "ES384", "es256", "EdDSA", 5]));
      else note("embedded-jwk"), (signer = "embedded-jwk"), setMember(h, "kid", undefined);
    }
    if (chance(r, 0.05)) note("signer"), (signer = pick(r, ["stranger", "tamper"] as Signer[]));
    if (chance(r, 0.04)) note("jku"), h.obj.push(["jku", "https://evil.example/jwks.json"]);
    if (chance(r, 0.03)) {
      dup = true;
      const [name] = h.obj[int(r, 0, h.obj.length - 1)]!;
      h.obj.push([name, name === "typ" ? "secevent+jwt" : name === "alg" ? "ES256" : "x"]);
      note(`dup-header:${name}`);
    }
    return { header: h, signer, dup };
  };

  const wrap = (payload: JV | { bytes: number[] }, dupPayload: boolean, hostileTransport: boolean): Push => {
    const hd = hostileTransport
      ? header()
      : { header: tree({ alg: "ES256", kid, typ: "secevent+jwt" }), signer: "good" as Signer, dup: false };
    let contentType: string | null = "application/secevent+jwt";
    let method = "POST";
    let around: [string, string] = ["", ""];
    let pad: number | undefined;
    if (hostileTransport) {
      if (chance(r, 0.08)) {
        note("content-type");
        contentType = pick<string | null>(r, [
          null,
          "application/jwt",
          "application/secevent+jwt; charset=utf-8",
          "APPLICATION/SECEVENT+JWT",
          " application/secevent+jwt ",
          "application/secevent+jwt, text/plain",
          "text/plain",
          "application/json",
        ]);
      }
      if (chance(r, 0.02)) note("method"), (method = pick(r, ["GET", "PUT", "DELETE", "PATCH"]));
      if (chance(r, 0.05))
        note("around"),
          (around = pick<[string, string]>(r, [
            ["\n", "\r\n"],
            [" ", " "],
            ["\ufeff", ""],
            ["", "\u0000"],
          ]));
      if (chance(r, 0.03)) note("pad"), (pad = pick(r, [20_000, 70_000]));
    }
    return {
      transmitter,
      method,
      contentType,
      around,
      body: {
        kind: "jws",
        header: hd.header,
        payload,
        signer: hd.signer,
        dupHeader: hd.dup,
        dupPayload,
        ...(pad ? { pad } : {}),
      },
    };
  };

  const prelude: Push[] = [];
  const pushes: Push[] = [];

  // Now and then, a case about order: a clear or a refusal first, then its counterpart with another iat.
  if (transmitter === "idp" && chance(r, 0.14)) {
    const email = `${person()}@example.com`;
    const subj = tree({ format: "email", email });
    const [first, second] = pick(r, [
      ["account-disabled", "account-enabled"],
      ["account-enabled", "account-disabled"],
      ["device-compliance-change:not-compliant", "device-compliance-change:compliant"],
      ["device-compliance-change:compliant", "device-compliance-change:not-compliant"],
      ["session-revoked", "account-enabled"],
      ["account-purged", "account-enabled"],
    ]);
    const offsets = [pick(r, [-600, -120, -2, 0]), pick(r, [-900, -300, -2, 0, 40])];
    note(`order:${first}@${offsets[0]}->${second}@${offsets[1]}`);
    const make = (spec: string, off: number) => {
      const [name, status] = spec.split(":");
      const set = buildSet({ names: [name!], subj, iat: iatAt(off) });
      const ev = set.payload.obj.find(([k]) => k === "events")?.[1] as JObj | undefined;
      if (ev && status)
        ev.obj = [
          [
            URIS[name!]!,
            tree({ current_status: status, previous_status: status === "compliant" ? "not-compliant" : "compliant" }),
          ],
        ];
      return set;
    };
    const a = make(first!, offsets[0]!);
    prelude.push(wrap(a.payload, a.dup, false));
    const b = make(second!, offsets[1]!);
    pushes.push(wrap(b.payload, b.dup, true));
    return { index, tag, prelude, pushes, notes };
  }

  // The payload itself not a SET at all, now and then.
  const k = r();
  if (k < 0.015) {
    note("payload-not-object");
    pushes.push(wrap(pick<JV>(r, [[], "x", 5, null, raw("[{}]")]), false, true));
  } else if (k < 0.03) {
    note("payload-not-json");
    pushes.push(
      wrap(
        { bytes: pick(r, [[0x7b], [0xff, 0xfe, 0x7b, 0x7d], [...new TextEncoder().encode('{"a":1}x')]]) },
        false,
        true,
      ),
    );
  } else if (k < 0.04) {
    note("body-not-jws");
    pushes.push({
      transmitter,
      method: "POST",
      contentType: "application/secevent+jwt",
      around: ["", ""],
      body: {
        kind: "text",
        text: pick(r, [
          "",
          "a.b",
          "a.b.c.d.e",
          "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
          "a..c",
          "a.b.c\n.d",
          "a.b+.c",
          "a.b=.c",
          "{}",
        ]),
      },
    });
  } else {
    const set = buildSet();
    pushes.push(wrap(set.payload, set.dup, true));
    // pushed again: the same token, signed again, or another SET under the same jti
    if (chance(r, 0.14)) {
      const how = pick(r, ["same", "resigned", "reordered", "other", "proto"]);
      note(`again:${how}`);
      pushes.push({ ...pushes[0]!, body: { ...(pushes[0]!.body as any), again: how } });
    }
  }
  return { index, tag, prelude, pushes, notes };
}
