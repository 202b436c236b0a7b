// Admin API for the denylist: revoke a credential (refused at once, whatever its expiry), list revocations
// and quarantines, and release either. Bad input changes nothing.
import type { Context, Hono } from "hono";
import * as z from "zod";
import { listAll, pageAsked, parseBody, plainText } from "./body.ts";
import type { AdminEnv } from "./api.ts";
import type { DenyEntry, MatchKind, NewDenyEntry, RevokeResult } from "../denylist/store.ts";
import {
  CA_KEY,
  caKey,
  canonicalEmail,
  instantMs,
  isCleanText,
  ISSUER_SERIAL,
  isServiceTokenId,
  isSpiffeId,
  isTrustDomainId,
  parseIssuerSerial,
  SERVICE_TOKEN_ID_HINT,
  type CompiledPolicy,
} from "../../policy/index.ts";
import { logEvent } from "../log/events.ts";
import { LIST_PAGE_MAX, type PageQuery, type RowPage } from "../shared/listing-page.ts";
import { lacksMethod } from "../shared/missing-method.ts";
import { authorityChanged } from "./still-authorised.ts";
import { denylistStore } from "./stores.ts";

/**
 * How each kind of credential is written, so a typo is refused rather than stored as a no-op: each value must be
 * one the gateway could verify on a request (a SPIFFE ID as isSpiffeId reads it, an address as canonicalEmail
 * does), or no credential could ever match the entry while the operator believes it cut one off.
 */
const VALUE: Record<
  Exclude<MatchKind, "principal">,
  { valid: (v: string) => boolean; hint: string; normalise?: (v: string) => string }
> = {
  spiffe: {
    valid: (v) => isSpiffeId(v) && !isTrustDomainId(v),
    hint: "a workload's SPIFFE ID, spiffe://trust-domain/path (lower-case trust domain, no trailing /, . or .. segment, query or fragment)",
  },
  fingerprint: {
    valid: (v) => /^[0-9a-f]{64}$/.test(v),
    hint: "the certificate's SHA-256, 64 hex digits",
    normalise: (v) => v.toLowerCase().replace(/:/g, ""),
  },
  ca: {
    valid: (v) => CA_KEY.test(v),
    hint: "a CA's subject key identifier in hex (openssl x509 -noout -ext subjectKeyIdentifier): an intermediate's, or the issuer's",
    normalise: (v) => caKey(v) ?? v,
  },
  serial: {
    valid: (v) => ISSUER_SERIAL.test(v),
    hint: "ISSUER_SKI/SERIAL: the issuer's key identifier and the certificate's serial number, in hex",
    normalise: (v) => parseIssuerSerial(v) ?? v,
  },
  email: {
    valid: (v) => canonicalEmail(v) === v,
    hint: "an e-mail address as Access gives it (local@domain, no brackets, trailing dot or invisible characters)",
    // Lower-cased only once it is one (ASCII): JavaScript lower-cases the Kelvin sign to "k", so a spelling the
    // gateway never verifies would otherwise be stored as another person's address (from a generated test).
    normalise: (v) => canonicalEmail(v) ?? v,
  },
  // Any `sub` the gateway verifies on an Access token (worker/identity/access-claims.ts: at most 255 characters of
  // plain text, spaces included): a narrower shape left some people's `sub` impossible to revoke.
  sub: { valid: (v) => v.length <= 255 && isCleanText(v), hint: "the Access token's sub" },
  token: { valid: isServiceTokenId, hint: SERVICE_TOKEN_ID_HINT },
  subject: {
    // The issuer's name as policy names are written (NAME_PATTERN), so a sub with a `/` cannot pass for one. A
    // sub is any text without control characters (a GitHub environment's name may hold spaces).
    valid: (v) => /^[a-z][a-z0-9-]{0,62}\/[^\x00-\x1f\x7f]{1,1024}$/.test(v),
    hint: "ISSUER/SUB: the token issuer's name in identity.tokenIssuers, then the workload token's sub",
  },
};

/**
 * A subject entry names its issuer as the active policy does (identity.tokenIssuers[].name): a misspelt name
 * would be stored and refuse nothing, while the operator believes the workload is cut off.
 */
