// The policy document, schema first: every type Ward uses for a policy is inferred from here.
// Objects are strict so that a misspelt key is an error, not a silently ignored (and so widened) rule.
import * as z from "zod";
import {
  DEFAULT_SERVICE_TOKEN_LIFETIME,
  DEFAULT_TOKEN_LIFETIME,
  MAX_CONFIGURABLE_TOKEN_DURATION,
  MAX_CONFIGURABLE_TOKEN_SECONDS,
} from "./access-limits.ts";
import { durationSeconds } from "./duration.ts";
import { isEmailAddress } from "./email-address.ts";
import { isoInstant } from "./instant.ts";
import { publicJwk } from "./jwk-schema.ts";
import {
  DEFAULT_MAX_POSTURE_AGE,
  MAX_MAX_POSTURE_AGE,
  MAX_MAX_POSTURE_AGE_SECONDS,
  MIN_MAX_POSTURE_AGE,
  MIN_MAX_POSTURE_AGE_SECONDS,
} from "./posture-age.ts";
import { SCOPE_TOKEN } from "./scope-token.ts";
import { MAX_BYTES_PER_SECOND_LIMIT, MAX_IDLE_SECONDS, MAX_MESSAGE_BYTES_LIMIT } from "./websocket/limits.ts";
import { MAX_SPIFFE_ID_LENGTH, SPIFFE_ID_PATTERN, SPIFFE_PREFIX_PATTERN, TRUST_DOMAIN_PATTERN } from "./spiffe-id.ts";
import { SharedSignals } from "./ssf/schema.ts";
import {
  DEFAULT_TOKEN_ALGORITHMS,
  DEFAULT_TOKEN_CLOCK_SKEW,
  DEFAULT_WORKLOAD_TOKEN_LIFETIME,
  MAX_TOKEN_CLOCK_SKEW,
  MAX_TOKEN_CLOCK_SKEW_SECONDS,
  MAX_WORKLOAD_TOKEN_LIFETIME,
  MAX_WORKLOAD_TOKEN_SECONDS,
  TOKEN_ALGORITHMS,
  TOKEN_KINDS,
} from "./token-issuers.ts";

export const SCHEMA_VERSION = 1;

/** Methods Ward accepts at all; anything else (TRACE, CONNECT, lower-case spellings) is a bad request. */
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** A *name*: services, routes, rules, principal sets, bindings. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const name = z.string().regex(NAME_PATTERN, "must be lower-case letters, digits and '-', starting with a letter");
const hostname = z
  .string()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be a lower-case host name without port or trailing dot; '*.' may lead",
  );
// The one definition isSpiffeId uses too: a policy can name every trust domain Ward authenticates.
const trustDomain = z
  .string()
  .regex(
    TRUST_DOMAIN_PATTERN,
    "must be a SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_', at most 255 (e.g. prod.example.com)",
  );
const SPIFFE_FORM =
  "spiffe://trust-domain/path: a lower-case trust domain, segments of letters, digits, '.', '-' and '_', no '.' or '..' segment";
const spiffeId = z
  .string()
  .max(MAX_SPIFFE_ID_LENGTH)
  .regex(SPIFFE_ID_PATTERN, `must be a SPIFFE ID (${SPIFFE_FORM}, no trailing '/')`);
const spiffePrefix = z
  .string()
  .max(MAX_SPIFFE_ID_LENGTH)
  .regex(SPIFFE_PREFIX_PATTERN, `must be the start of a SPIFFE ID (${SPIFFE_FORM}), best ending in '/'`);
// The same check the gateway holds a token's `email` to: a policy cannot name an address no token can carry. A
// string of the wrong form, so invalid-format, as every other form's (a refine's issue would be invalid-value).
const email = z.string().superRefine((value, ctx) => {
  if (!isEmailAddress(value))
    ctx.addIssue({
      code: "invalid_format",
      format: "email",
      input: value,
      message:
        "must be an e-mail address: dot-separated runs of letters, digits and !#$%&'*+-/=?^_`{|}~, one '@', a host name (ASCII, at most 254 characters)",
    });
});
/**
 * An emailDomain's zod form, looser than validation's (isMailDomain, validate/principals.ts) so a version stored
 * before that check loads as it did; `ward schema` writes both as one pattern (schema-patterns.ts).
 */
