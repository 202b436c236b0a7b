// Security Event Tokens in the pure core: the specifications' example SETs read as their own issuer and
// audience would (test/fixtures/ssf/), every way a SET is refused with the RFC 8935 code the transmitter gets,
// subject identifiers (RFC 9493, SSF complex subjects) and what each event does (planSignals).
import { describe, expect, it } from "vitest";
import examples from "../fixtures/ssf/spec-examples.json";
import {
  checkSetClaims,
  checkSetHeader,
  EVENT_URIS,
  parseSubject,
  planSignals,
  SSF_EVENT_NAMES,
  subjectFacts,
  subjectShape,
  type SetExpectations,
  type SsfEventName,
} from "../../policy/ssf/index.ts";

type Example = { source: string; payload: Record<string, any> };
const EXAMPLES = examples as Record<string, Example>;
const ALL: ReadonlySet<SsfEventName> = new Set(SSF_EVENT_NAMES);

/** As the example's own issuer and audience would check it, at the instant it was issued. */
function asIssued(payload: Record<string, any>, subscribed = ALL) {
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  return checkSetClaims(payload, { issuer: payload.iss, audience: aud, subscribed }, payload.iat * 1000);
}

const SPEC_ISSUERS = new Set([
  "https://idp.example.com/123456789/",
  "https://idp.example.com/3456789/",
  "https://idp.example.com/3456790/",
  "https://idp.example.com/",
  "https://idp.example.com/3957ea72-1b66-44d6-a044-d805712b9288/",
  "https://accounts.google.com/",
]);

function plan(name: string, subIssuers: ReadonlySet<string> = SPEC_ISSUERS) {
  const payload = EXAMPLES[name]!.payload;
  const checked = asIssued(payload);
  if (!checked.ok) throw new Error(`${name}: ${checked.problem}`);
  return planSignals(checked.set, { transmitter: "idp", holdForSeconds: 3600, subIssuers, nowMs: payload.iat * 1000 });
}

describe("the specifications' example SETs", () => {
  it.each([
    // name, outcome, what it does (op event fact)
    ["caep-session-revoked-opaque", "unmapped", []],
    [
      "caep-session-revoked-complex-user",
      "applied",
      ["refuse session-revoked sub:99beb27c-c1c2-4955-882a-e0dc4996fcbc"],
    ],
    ["caep-session-revoked-user-device", "applied", ["refuse session-revoked sub:jane.smith@example.com"]],
    ["caep-token-claims-change-jwt-id", "unmapped", []],
    ["caep-token-claims-change-saml", "unmapped", []],
    ["caep-credential-change-fido2", "no-effect", []],
    ["caep-device-compliance-change", "unmapped", []],
    ["risc-account-disabled", "applied", ["refuse account-disabled sub:7375626A656374"]],
    ["risc-credential-compromise", "applied", ["refuse credential-compromise sub:joe.smith@example.com"]],
    ["ssf-account-enabled-email", "applied", ["lift account-disabled email:foo@example.com"]],
    ["ssf-account-disabled-phone", "unmapped", []],
    ["ssf-token-claims-change-email", "applied", ["refresh - email:foo@example2.com"]],
    ["ssf-session-revoked-complex", "applied", ["refuse session-revoked sub:jane.smith@example.com"]],
    ["ssf-verification", "stream", []],
    ["ssf-stream-updated", "stream", []],
    ["ssf-draft-account-enabled-event-subject", "applied", ["lift account-disabled email:foo@example.com"]],
    ["google-risc-account-disabled", "applied", ["refuse account-disabled sub:7375626A656374"]],
  ])("%s: %s", (name, outcome, ops) => {
    const p = plan(name);
    expect(p.outcome).toBe(outcome);
    expect(p.ops.map((o) => `${o.op} ${"event" in o ? o.event : "-"} ${o.fact.match}:${o.fact.value}`)).toEqual(ops);
  });

  it("an iss_sub names nobody unless its issuer's sub is the Access token's", () => {
    expect(plan("risc-account-disabled", new Set()).outcome).toBe("unmapped");
    expect(plan("ssf-session-revoked-complex", new Set(["https://idp.example.com/"])).outcome).toBe("unmapped");
  });

  it("refuses the example whose iat lies past the year 2106, and the one with an event Ward does not know", () => {
    expect(asIssued(EXAMPLES["ssf-proprietary-subject"]!.payload)).toMatchObject({
      ok: false,
      err: "invalid_request",
      problem: "iat-malformed",
    });
    expect(asIssued(EXAMPLES["risc-account-credential-change-required"]!.payload)).toMatchObject({
      ok: false,
      err: "invalid_request",
      problem: "event-type-unknown",
    });
  });

  it("reads what each event carries", () => {
    const set = (name: string) => {
      const r = asIssued(EXAMPLES[name]!.payload);
      if (!r.ok) throw new Error(r.problem);
      return r.set;
    };
    expect(set("caep-session-revoked-complex-user").events).toEqual([
      { name: "session-revoked", reason: "Landspeed Policy Violation: C076E82F" },
    ]);
    expect(set("caep-credential-change-fido2").events).toEqual([
      {
        name: "credential-change",
        credentialType: "fido2-roaming",
        changeType: "create",
        reason: "User self-enrollment",
      },
    ]);
    expect(set("caep-device-compliance-change").events).toEqual([
      {
        name: "device-compliance-change",
        current: "not-compliant",
        previous: "compliant",
        reason: "Location Policy Violation: C076E8A3",
      },
    ]);
    expect(set("risc-account-disabled").events).toEqual([{ name: "account-disabled", reason: "hijacking" }]);
    expect(set("ssf-verification").events).toEqual([
      { name: "verification", state: "VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo=" },
    ]);
    expect(set("ssf-stream-updated").events).toEqual([
      { name: "stream-updated", status: "paused", reason: "Internal error" },
    ]);
    expect(set("caep-session-revoked-opaque")).toMatchObject({
      jti: "24c63fb56e5a2d77a6b512616ca9fa24",
      txn: "8675309",
      issuedAt: 1615305159000,
    });
  });
});

