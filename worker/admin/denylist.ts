// Admin API for the denylist: revoke a credential (refused at once, whatever its expiry), list revocations
// and quarantines, and release either. Bad input changes nothing.
import type { Context, Hono } from "hono";
import { z } from "zod";
import { parseBody } from "./body.ts";
import type { AdminEnv } from "./api.ts";
import { DENYLIST_NAME, type MatchKind } from "../denylist/store.ts";
import { ISSUER_SERIAL, parseIssuerSerial, type CompiledPolicy } from "../../policy/index.ts";
import { logEvent } from "../log/events.ts";

/** How each kind of credential is written, so a typo is refused rather than stored as a no-op. */
const VALUE: Record<
  Exclude<MatchKind, "principal">,
  { pattern: RegExp; hint: string; normalise?: (v: string) => string }
> = {
  spiffe: { pattern: /^spiffe:\/\/[^/\s]+(\/\S*)?$/, hint: "spiffe://trust-domain/path" },
  fingerprint: {
    pattern: /^[0-9a-f]{64}$/,
    hint: "the certificate's SHA-256, 64 hex digits",
    normalise: (v) => v.toLowerCase().replace(/:/g, ""),
  },
  serial: {
    pattern: ISSUER_SERIAL,
    hint: "ISSUER_SKI/SERIAL: the issuer's key identifier and the certificate's serial number, in hex",
    normalise: (v) => parseIssuerSerial(v) ?? v,
  },
  email: { pattern: /^[^\s@]+@[^\s@]+$/, hint: "an e-mail address", normalise: (v) => v.toLowerCase() },
  sub: { pattern: /^\S{1,200}$/, hint: "the Access token's sub" },
  token: { pattern: /^\S{1,200}$/, hint: "the service token's client id" },
  subject: {
    // The issuer's name as policy names are written (NAME_PATTERN), so a sub with a `/` cannot pass for one. A
    // sub is any text without control characters (a GitHub environment's name may hold spaces).
    pattern: /^[a-z][a-z0-9-]{0,62}\/[^\x00-\x1f\x7f]{1,1024}$/,
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

const RevokeBody = z.strictObject({
  match: z.enum(["spiffe", "fingerprint", "serial", "email", "sub", "token", "subject"]),
  value: z.string().trim().min(1),
  reason: z.string().trim().min(3, "give the reason").max(500),
  until: z.iso.datetime({ offset: true }).optional(),
});

export function denylistRoutes(admin: Hono<AdminEnv>): void {
  const denylist = (c: Context<AdminEnv>) => c.env.DENYLIST.getByName(DENYLIST_NAME);

  admin.get("/denylist", async (c) => {
    const kind = c.req.query("kind");
    const entries = (await denylist(c).list(c.req.query("all") === "1", Date.now())).filter(
      (e) => !kind || e.kind === kind,
    );
    return c.json({ now: new Date().toISOString(), entries });
  });

  admin.post("/revocations", async (c) => {
    const body = await parseBody(c, RevokeBody);
    if (body instanceof Response) return body;
    const rule = VALUE[body.match];
    const value = rule.normalise ? rule.normalise(body.value) : body.value;
    if (!rule.pattern.test(value)) return c.json({ error: `${body.match} ${body.value}: expected ${rule.hint}` }, 422);
    if (body.match === "subject") {
      const unknown = unknownIssuer(c.get("policy"), value);
      if (unknown) return c.json({ error: unknown }, 422);
    }
    const now = Date.now();
    const expiresAt = body.until ? Date.parse(body.until) : null;
    if (expiresAt !== null && expiresAt <= now) return c.json({ error: "until is in the past" }, 422);
    const entry = await denylist(c).add(
      { kind: "revocation", match: body.match, value, reason: body.reason, expiresAt },
      c.get("principal"),
      now,
    );
    logEvent("warn", "credential-revoked", { requestId: c.get("requestId"), ...entry });
    return c.json({ entry }, 201);
  });

  admin.delete("/denylist/:id", async (c) => {
    const entry = await denylist(c).release(c.req.param("id"), c.get("principal"), Date.now());
    if (!entry) return c.json({ error: "no such entry" }, 404);
    logEvent("info", entry.kind === "quarantine" ? "quarantine-released" : "revocation-lifted", {
      requestId: c.get("requestId"),
      id: entry.id,
    });
    return c.json({ entry });
  });
}