export const EMAIL_DOMAIN_FORM = /^([a-z0-9-]+\.)+[a-z0-9-]+$/;
export const emailDomain = z.string().regex(EMAIL_DOMAIN_FORM, "must be a lower-case domain such as example.com");
const DURATION = /^[1-9][0-9]*(s|m|h|d)$/;
const duration = z.string().regex(DURATION, "must be a duration such as 90s, 30m, 12h or 7d");
/** A token limit: above one month no token Access issues could need it (see access-limits.ts). */
const tokenDuration = duration.superRefine((value, ctx) => {
  if (DURATION.test(value) && durationSeconds(value) > MAX_CONFIGURABLE_TOKEN_SECONDS) {
    ctx.addIssue({
      code: "too_big",
      origin: "number",
      maximum: MAX_CONFIGURABLE_TOKEN_SECONDS,
      inclusive: true,
      input: value,
      message: `must be at most ${MAX_CONFIGURABLE_TOKEN_DURATION} (one month, the longest session Access issues)`,
    });
  }
});
/**
 * How old a device-posture result may be (posture-age.ts): at least the shortest schedule Access takes, at most a
 * month, as the token limits.
 */
const postureAge = duration.superRefine((value, ctx) => {
  if (!DURATION.test(value)) return;
  const seconds = durationSeconds(value);
  if (seconds < MIN_MAX_POSTURE_AGE_SECONDS)
    ctx.addIssue({
      code: "too_small",
      origin: "number",
      minimum: MIN_MAX_POSTURE_AGE_SECONDS,
      inclusive: true,
      input: value,
      message: `must be at least ${MIN_MAX_POSTURE_AGE} (the shortest schedule of a posture check)`,
    });
  else if (seconds > MAX_MAX_POSTURE_AGE_SECONDS)
    ctx.addIssue({
      code: "too_big",
      origin: "number",
      maximum: MAX_MAX_POSTURE_AGE_SECONDS,
      inclusive: true,
      input: value,
      message: `must be at most ${MAX_MAX_POSTURE_AGE} (one month)`,
    });
});
const hex64 = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, "must be a SHA-256 fingerprint (64 hex digits, colons allowed)");
const claimValue = z.union([z.string(), z.number(), z.boolean()]);
// An empty requirement would hold for any token with claims: almost `authenticated`, by accident.
const requiredClaim = z.union([claimValue, z.array(claimValue).min(1)]);
/**
 * Set while a large document is read up to its first error (validate/schema-pass.ts): a claims requirement is
 * then cut to its first bad claim, so that a requirement of thousands of bad claims is one issue, not thousands.
 */
export const firstErrorOnly = { claims: false };
/**
 * A `__proto__` key is skipped by records (it cannot be an ordinary key), which would leave a rule wider than
 * written. And firstErrorOnly.
 */
function refuseProtoKey(value: unknown, ctx: { issues: z.core.$ZodRawIssue[] }): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Object.hasOwn(value, "__proto__")) {
    ctx.issues.push({
      code: "custom",
      message: "a claim named __proto__ cannot be required",
      input: value,
      path: ["__proto__"],
    });
  }
  if (firstErrorOnly.claims && !Array.isArray(value)) {
    const claims = value as Record<string, unknown>;
    for (const name in claims)
      if (name === "" || !requiredClaim.safeParse(claims[name]).success) return { [name]: claims[name] };
  }
  return value;
}
const claimRequirement = z
  .preprocess(refuseProtoKey, z.record(z.string().min(1), requiredClaim))
  .refine((claims) => Object.keys(claims).length > 0, "must name at least one claim");

// ---- principals -------------------------------------------------------------------------------