const NOW = 1_800_000_000_000;
const EXPECTED: SetExpectations = {
  issuer: "https://idp.example.com/",
  audience: "https://ward.example.com/production",
  subscribed: new Set<SsfEventName>(["session-revoked", "credential-change", "account-disabled"]),
};
const REVOKED = EVENT_URIS["session-revoked"];

function good(): Record<string, any> {
  return {
    iss: EXPECTED.issuer,
    aud: EXPECTED.audience,
    iat: NOW / 1000,
    jti: "j-1",
    sub_id: { format: "email", email: "ann@example.com" },
    events: { [REVOKED]: {} },
  };
}

describe("checkSetClaims refuses", () => {
  it("accepts the base SET", () => {
    expect(checkSetClaims(good(), EXPECTED, NOW)).toMatchObject({ ok: true });
  });

  it.each<[string, (p: Record<string, any>) => void, string, string]>([
    ["another issuer", (p) => (p.iss = "https://idp.example.com"), "invalid_issuer", "iss"],
    ["no issuer", (p) => delete p.iss, "invalid_issuer", "iss"],
    ["another audience", (p) => (p.aud = "https://ward.example.com/staging"), "invalid_audience", "aud"],
    ["an audience list without Ward's", (p) => (p.aud = ["a", "b"]), "invalid_audience", "aud"],
    ["an audience list with a non-string", (p) => (p.aud = [EXPECTED.audience, 7]), "invalid_audience", "aud"],
    ["no audience", (p) => delete p.aud, "invalid_audience", "aud"],
    ["a sub claim (SSF 1.0 forbids it)", (p) => (p.sub = "ann"), "invalid_request", "sub-present"],
    ["an exp claim (SSF 1.0 forbids it)", (p) => (p.exp = NOW / 1000 + 60), "invalid_request", "exp-present"],
    ["no iat", (p) => delete p.iat, "invalid_request", "iat-malformed"],
    ["an iat in milliseconds", (p) => (p.iat = NOW), "invalid_request", "iat-malformed"],
    ["a fractional iat", (p) => (p.iat = NOW / 1000 + 0.5), "invalid_request", "iat-malformed"],
    ["an iat as text", (p) => (p.iat = String(NOW / 1000)), "invalid_request", "iat-malformed"],
    ["an iat two minutes ahead", (p) => (p.iat = NOW / 1000 + 120), "invalid_request", "iat-in-the-future"],
    ["an iat eight days old", (p) => (p.iat = NOW / 1000 - 8 * 86400), "invalid_request", "iat-too-old"],
    ["no jti", (p) => delete p.jti, "invalid_request", "jti"],
    ["an empty jti", (p) => (p.jti = ""), "invalid_request", "jti"],
    ["a jti with a line break", (p) => (p.jti = "a\nb"), "invalid_request", "jti"],
    ["a 300-character jti", (p) => (p.jti = "j".repeat(300)), "invalid_request", "jti"],
    ["a numeric txn", (p) => (p.txn = 8675309), "invalid_request", "txn"],
    ["no events", (p) => delete p.events, "invalid_request", "events-not-object"],
    ["events as a list", (p) => (p.events = [REVOKED]), "invalid_request", "events-not-object"],
    ["empty events", (p) => (p.events = {}), "invalid_request", "events-count"],
    [
      "five events",
      (p) => {
        for (let i = 0; i < 4; i++) p.events[`${REVOKED}-${i}`] = {};
      },
      "invalid_request",
      "events-count",
    ],
    [
      "an event type Ward does not know",
      (p) => (p.events = { "urn:example:event": {} }),
      "invalid_request",
      "event-type-unknown",
    ],
    [
      "a known event type beside an unknown one",
      (p) => (p.events["https://schemas.openid.net/secevent/caep/event-type/session-revoked/"] = {}),
      "invalid_request",
      "event-type-unknown",
    ],
    [
      "an event type this transmitter is not subscribed for",
      (p) => (p.events = { [EVENT_URIS["account-purged"]]: {} }),
      "access_denied",
      "event-type-not-subscribed: account-purged",
    ],
    [
      // The subscription is checked before any payload, as docs/ssf.md lists the checks (from a review).
      "a malformed subscribed event beside one this transmitter is not subscribed for",
      (p) => (p.events = { [REVOKED]: "revoked", [EVENT_URIS["account-purged"]]: {} }),
      "access_denied",
      "event-type-not-subscribed: account-purged",
    ],
    [
      "an event payload that is no object",
      (p) => (p.events[REVOKED] = "revoked"),
      "invalid_request",
      "session-revoked: payload-not-object",
    ],
    [
      "an event_timestamp as text",
      (p) => (p.events[REVOKED] = { event_timestamp: "1615304991" }),
      "invalid_request",
      "session-revoked: event_timestamp",
    ],
    [
      "a credential change without change_type",
      (p) => (p.events = { [EVENT_URIS["credential-change"]]: { credential_type: "password" } }),
      "invalid_request",
      "credential-change: credential_type or change_type",
    ],
    [
      "a credential change of an unknown kind",
      (p) => (p.events = { [EVENT_URIS["credential-change"]]: { credential_type: "password", change_type: "rotate" } }),
      "invalid_request",
      "credential-change: credential_type or change_type",
    ],
    ["no subject", (p) => delete p.sub_id, "invalid_request", "subject-missing"],
    [
      "a subject in sub_id and another in the event",
      (p) => (p.events[REVOKED] = { subject: { format: "email", email: "bob@example.com" } }),
      "invalid_request",
      "subject-ambiguous",
    ],
    ["a subject that is no object", (p) => (p.sub_id = "ann@example.com"), "invalid_request", "subject-not-object"],
    [
      "a subject without format",
      (p) => (p.sub_id = { email: "ann@example.com" }),
      "invalid_request",
      "subject-not-object",
    ],
    [
      "an email subject that is no address",
      (p) => (p.sub_id = { format: "email", email: "ann@evil@example.com" }),
      "invalid_request",
      "subject-email",
    ],
    [
      "an email subject without email",
      (p) => (p.sub_id = { format: "email", mail: "ann@example.com" }),
      "invalid_request",
      "subject-members",
    ],
    [
      "an iss_sub without sub",
      (p) => (p.sub_id = { format: "iss_sub", iss: "https://idp.example.com/" }),
      "invalid_request",
      "subject-members",
    ],
    [
      "an iss_sub with a numeric sub",
      (p) => (p.sub_id = { format: "iss_sub", iss: "x", sub: 7 }),
      "invalid_request",
      "subject-members",
    ],
    // From a review: member names reach the log line as they are.
    [
      "a complex subject with a member name holding a control character",
      (p) =>
        (p.sub_id = {
          format: "complex",
          user: { format: "email", email: "ann@example.com" },
          "x\u2028y": { format: "opaque", id: "s" },
        }),
      "invalid_request",
      "subject-members",
    ],
    [
      "a complex subject with a member name of 65 characters",
      (p) =>
        (p.sub_id = {
          format: "complex",
          user: { format: "email", email: "ann@example.com" },
          ["m".repeat(65)]: { format: "opaque", id: "s" },
        }),
      "invalid_request",
      "subject-members",
    ],
    [
      "a subject with a control character",
      (p) => (p.sub_id = { format: "opaque", id: "a\u202eb" }),
      "invalid_request",
      "subject-members",
    ],
    ["a format that is no string", (p) => (p.sub_id = { format: 1, id: "x" }), "invalid_request", "subject-format"],
    [
      "format and subject_type that disagree",
      (p) => (p.sub_id = { format: "email", subject_type: "iss-sub", email: "ann@example.com", iss: "x", sub: "y" }),
      "invalid_request",
      "subject-format",
    ],
    [
      "a complex subject inside a complex one",
      (p) => (p.sub_id = { format: "complex", user: { format: "complex", user: { format: "email", email: "a@b.c" } } }),
      "invalid_request",
      "subject-nested",
    ],
    [
      "a complex subject with no member",
      (p) => (p.sub_id = { format: "complex" }),
      "invalid_request",
      "subject-members",
    ],
    [
      "aliases without identifiers",
      (p) => (p.sub_id = { format: "aliases", identifiers: [] }),
      "invalid_request",
      "subject-members",
    ],
    [
      "aliases inside aliases",
      (p) => (p.sub_id = { format: "aliases", identifiers: [{ format: "aliases", identifiers: [] }] }),
      "invalid_request",
      "subject-nested",
    ],
    [
      // Compared as canonical JSON, which recurses: thousands of levels would run it out of stack.
      "a subject nested thousands deep",
      (p) => {
        let nested: unknown = 1;
        for (let i = 0; i < 20_000; i++) nested = [nested];
        p.sub_id = { format: "email", email: "ann@example.com", x: nested };
      },
      "invalid_request",
      // The whole payload's bound is met first (the subject's own, 8 levels, below).
      "payload-too-deep",
    ],
    [
      "a per-event subject nested past any format's depth",
      (p) => (p.events[REVOKED] = { subject: { format: "opaque", id: "x", a: [[[[[[[[{}]]]]]]]] } }),
      "invalid_request",
      "subject-too-deep",
    ],
  ])("%s", (_name, change, err, problem) => {
    const payload = good();
    change(payload);
    expect(checkSetClaims(payload, EXPECTED, NOW)).toEqual({ ok: false, err, problem });
  });

  it("takes an iat a minute ahead or seven days old (the clocks' and retries' margins)", () => {
    for (const iat of [NOW / 1000 + 60, NOW / 1000 - 7 * 86400]) {
      expect(checkSetClaims({ ...good(), iat }, EXPECTED, NOW)).toMatchObject({ ok: true });
    }
  });
});