export function unknownIssuer(policy: CompiledPolicy, value: string): string | undefined {
  const issuer = value.slice(0, value.indexOf("/"));
  const names = (policy.document.identity.tokenIssuers ?? []).map((i) => i.name);
  if (names.includes(issuer)) return undefined;
  return names.length > 0
    ? `subject ${value}: no token issuer "${issuer}" in the active policy (token issuers: ${names.join(", ")})`
    : `subject ${value}: the active policy has no token issuers (identity.tokenIssuers)`;
}

/**
 * A trust domain's own ID (`spiffe://td`) names no workload a certificate or token can carry, so `--spiffe` refuses
 * it as a likely slip for the whole domain; but the fingerprint registry may map a certificate to one, and that
 * workload must be revocable by it too.
 */
function registeredTrustDomainId(policy: CompiledPolicy, match: string, value: string): boolean {
  return (
    match === "spiffe" &&
    isSpiffeId(value) &&
    (policy.document.identity.mtls?.registry ?? []).some((entry) => entry.id === value)
  );
}

/**
 * What Denylist.release answered, in this release's form. An object still running the release before (a gradual
 * deployment, or the seconds after any deploy: one version per object at a time) answers the entry itself; the
 * lift it made is then known by its stamp, this call's instant and caller, as that release's route knew it. Read
 * as this form, its lift was answered 500 and never logged, though the object had made it.
 */
function releaseOf(
  answer: { entry: DenyEntry; changed: boolean } | DenyEntry | undefined,
  who: string,
  now: number,
): { entry: DenyEntry; changed: boolean } | undefined {
  if (!answer || "entry" in answer) return answer;
  return { entry: answer, changed: answer.releasedAt === now && answer.releasedBy === who };
}

/**
 * Denylist.revoke, counted against MAX_REVOCATIONS. An object still running the release before (a gradual
 * deployment, or the seconds after any deploy) has no `revoke`: the revocation is then stored as that release
 * stored it, through `add`, uncapped, rather than refused with a 500 an operator must notice and repeat. Nothing
 * else falls back: `revoke` refused for another reason never reached `add`, so nothing is stored twice.
 */
async function revokeWithin(
  denylist: ReturnType<typeof denylistStore>,
  entry: NewDenyEntry & { kind: "revocation" },
  who: string,
  now: number,
): Promise<RevokeResult> {
  try {
    return await denylist.revoke(entry, who, now);
  } catch (error) {
    if (!lacksMethod(error, "revoke")) throw error;
    return { ok: true, entry: await denylist.add(entry, who, now) };
  }
}

/**
 * Denylist.page. An object still running the release before (a gradual deployment, or the seconds after any
 * deploy) has no `page`: its whole listing is then the one page, as that release answered it. A later page
 * (`after`) cannot be had from it, and is answered as any failure of the store: asked again, a newer object pages.
 */
async function pageWithin(
  denylist: ReturnType<typeof denylistStore>,
  query: PageQuery<DenyEntry["kind"]>,
): Promise<RowPage<DenyEntry>> {
  try {
    return await denylist.page(query);
  } catch (error) {
    if (!lacksMethod(error, "page") || query.after !== undefined) throw error;
    const entries = await denylist.list(query.includeClosed, query.now);
    return { rows: entries.filter((e) => query.kind === undefined || e.kind === query.kind), next: null };
  }
}

const RevokeBody = z.strictObject({
  match: z.enum(["spiffe", "fingerprint", "serial", "ca", "email", "sub", "token", "subject"]),
  // Every isolate copies each entry: no credential Ward verifies is longer (a SPIFFE ID is at most 2,048 bytes).
  // Not trimmed: a workload token's sub may end in a space, and the entry must name the sub the log showed (each
  // other kind's check refuses white space).
  value: z.string().min(1).max(2_200),
  reason: plainText(z.string().trim().min(3, "give the reason").max(500)),
  until: z.iso.datetime({ offset: true }).optional(),
});