/** One way of naming who may call. Each matcher object has exactly one key. */
export const PrincipalMatcher = z.union([
  // `set` first: it is the most common matcher, and a union tries its options in order.
  z.strictObject({ set: name }).describe("a named principal set from principalSets"),
  z.strictObject({ spiffe: spiffeId }).describe("a workload whose SPIFFE ID is exactly this"),
  z
    .strictObject({ spiffePrefix: spiffePrefix })
    .describe("workloads whose SPIFFE ID starts with this (end it with '/')"),
  z.strictObject({ trustDomain }).describe("any workload of this SPIFFE trust domain"),
  z.strictObject({ email }).describe("a person (Access user) with exactly this e-mail"),
  z.strictObject({ emailDomain }).describe("people whose e-mail is in this domain"),
  z.strictObject({ group: z.string().min(1) }).describe("people in this Access (IdP) group"),
  z
    .strictObject({ claims: claimRequirement })
    .describe("people or tokens whose Access token carries these claims (a list means any of)"),
  z.strictObject({ serviceToken: z.string().min(1) }).describe("an Access service token, by client id"),
  z.strictObject({ authenticated: z.literal(true) }).describe("anyone with any verified identity"),
  z.strictObject({ public: z.literal(true) }).describe("anyone, including callers with no identity at all"),
]);
export type PrincipalMatcher = z.infer<typeof PrincipalMatcher>;

// ---- conditions -------------------------------------------------------------------------------

const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, "must be HH:MM (UTC)");

export const TimeWindow = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1).optional().describe("UTC weekdays on which the rule applies"),
  hours: z
    .strictObject({ from: hhmm, to: hhmm })
    .optional()
    .describe("UTC time of day, from inclusive to exclusive; from > to wraps past midnight"),
  notBefore: isoInstant.optional().describe("the rule applies from this instant (inclusive)"),
  notAfter: isoInstant.optional().describe("the rule stops applying at this instant (exclusive)"),
});

export const Conditions = z.strictObject({
  // A scope no token can hold (`"payments:refund admin"`, a token's scope string copied whole) would make a deny
  // rule that never applies: refused, as tokens' scopes are (policy/token-claims.ts).
  scopes: z
    .array(
      z
        .string()
        .regex(
          SCOPE_TOKEN,
          'must be one OAuth scope (RFC 6749: 1 to 255 printable ASCII characters, no space, " or \\): list each scope as its own entry',
        ),
    )
    .min(1)
    .optional()
    .describe("every one of these scopes must be granted"),
  claims: claimRequirement.optional().describe("Access token claims that must hold (a list means any of)"),
  time: TimeWindow.optional(),
  country: z
    // Cloudflare's `T1` (Tor) is the one code it sets that is no alpha-2 code: a deny rule may name it.
    .array(z.string().regex(/^(?:[A-Z]{2}|T1)$/, "must be an ISO 3166 alpha-2 code such as DE, or T1 (Tor)"))
    .min(1)
    .optional()
    .describe("the request must come from one of these countries (Cloudflare's view)"),
  devicePosture: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Access device posture checks (by id) that must all pass"),
});
export type Conditions = z.infer<typeof Conditions>;

/**
 * The longest window, exception or quarantine a policy may set: a year. Without a bound a 310-digit duration is
 * Infinity seconds (no window at all, so no limit), and one of some millennia asks a Durable Object for an alarm
 * past what the runtime accepts (2189), or makes an instant no date can hold: the call fails, and with it the
 * rate limit's first request of a key, or every quarantine count.
 */
export const MAX_POLICY_PERIOD = "366d";
export const MAX_POLICY_PERIOD_SECONDS = 366 * 86_400;

export const RateLimit = z.strictObject({
  limit: z.int().min(1).max(1_000_000),
  period: durationAtMost(MAX_POLICY_PERIOD_SECONDS, MAX_POLICY_PERIOD, "a year").describe(
    "window length, e.g. 60s or 1h",
  ),
  key: z.enum(["principal", "principal+route"]).default("principal+route"),
  failOpen: z
    .boolean()
    .default(false)
    .describe("allow the request when the rate-limit store cannot answer (default: refuse)"),
});

export const BothFactors = z.strictObject({
  workload: z.array(PrincipalMatcher).min(1).describe("the mTLS workload identity that must be present"),
  access: z.array(PrincipalMatcher).min(1).describe("the Access identity (person or token) that must be present"),
  binding: name.describe("identityBindings entry pairing which workload may act with which Access identity"),
});