describe("checkSetHeader", () => {
  it.each<[string, unknown, string | undefined]>([
    ["a SET header", { alg: "RS256", typ: "secevent+jwt", kid: "k" }, undefined],
    ["the media type as typ, in any case", { alg: "RS256", typ: "Application/SecEvent+JWT" }, undefined],
    ["no typ: an ID token or access token of the same issuer", { alg: "RS256" }, "invalid_request typ-not-secevent"],
    ["typ JWT", { alg: "RS256", typ: "JWT" }, "invalid_request typ-not-secevent"],
    ["typ at+jwt", { alg: "RS256", typ: "at+jwt" }, "invalid_request typ-not-secevent"],
    ["a crit header", { alg: "RS256", typ: "secevent+jwt", crit: ["b64"], b64: false }, "invalid_request crit"],
    [
      "an algorithm the transmitter is not held to",
      { alg: "ES256", typ: "secevent+jwt" },
      "invalid_key algorithm-not-accepted",
    ],
    ["HS256", { alg: "HS256", typ: "secevent+jwt" }, "invalid_key algorithm-not-accepted"],
    ["none", { alg: "none", typ: "secevent+jwt" }, "invalid_key algorithm-not-accepted"],
    ["no header object", [], "invalid_request header-not-object"],
  ])("%s", (_name, header, refusal) => {
    const r = checkSetHeader(header, ["RS256", "PS256"]);
    expect(r === undefined ? undefined : `${r.err} ${r.problem}`).toBe(refusal);
  });
});