export function denylistRoutes(admin: Hono<AdminEnv>): void {
  const denylist = (c: Context<AdminEnv>) => denylistStore(c.env);

  admin.get("/denylist", async (c) => {
    // A filter misspelt must not read as "nobody is revoked" (from a black-box review): refused, as on DELETE.
    const kind = c.req.query("kind");
    if (kind !== undefined && kind !== "revocation" && kind !== "quarantine")
      return c.json({ error: "kind is revocation or quarantine" }, 422);
    const all = listAll(c.req.query("all"));
    if (all === undefined) return c.json({ error: "all is 1 (or left out)" }, 422);
    const page = pageAsked(c, LIST_PAGE_MAX, (text) => (/^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : undefined));
    if (typeof page === "string") return c.json({ error: page }, 422);
    const now = Date.now();
    const { rows, next } = await pageWithin(denylist(c), { includeClosed: all, kind, ...page, now });
    return c.json({ now: new Date(now).toISOString(), entries: rows, next: next === null ? null : String(next) });
  });

  admin.post("/revocations", async (c) => {
    const body = await parseBody(c, RevokeBody);
    if (body instanceof Response) return body;
    const rule = VALUE[body.match];
    const value = rule.normalise ? rule.normalise(body.value) : body.value;
    // White space around a value is a slip for every kind but a token's subject, a workload token's or an Access
    // `sub` (the gateway reads either with white space around it, whatever trim() takes): refused, never trimmed
    // away, whatever the kind's own normalising does (`ca` and `serial` trim hex).
    const padded = body.match !== "subject" && body.match !== "sub" && body.value !== body.value.trim();
    if (padded || (!rule.valid(value) && !registeredTrustDomainId(c.get("policy"), body.match, value)))
      return c.json({ error: `${body.match} ${body.value}: expected ${rule.hint}` }, 422);
    if (body.match === "subject") {
      const unknown = unknownIssuer(c.get("policy"), value);
      if (unknown) return c.json({ error: unknown }, 422);
    }
    const now = Date.now();
    const expiresAt = body.until ? instantMs(body.until) : null;
    if (expiresAt !== null && expiresAt <= now) return c.json({ error: "until is in the past" }, 422);
    const moved = await authorityChanged(c);
    if (moved) return moved;
    const made = await revokeWithin(
      denylist(c),
      { kind: "revocation", match: body.match, value, reason: body.reason, expiresAt },
      c.get("principal"),
      now,
    );
    if (!made.ok)
      return c.json(
        {
          error: `${made.limit.toLocaleString("en-US")} revocations are in force already, the most Ward keeps (every isolate holds them all): lift those no longer needed (ward revoke list, ward revoke lift), or wait for some to expire; nothing revoked`,
        },
        409,
      );
    const entry = made.entry;
    logEvent("warn", "credential-revoked", { requestId: c.get("requestId"), ...entry });
    return c.json({ entry }, 201);
  });

  admin.delete("/denylist/:id", async (c) => {
    // `?kind=`: what the caller means to end (`ward revoke lift` a revocation, `ward quarantine release` a
    // quarantine); an id of the other kind is refused rather than ended by the wrong command.
    const kind = c.req.query("kind");
    if (kind !== undefined && kind !== "revocation" && kind !== "quarantine")
      return c.json({ error: "kind is revocation or quarantine" }, 422);
    const moved = await authorityChanged(c);
    if (moved) return moved;
    const who = c.get("principal");
    const now = Date.now();
    const released = releaseOf(await denylist(c).release(c.req.param("id"), who, now, kind), who, now);
    if (!released) return c.json({ error: "no such entry" }, 404);
    const { entry, changed } = released;
    if (kind !== undefined && entry.kind !== kind)
      return c.json({ error: `${entry.id} is a ${entry.kind}, not a ${kind}: nothing changed` }, 409);
    // One ended before (by another admin, or this one's earlier call) is not logged as ended again.
    if (!changed)
      return c.json({ error: `${entry.id} was already ended by ${entry.releasedBy}: nothing changed`, entry }, 409);
    logEvent("info", entry.kind === "quarantine" ? "quarantine-released" : "revocation-lifted", {
      requestId: c.get("requestId"),
      id: entry.id,
    });
    return c.json({ entry });
  });
}