export const Rule = z.strictObject({
  id: name.optional().describe("unique within the route; defaults to rule-<n>"),
  effect: z.enum(["allow", "deny"]),
  mode: z
    .enum(["enforce", "audit"])
    .optional()
    .describe("deny rules only: audit logs the denials the rule would make and lets the request go on"),
  principals: z.array(PrincipalMatcher).min(1).optional().describe("who: any one of these"),
  bothFactors: BothFactors.optional().describe("who: an mTLS workload and an Access identity together"),
  when: Conditions.optional(),
  rateLimit: RateLimit.optional(),
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name"),
      // What a header field may carry (RFC 9110 §5.5): no control character but tab. The runtime refuses a line
      // break or a character beyond Latin-1 when the header is set, which would answer every request 500; an
      // origin's HTTP parser (cloudflared's, Node's) refuses the other control characters.
      z
        .string()
        .max(4096)
        .regex(
          /^[\t\x20-\x7e\x80-\xff]*$/,
          "must be a header value: no line break, no control character but tab, nothing beyond Latin-1",
        ),
    )
    .optional()
    .describe("headers to set on the forwarded request when this rule allows"),
  description: z.string().optional(),
});
export type Rule = z.infer<typeof Rule>;

/**
 * A request header the origin needs beyond the standard ones (policy/forward-headers.ts), by its exact name.
 * Only letters, digits and '-': a name spelt with '_' or '.' is the spelling that some servers read as another
 * header, which is what the allow-list keeps from origins.
 */
const forwardedHeaderName = z
  .string()
  .regex(/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/, "must be a header name of letters, digits and '-'");
const forwardHeaders = z
  .array(forwardedHeaderName)
  .min(1)
  .describe(
    "request headers forwarded beyond the standard ones (exact names; `authorization` for an app with its own login)",
  );

/** Whether a route may be upgraded to a WebSocket (default: no upgrade), and its connections' limits. */
export const WebSocketSetting = z.union([
  z.boolean(),
  z.strictObject({
    maxMessageBytes: z
      .int()
      .min(1)
      .max(MAX_MESSAGE_BYTES_LIMIT)
      .optional()
      .describe("the largest message relayed either way (default 1 MiB, or WEBSOCKET_MAX_MESSAGE_BYTES)"),
    maxBytesPerSecond: z
      .int()
      .min(1)
      .max(MAX_BYTES_PER_SECOND_LIMIT)
      .optional()
      .describe(
        "close a connection one side of which sends more bytes than this in a second (default 16 MiB, or WEBSOCKET_MAX_BYTES_PER_SECOND; each message counted with 64 bytes more; never less than maxMessageBytes + 64)",
      ),
    idleTimeout: durationAtMost(MAX_IDLE_SECONDS, "24h", "a day, the longest a route may hold an idle connection")
      .optional()
      .describe("close a connection that carried no message for this long (default 10m, or WEBSOCKET_IDLE_SECONDS)"),
  }),
]);

// Any string here: parsePathPattern and the validator judge it (validate/routes.ts), as they judge a stored version
// more leniently; `ward schema` writes their rules as a pattern (schema-patterns.ts).
export const RoutePath = z
  .string()
  .describe("exact path or pattern: {*} one segment, {name} named segment, {**} the rest");
export const RoutePathPrefix = z.string().describe("this path and everything below it");

export const Route = z.strictObject({
  id: name,
  methods: z.array(z.union([z.enum(METHODS), z.literal("*")])).min(1),
  path: RoutePath.optional(),
  pathPrefix: RoutePathPrefix.optional(),
  rules: z.array(Rule).min(1),
  forwardHeaders: forwardHeaders
    .optional()
    .describe("headers forwarded on this route beyond the standard ones and the service's"),
  websocket: WebSocketSetting.optional().describe(
    "let allowed GET requests upgrade to a WebSocket, relayed by Ward and closed when access ends",
  ),
  description: z.string().optional(),
});
export type Route = z.infer<typeof Route>;