describe("subjects", () => {
  const facts = (value: unknown, issuers: string[] = []) => {
    const parsed = parseSubject(value);
    if (!parsed.ok) throw new Error(parsed.problem);
    return subjectFacts(parsed.subject, new Set(issuers));
  };

  it("an e-mail names the person in lower case", () => {
    expect(facts({ format: "email", email: "Ann@Example.COM" })).toEqual([
      { match: "email", value: "ann@example.com" },
    ]);
  });

  it("a complex subject names its user only", () => {
    const subject = {
      format: "complex",
      user: { format: "email", email: "ann@example.com" },
      session: { format: "opaque", id: "s-1" },
      device: { format: "iss_sub", iss: "https://idp.example.com/", sub: "device-9" },
    };
    expect(facts(subject, ["https://idp.example.com/"])).toEqual([{ match: "email", value: "ann@example.com" }]);
    expect(facts({ format: "complex", device: subject.device }, ["https://idp.example.com/"])).toEqual([]);
  });

  it("aliases name each identity they hold, once", () => {
    const subject = {
      format: "aliases",
      identifiers: [
        { format: "email", email: "ann@example.com" },
        { format: "email", email: "ANN@example.com" },
        { format: "iss_sub", iss: "https://team.cloudflareaccess.com", sub: "u-1" },
        { format: "phone_number", phone_number: "+12065550100" },
      ],
    };
    expect(facts(subject, ["https://team.cloudflareaccess.com"])).toEqual([
      { match: "email", value: "ann@example.com" },
      { match: "sub", value: "u-1" },
    ]);
  });

  it("an alias that cannot be read is passed over beside one that can, and shown as malformed", () => {
    const subject = {
      format: "aliases",
      identifiers: [
        { format: "iss_sub", iss: "x" },
        { format: "email", email: "ann@example.com" },
      ],
    };
    const parsed = parseSubject(subject);
    expect(parsed.ok && subjectShape(parsed.subject)).toBe("aliases(malformed,email)");
    expect(facts(subject)).toEqual([{ match: "email", value: "ann@example.com" }]);
    expect(parseSubject({ format: "aliases", identifiers: [{ format: "iss_sub", iss: "x" }] })).toEqual({
      ok: false,
      problem: "subject-members",
    });
  });

  it("opaque, account, DID, URI and proprietary subjects are well-formed and name nobody", () => {
    for (const s of [
      { format: "opaque", id: "x" },
      { format: "account", uri: "acct:ann@example.com" },
      { format: "did", url: "did:example:123" },
      { format: "uri", uri: "https://example.com/ann" },
      { format: "ip-addresses", "ip-addresses": ["10.0.0.1"] },
      { format: "catalog_item", catalog_id: "c0384" },
      // Named like members every object inherits: still proprietary, not a lookup of Object.prototype.
      { format: "constructor", id: "x" },
      { format: "toString", id: "x" },
      { format: "__proto__", id: "x" },
      { format: "hasOwnProperty", id: "x" },
    ])
      expect(facts(s)).toEqual([]);
  });
});

