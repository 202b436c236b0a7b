// The policy's `sharedSignals` section: the transmitters (identity providers) whose Security Event Tokens Ward
// acts on, and the audience they address this Ward environment with. Schema only; validate/ssf.ts checks what a
// schema cannot (key material, algorithms, one transmitter per issuer). Kept apart from schema.ts, which imports it.
import * as z from "zod";
import { publicJwk } from "../jwk-schema.ts";
import { SSF_EVENT_NAMES } from "./events.ts";

/** The longest hold: one month, the longest session Access issues (policy/access-limits.ts). */
export const MAX_HOLD_SECONDS = 730 * 3600;

/** The most critical_subject_members an entry names (`ward ssf configuration` refuses a document with more). */
export const MAX_CRITICAL_SUBJECT_MEMBERS = 16;

/** A transmitter's name in the policy, and so in its push URL. */
export const TRANSMITTER_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const transmitterName = z
  .string()
  .regex(TRANSMITTER_NAME, "must be lower-case letters, digits and '-', starting with a letter");
const httpsUrl = z.url({ protocol: /^https$/ });
const DURATION = /^[1-9][0-9]*(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const holdDuration = z
  .string()
  .regex(DURATION, "must be a duration such as 30m, 12h or 7d")
  .superRefine((value, ctx) => {
    if (DURATION.test(value) && Number(value.slice(0, -1)) * UNIT_SECONDS[value.slice(-1)]! > MAX_HOLD_SECONDS) {
      ctx.addIssue({
        code: "too_big",
        origin: "number",
        maximum: MAX_HOLD_SECONDS,
        inclusive: true,
        input: value,
        message: "must be at most 730h (one month, the longest session Access issues)",
      });
    }
  });

/** The shortest and longest wait between two polls (a poll that found SETs is followed at once, bounded). */
export const MIN_POLL_SECONDS = 5;
export const MAX_POLL_SECONDS = 3600;

const secretName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, "must be a Worker secret's name such as SSF_OKTA_AUTHORIZATION");

/**
 * The secret Ward SENDS to a poll endpoint the policy names: only one made for it. Any name would let whoever
 * pushes policy have Ward post ASSERTION_SIGNING_KEYS (or any other secret) to an address of their choosing.
 */
const pollSecretName = z
  .string()
  .regex(
    /^SSF_[A-Z0-9_]+$/,
    "must be a Worker secret made for this transmitter, named SSF_... (Ward sends its value to the endpoint)",
  );

/** Poll delivery (RFC 8936): where Ward asks for SETs, with what credential, how many at once, how often. */
export const SsfPoll = z.strictObject({
  endpoint: httpsUrl.describe("the stream's poll endpoint (its delivery.endpoint_url)"),
  authorization: pollSecretName.describe(
    "a Worker secret named SSF_..., holding the whole Authorization header value Ward polls with (e.g. 'Bearer ...')",
  ),
  maxEvents: z.number().int().min(1).max(100).default(25).describe("SETs asked for per poll (default 25)"),
  every: z
    .string()
    .regex(DURATION, "must be a duration such as 30s or 5m")
    // A bound, as every other duration's: out-of-range (a refine's issue would be invalid-value).
    .superRefine((value, ctx) => {
      if (!DURATION.test(value)) return;
      const seconds = Number(value.slice(0, -1)) * UNIT_SECONDS[value.slice(-1)]!;
      const message = "must be between 5s and 1h";
      if (seconds < MIN_POLL_SECONDS)
        ctx.addIssue({
          code: "too_small",
          origin: "number",
          minimum: MIN_POLL_SECONDS,
          inclusive: true,
          input: value,
          message,
        });
      else if (seconds > MAX_POLL_SECONDS)
        ctx.addIssue({
          code: "too_big",
          origin: "number",
          maximum: MAX_POLL_SECONDS,
          inclusive: true,
          input: value,
          message,
        });
    })
    .default("30s")
    .describe("the wait between polls that found nothing (default 30s)"),
});
export type SsfPoll = z.infer<typeof SsfPoll>;

export const SsfTransmitter = z.strictObject({
  issuer: httpsUrl.describe(
    "the transmitter's Issuer Identifier: exactly the `iss` of its SETs and of its /.well-known/ssf-configuration",
  ),
  jwksUri: httpsUrl
    .optional()
    .describe("its signing keys, the jwks_uri of its SSF configuration (`ward ssf configuration` prints it)"),
  jwks: z
    .strictObject({ keys: z.array(publicJwk).min(1).max(16) })
    .optional()
    .describe("or its public signing keys inline (a JWK Set), instead of jwksUri"),
  algorithms: z
    .array(z.string().min(1))
    .min(1)
    .default(["RS256"])
    .describe("JWS algorithms its SETs may be signed with: asymmetric only (default RS256)"),
  events: z
    .array(z.enum(SSF_EVENT_NAMES))
    .min(1)
    .describe("the event types Ward accepts from it; a SET with any other type is refused whole"),
  subIssuers: z
    .array(z.string().min(1).max(512))
    .optional()
    .describe(
      "iss_sub subjects with one of these issuers name the `sub` of the Access tokens Ward sees (the Access team domain always does)",
    ),
  authorization: secretName
    .optional()
    .describe(
      "a Worker secret: each push must carry exactly its value in Authorization (the stream's authorization_header)",
    ),
  criticalSubjectMembers: z
    .array(z.string().min(1).max(64))
    .max(MAX_CRITICAL_SUBJECT_MEMBERS)
    .optional()
    .describe(
      "the critical_subject_members of its SSF configuration: a SET whose complex subject has one Ward cannot interpret is refused",
    ),
  poll: SsfPoll.optional().describe(
    "receive by polling its endpoint (RFC 8936) instead of waiting for pushes: for transmitters that only offer polling",
  ),
  description: z.string().optional(),
});
export type SsfTransmitter = z.infer<typeof SsfTransmitter>;

export const SharedSignals = z.strictObject({
  audience: z
    .string()
    .min(1)
    .max(512)
    .describe("the `aud` transmitters address this Ward environment with: its own value in every environment"),
  holdFor: holdDuration
    .default("24h")
    .describe(
      "how long session-revoked, credential-change and credential-compromise refuse the subject, and a not-compliant device fails posture",
    ),
  transmitters: z
    .record(transmitterName, SsfTransmitter)
    .refine((t) => Object.keys(t).length > 0, "must name at least one transmitter")
    .describe("by name: the name is in the push URL, /.ward/ssf/events/<name>"),
});
export type SharedSignals = z.infer<typeof SharedSignals>;