// An Access application's AUD tag; a service may name which applications' tokens count for it.
const accessAud = z.string().regex(/^[0-9a-f]{64}$/, "must be an Access AUD tag (64 hex)");
// What a workload token's `aud` must hold for a service: a URL or any other exact, printable value.
const tokenAudience = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces (e.g. https://payments.example.com)");

// ---- services ---------------------------------------------------------------------------------

export const TunnelOrigin = z.strictObject({
  tunnel: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, "must be a Worker binding name such as PAYMENTS_API")
    .describe("the Worker binding (a Workers VPC service through Cloudflare Tunnel) that reaches the origin"),
});
export const PublicUrlOrigin = z.strictObject({
  url: z.url({ protocol: /^https$/ }),
  publicUrl: z.literal(true).describe("acknowledges that this origin has a routable address Ward does not guard"),
});
export const Origin = z.union([TunnelOrigin, PublicUrlOrigin, z.string()]);

export const Service = z.strictObject({
  hosts: z.array(hostname).min(1),
  origin: Origin,
  owner: z.string().min(1).describe("who to ask for access; shown on the denied page"),
  mode: z.enum(["enforce", "audit"]).default("enforce"),
  hide: z.boolean().default(false).describe("answer unauthorized callers 404 as if the route did not exist (else 403)"),
  caseInsensitivePaths: z
    .boolean()
    .optional()
    .describe(
      "match paths whatever their letter case, for origins that serve /Admin as /admin (IIS, ASP.NET Core, Express); routes are then written in lower case",
    ),
  requireCertificate: z.boolean().optional().describe("overrides identity.mtls.required for this service"),
  tokenAudience: tokenAudience
    .optional()
    .describe("the `aud` a workload token must name to count here (default: https://<first host>)"),
  accessAudiences: z
    .array(accessAud)
    .min(1)
    .optional()
    .describe("the Access applications (AUD tags) whose tokens count here (default: every one in identity.access)"),
  forwardHeaders: forwardHeaders.optional(),
  description: z.string().optional(),
  routes: z.array(Route).min(1),
});
export type Service = z.infer<typeof Service>;

// ---- identity sources -------------------------------------------------------------------------

// Each CA is bound to the trust domains it issues for, as Envoy's SPIFFE validator keeps one bundle per trust
// domain: any pinned CA could otherwise mint any trust domain's identities. Without the list a pin may issue
// for metadata.trustDomains, and validation warns (issuer-trust-domains-missing).
const issuerTrustDomains = z
  .array(trustDomain)
  .min(1)
  .optional()
  .describe("the trust domains whose SPIFFE IDs this CA may issue (default: metadata.trustDomains, with a warning)");
/** A CA certificate in PEM: a few KiB with an RSA-4096 key and long names; this leaves room and bounds the text. */
export const MAX_ISSUER_CERTIFICATE_LENGTH = 16_384;
/** SPIRE below an upstream authority signs with one intermediate, a corporate PKI with one or two. */
export const MAX_PINNED_INTERMEDIATES = 3;
export const PinnedIssuer = z.union([
  z.strictObject({
    ski: z.string().regex(/^([0-9A-Fa-f]{2}:?)+$/, "must be hex, colons allowed"),
    trustDomains: issuerTrustDomains,
  }),
  z.strictObject({ dn: z.string().min(3).describe("issuer DN in RFC 2253 form"), trustDomains: issuerTrustDomains }),
  z.strictObject({
    certificate: z
      .string()
      .max(MAX_ISSUER_CERTIFICATE_LENGTH)
      .describe(
        "the issuing CA's certificate, PEM: Ward checks that its key signed each client certificate (an SKI or DN pin is a name any CA can carry)",
      ),
    intermediates: z
      .number()
      .int()
      .min(0)
      .max(MAX_PINNED_INTERMEDIATES)
      .optional()
      .describe(
        "how many intermediate CAs the client sends (certChainRFC9440) may stand between its certificate and this one; Ward checks each signature (default 0: this CA signs the client certificates)",
      ),
    trustDomains: issuerTrustDomains,
  }),
]);

/** A duration no longer than `max` seconds (named `maxText` in the message). */
function durationAtMost(max: number, maxText: string, why: string) {
  return duration.superRefine((value, ctx) => {
    if (DURATION.test(value) && durationSeconds(value) > max) {
      ctx.addIssue({
        code: "too_big",
        origin: "number",
        maximum: max,
        inclusive: true,
        input: value,
        message: `must be at most ${maxText} (${why})`,
      });
    }
  });
}