describe("planSignals", () => {
  const ctx = { transmitter: "okta", holdForSeconds: 3600, subIssuers: new Set<string>(), nowMs: NOW };
  const run = (events: Record<string, unknown>) => {
    const payload = { ...good(), events };
    const r = checkSetClaims(payload, { ...EXPECTED, subscribed: ALL }, NOW);
    if (!r.ok) throw new Error(r.problem);
    return planSignals(r.set, ctx);
  };
  const ann = { match: "email", value: "ann@example.com" };
  const HOUR = NOW + 3600_000;
  const MONTH = NOW + 730 * 3600_000;

  it.each<[string, Record<string, unknown>, unknown[]]>([
    [
      "session-revoked",
      { [REVOKED]: { reason_admin: { de: "Verstoß", en: "Landspeed" } } },
      [
        {
          op: "refuse",
          fact: ann,
          event: "session-revoked",
          until: HOUR,
          reason: "session-revoked from okta: Landspeed (jti j-1)",
          issuedAt: NOW,
        },
      ],
    ],
    [
      "credential-change revoke",
      { [EVENT_URIS["credential-change"]]: { credential_type: "x509", change_type: "revoke" } },
      [
        {
          op: "refuse",
          fact: ann,
          event: "credential-change",
          until: HOUR,
          reason: "credential-change from okta (jti j-1)",
          issuedAt: NOW,
        },
      ],
    ],
    [
      "credential-change delete",
      { [EVENT_URIS["credential-change"]]: { credential_type: "fido2-roaming", change_type: "delete" } },
      [
        {
          op: "refuse",
          fact: ann,
          event: "credential-change",
          until: HOUR,
          reason: "credential-change from okta (jti j-1)",
          issuedAt: NOW,
        },
      ],
    ],
    [
      "credential-change update",
      { [EVENT_URIS["credential-change"]]: { credential_type: "password", change_type: "update" } },
      [],
    ],
    [
      "credential-compromise",
      { [EVENT_URIS["credential-compromise"]]: { credential_type: "password" } },
      [
        {
          op: "refuse",
          fact: ann,
          event: "credential-compromise",
          until: HOUR,
          reason: "credential-compromise from okta (jti j-1)",
          issuedAt: NOW,
        },
      ],
    ],
    [
      "account-disabled",
      { [EVENT_URIS["account-disabled"]]: { reason: "hijacking" } },
      [
        {
          op: "refuse",
          fact: ann,
          event: "account-disabled",
          until: MONTH,
          reason: "account-disabled from okta: hijacking (jti j-1)",
          issuedAt: NOW,
        },
      ],
    ],
    [
      "account-purged",
      { [EVENT_URIS["account-purged"]]: {} },
      [
        {
          op: "refuse",
          fact: ann,
          event: "account-purged",
          until: MONTH,
          reason: "account-purged from okta (jti j-1)",
          issuedAt: NOW,
        },
      ],
    ],
    [
      "account-enabled",
      { [EVENT_URIS["account-enabled"]]: {} },
      [{ op: "lift", fact: ann, event: "account-disabled", issuedAt: NOW }],
    ],
    [
      "token-claims-change",
      { [EVENT_URIS["token-claims-change"]]: { claims: { groups: ["x"] } } },
      [{ op: "refresh", fact: ann }],
    ],
    [
      "device not compliant",
      { [EVENT_URIS["device-compliance-change"]]: { current_status: "not-compliant", previous_status: "compliant" } },
      [
        { op: "refresh", fact: ann },
        { op: "hold-posture", fact: ann, until: HOUR, issuedAt: NOW },
      ],
    ],
    [
      "device compliant again",
      { [EVENT_URIS["device-compliance-change"]]: { current_status: "compliant", previous_status: "not-compliant" } },
      [
        { op: "refresh", fact: ann },
        { op: "release-posture", fact: ann, issuedAt: NOW },
      ],
    ],
  ])("%s", (_name, events, ops) => {
    expect(run(events).ops).toEqual(ops);
  });

  it("keeps a long reason within bounds and free of control characters", () => {
    const long = run({ [REVOKED]: { reason_admin: { en: "x".repeat(1000) } } }).ops[0] as { reason: string };
    expect(long.reason.length).toBeLessThanOrEqual(300);
    const dirty = run({ [REVOKED]: { reason_admin: { en: "a\r\nforged: line", fr: "propre" } } }).ops[0] as {
      reason: string;
    };
    expect(dirty.reason).toBe("session-revoked from okta: propre (jti j-1)");
  });
});