// A workload-token issuer (policy/token-issuers.ts). Its keys come from a URL Ward fetches (a JWKS or SPIFFE
// bundle endpoint, or OIDC discovery), or are pushed with the policy (for issuers the Worker cannot reach);
// never from a URL or key a token names.
const httpsUrl = z.url({ protocol: /^https$/, hostname: z.regexes.domain }).refine((u) => !u.includes("#"), {
  message: "must have no fragment",
});
const inlineJwks = z
  .object({
    keys: z
      .array(publicJwk)
      .min(1)
      .max(100)
      .describe("public JWKs; a SPIFFE trust bundle marks its JWT keys use: jwt-svid"),
    spiffe_sequence: z.number().optional(),
    spiffe_refresh_hint: z.number().optional(),
  })
  .strict();
export const TokenIssuer = z.strictObject({
  name: name.describe("how logs, decisions and principals name this issuer"),
  kind: z
    .enum(TOKEN_KINDS)
    .describe("spiffe-jwt-svid (sub is a SPIFFE ID), kubernetes (service-account tokens) or oidc (claims)"),
  issuer: httpsUrl.describe("the exact `iss` its tokens carry"),
  keys: z.union([
    z.strictObject({ jwksUrl: httpsUrl.describe("a JWKS, or a SPIFFE trust bundle endpoint") }),
    z.strictObject({ discovery: httpsUrl.describe("an OIDC discovery document; its jwks_uri gives the keys") }),
    z.strictObject({ jwks: inlineJwks.describe("the key set itself, pushed with the policy") }),
  ]),
  algorithms: z
    .array(z.enum(TOKEN_ALGORITHMS))
    .min(1)
    .default(DEFAULT_TOKEN_ALGORITHMS)
    .describe("signature algorithms accepted (asymmetric only)"),
  clockSkew: durationAtMost(MAX_TOKEN_CLOCK_SKEW_SECONDS, MAX_TOKEN_CLOCK_SKEW, "clocks are NTP-synced")
    .default(DEFAULT_TOKEN_CLOCK_SKEW)
    .describe("tolerated clock difference on exp, nbf and iat"),
  maxLifetime: durationAtMost(
    MAX_WORKLOAD_TOKEN_SECONDS,
    MAX_WORKLOAD_TOKEN_LIFETIME,
    "workload tokens are short-lived by design",
  )
    .default(DEFAULT_WORKLOAD_TOKEN_LIFETIME)
    .describe("refuse a token issued for longer (exp - iat) than this"),
  trustDomain: trustDomain
    .optional()
    .describe(
      "spiffe-jwt-svid: the trust domain its SPIFFE IDs must be in; kubernetes: map service accounts to spiffe://<this>/ns/<ns>/sa/<sa>",
    ),
  requireClaims: claimRequirement
    .optional()
    .describe("claims every token of this issuer must carry to count at all (e.g. repository_owner)"),
  description: z.string().optional(),
});

export const IdentitySources = z.strictObject({
  access: z
    .strictObject({
      teamDomain: z.url({ protocol: /^https$/ }).regex(/^https:\/\/[a-z0-9-]+\.cloudflareaccess\.com$/, {
        message: "must be https://<team>.cloudflareaccess.com (no trailing slash)",
      }),
      audiences: z.array(accessAud).min(1),
      maxTokenLifetime: tokenDuration
        .default(DEFAULT_TOKEN_LIFETIME)
        .describe(
          `refuse a person's token issued for longer (exp - iat) than this; at most ${MAX_CONFIGURABLE_TOKEN_DURATION}`,
        ),
      serviceTokenMaxLifetime: tokenDuration
        .default(DEFAULT_SERVICE_TOKEN_LIFETIME)
        .describe(
          `refuse a service token's token issued for longer (exp - iat) than this; at most ${MAX_CONFIGURABLE_TOKEN_DURATION}`,
        ),
      maxTokenAge: tokenDuration
        .optional()
        .describe(
          `refuse a token issued (iat) longer ago than this, whatever its exp; at most ${MAX_CONFIGURABLE_TOKEN_DURATION}`,
        ),
      // Not filled in when absent: a default written into the document would change the version of every policy
      // with identity.access (and leave versions stored without their document unloadable from their source).
      maxPostureAge: postureAge
        .optional()
        .describe(
          `a device-posture result evaluated longer ago than this is unknown; above the longest check schedule; ${MIN_MAX_POSTURE_AGE} to ${MAX_MAX_POSTURE_AGE}; default ${DEFAULT_MAX_POSTURE_AGE}`,
        ),
    })
    .optional(),
  mtls: z
    .strictObject({
      required: z.boolean().default(false).describe("refuse requests without a verified client certificate"),
      issuers: z.array(PinnedIssuer).min(1).describe("client certificates must come from one of these issuers"),
      spiffe: z.boolean().default(true).describe("derive the workload identity from the SAN URI SPIFFE ID"),
      registry: z
        .array(z.strictObject({ fingerprintSha256: hex64, id: spiffeId, description: z.string().optional() }))
        .optional()
        .describe("certificates without a SPIFFE ID, mapped by fingerprint to a workload identity"),
    })
    .optional(),
  tokenIssuers: z
    .array(TokenIssuer)
    .min(1)
    .optional()
    .describe("issuers whose workload tokens (Authorization: Bearer) identify a caller: SPIRE, Kubernetes, OIDC"),
});

export const ExceptionLimits = z.strictObject({
  maxDuration: durationAtMost(MAX_POLICY_PERIOD_SECONDS, MAX_POLICY_PERIOD, "a year")
    .default("7d")
    .describe("longest time-bounded exception that may be granted"),
  breakGlassMaxDuration: durationAtMost(MAX_POLICY_PERIOD_SECONDS, MAX_POLICY_PERIOD, "a year")
    .default("30m")
    .describe("longest break-glass grant"),
});

export const Metadata = z.strictObject({
  environment: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a name such as dev, staging or production"),
  trustDomains: z.array(trustDomain).default([]),
  owners: z.array(z.string().min(1)).min(1).describe("who owns this policy"),
  description: z.string().optional(),
});

// The document's maps of named entries, each entry checked on its own where a large document is read up to its
// first error (validate/schema-pass.ts).
export const PrincipalSets = z.record(name, z.array(PrincipalMatcher).min(1));
export const IdentityBindings = z.record(
  name,
  z.array(z.strictObject({ workload: spiffeId, access: z.string().min(1) })).min(1),
);
export const Services = z.record(name, Service);

export const PolicyDocument = z.strictObject({
  version: z.literal(SCHEMA_VERSION).describe("policy schema version"),
  metadata: Metadata,
  identity: IdentitySources.default({}),
  principalSets: PrincipalSets.default({}),
  identityBindings: IdentityBindings.default({}).describe(
    "pairs of workload SPIFFE ID and Access identity (e-mail or service-token id) for bothFactors",
  ),
  exceptions: ExceptionLimits.default({ maxDuration: "7d", breakGlassMaxDuration: "30m" }),
  quarantine: z
    .strictObject({
      deniedRequests: z.int().min(1).max(100_000).describe("denied requests of one identity that trigger it"),
      within: durationAtMost(MAX_POLICY_PERIOD_SECONDS, MAX_POLICY_PERIOD, "a year").describe(
        "the window they are counted in, e.g. 60s",
      ),
      for: durationAtMost(MAX_POLICY_PERIOD_SECONDS, MAX_POLICY_PERIOD, "a year: revoke for longer").describe(
        "how long the identity is then refused, e.g. 1h",
      ),
    })
    .optional()
    .describe("refuse an identity that keeps being denied (a workload walking the internal graph)"),
  admin: z
    .strictObject({
      principals: z.array(PrincipalMatcher).min(1).describe("who may use the admin API (push, rollback, history)"),
    })
    .optional()
    .describe("the gateway's admin API under /.ward/admin/; without it, nobody may use it"),
  sharedSignals: SharedSignals.optional().describe(
    "identity providers whose security events (OpenID SSF: CAEP, RISC) Ward acts on: revoke, re-read groups (docs/ssf.md)",
  ),
  services: Services,
});
export type PolicyDocument = z.infer<typeof PolicyDocument>;
export type PolicyInput = z.input<typeof PolicyDocument>;