describe("critical_subject_members (SSF 1.0 §7.1): a critical member Ward cannot interpret refuses the SET", () => {
  function withCritical(name: string, critical: string[] | undefined) {
    const payload = EXAMPLES[name]!.payload;
    const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
    const expected: SetExpectations = { issuer: payload.iss, audience: aud, subscribed: ALL };
    if (critical) expected.criticalMembers = new Set(critical);
    return checkSetClaims(payload, expected, payload.iat * 1000);
  }

  it.each([
    // The session of CAEP's example: revoking every session of the person would be more than it says.
    ["caep-session-revoked-complex-user", ["session"], "critical-subject-member: session"],
    ["caep-session-revoked-complex-user", ["user", "tenant"], "critical-subject-member: tenant"],
    ["ssf-session-revoked-complex", ["device"], "critical-subject-member: device"],
    ["caep-device-compliance-change", ["device", "tenant"], "critical-subject-member: device"],
  ])("%s with %j critical: refused invalid_request, nothing applied", (name, critical, problem) => {
    expect(withCritical(name, critical)).toEqual({ ok: false, err: "invalid_request", problem });
  });

  it.each([
    // `user` is what Ward interprets; a critical member the subject does not carry asks nothing.
    ["caep-session-revoked-complex-user", ["user"]],
    ["ssf-session-revoked-complex", ["user", "tenant", "session"]],
    // Only complex subjects have members.
    ["risc-account-disabled", ["tenant"]],
    // None declared: the user member is acted on, as before.
    ["caep-session-revoked-complex-user", undefined],
  ])("%s with %j critical: taken", (name, critical) => {
    expect(withCritical(name, critical).ok).toBe(true);
  });
});
