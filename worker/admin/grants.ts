// Admin API for time-bounded grants: exceptions (reviewed, owned, with a ticket and an approver) and
// break-glass (an emergency grant for minutes, with a justification, announced to a webhook). Every input is
// checked against the active policy before anything is stored: an unknown service or route, an expiry in
// the past, a duration over the policy's cap or a missing reason changes nothing.
import type { Context, Hono } from "hono";
import * as z from "zod";
import { parseBody, plainText } from "./body.ts";
import { listGrants, serviceParam } from "./grant-listing.ts";
import {
  BREAK_GLASS_MAX_MINUTES,
  durationSeconds,
  instantMs,
  isCleanText,
  isServiceTokenId,
  METHODS,
  namesOnePrincipal,
  PrincipalMatcher,
  SERVICE_TOKEN_ID_HINT,
  type CompiledPolicy,
} from "../../policy/index.ts";
import type { AdminEnv } from "./api.ts";
import type { GrantRecord, NewGrant } from "../grants/store.ts";
import { isVisibleText } from "../../policy/invisible-text.ts";
import { logEvent } from "../log/events.ts";
import { authorityChanged } from "./still-authorised.ts";
import { announcement, notify } from "../shared/notify.ts";
import { grantStore } from "./stores.ts";

const Methods = z.union([z.literal("*"), z.array(z.enum(METHODS)).min(1)]).default("*");
const Routes = z.union([z.literal("*"), z.array(z.string().min(1)).min(1)]).default("*");

const ExceptionBody = z.strictObject({
  principal: PrincipalMatcher,
  service: z.string().min(1),
  routes: Routes,
  methods: Methods,
  reason: plainText(z.string().trim().min(3, "give the reason").max(500)),
  ticket: plainText(z.string().trim().min(1, "give the ticket").max(200)),
  requestedBy: plainText(z.string().trim().min(1).max(200)),
  approvedBy: plainText(z.string().trim().min(1).max(200)),
  notBefore: z.iso.datetime({ offset: true }).optional(),
  notAfter: z.iso.datetime({ offset: true }),
  maxUses: z.int().min(1).max(1_000_000).optional(),
});

const BreakGlassBody = z.strictObject({
  principal: PrincipalMatcher.optional(),
  service: z.string().min(1),
  routes: Routes,
  methods: Methods,
  justification: plainText(z.string().trim().min(10, "say why, in a sentence").max(1000)),
  minutes: z.int().min(1).max(BREAK_GLASS_MAX_MINUTES),
});

type Checked = { ok: true } | { ok: false; error: string };

/** How far ahead a grant may start. */
export const MAX_GRANT_LEAD_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Routes a grant may name one by one; "*" is every route of the service. */
export const MAX_GRANT_ROUTES = 32;
/** A principal's JSON: room for a SPIFFE ID of 2,048 bytes (the SPIFFE standard's most), not for a document. */
export const MAX_GRANT_PRINCIPAL_BYTES = 2_200;

/**
 * Every isolate copies a service's active grants whole (worker/grants/cache.ts): their number is capped in the
 * store, and each one's size here.
 */
function checkSize(grant: NewGrant): Checked {
  if (grant.routes !== "*") {
    if (grant.routes.length > MAX_GRANT_ROUTES)
      return { ok: false, error: `at most ${MAX_GRANT_ROUTES} routes ("*" is all of them)` };
    if (new Set(grant.routes).size !== grant.routes.length) return { ok: false, error: "a route is listed twice" };
  }
  if (grant.methods !== "*" && new Set(grant.methods).size !== grant.methods.length)
    return { ok: false, error: "a method is listed twice" };
  // As policy text (policy/invisible-text.ts): an approver reads the grant in `ward exceptions list` and a webhook,
  // where `s\u200Bre` shows as `sre` and names another group (from a black-box review).
  if (!Object.values(grant.principal).every((v) => typeof v !== "string" || (isCleanText(v) && isVisibleText(v))))
    return {
      ok: false,
      error:
        "the principal must not hold characters a reader cannot see: control, line-separator, bidirectional or " +
        "zero-width ones",
    };
  if ("group" in grant.principal && grant.principal.group !== grant.principal.group.trim())
    return { ok: false, error: "the group name has white space around it" };
  if (new TextEncoder().encode(JSON.stringify(grant.principal)).length > MAX_GRANT_PRINCIPAL_BYTES)
    return { ok: false, error: `the principal is longer than ${MAX_GRANT_PRINCIPAL_BYTES} bytes` };
  return { ok: true };
}

/** The checks every grant passes against the active policy, whoever asks for it. */
function checkGrant(policy: CompiledPolicy, grant: NewGrant, now: number, capSeconds: number): Checked {
  const service = Object.hasOwn(policy.document.services, grant.service)
    ? policy.document.services[grant.service]
    : undefined;
  if (!service)
    return {
      ok: false,
      error: `unknown service "${grant.service}" (services: ${Object.keys(policy.document.services).join(", ")})`,
    };
  const sized = checkSize(grant);
  if (!sized.ok) return sized;
  if (grant.routes !== "*") {
    const known = service.routes.map((r) => r.id);
    const unknown = grant.routes.filter((r) => !known.includes(r));
    if (unknown.length > 0)
      return {
        ok: false,
        error: `unknown route ${unknown.join(", ")} in ${grant.service} (routes: ${known.join(", ")})`,
      };
  }
  if (grant.notAfter <= now) return { ok: false, error: "notAfter is in the past" };
  // Approved for a need that exists now: one that starts months ahead would be honoured under whatever the
  // policy, the routes and the people have become by then, with nobody looking at it again.
  if (grant.notBefore - now > MAX_GRANT_LEAD_DAYS * DAY_MS)
    return { ok: false, error: `notBefore is more than ${MAX_GRANT_LEAD_DAYS} days ahead: ask nearer the time` };
  if (grant.notAfter <= grant.notBefore) return { ok: false, error: "notAfter must be after notBefore" };
  if (grant.notAfter - Math.max(grant.notBefore, now) > capSeconds * 1000) {
    return { ok: false, error: `longer than the policy allows (${capSeconds / 3600} h for this kind of grant)` };
  }
  // One named principal: a set, a domain, a prefix or a claim would admit whoever they come to cover
  // (a set is expanded per request, so a later push could widen a grant nobody reviewed again).
  if (!namesOnePrincipal(grant.principal)) {
    return {
      ok: false,
      error: "a grant names one principal: a SPIFFE ID, an e-mail, a service token or an Access group",
    };
  }
  // A grant to a name no token is read as would be stored, listed and honoured for nobody.
  if ("serviceToken" in grant.principal && !isServiceTokenId(grant.principal.serviceToken))
    return { ok: false, error: `serviceToken ${grant.principal.serviceToken}: expected ${SERVICE_TOKEN_ID_HINT}` };
  return { ok: true };
}

async function create(c: Context<AdminEnv>, grant: NewGrant, capSeconds: number): Promise<Response | GrantRecord> {
  const now = Date.now();
  const checked = checkGrant(c.get("policy"), grant, now, capSeconds);
  if (!checked.ok) return c.json({ error: checked.error }, 422);
  const moved = await authorityChanged(c);
  if (moved) return moved;
  const created = await grantStore(c.env, grant.service).create(grant, c.get("principal"), now);
  if (!created.ok) {
    const kind = grant.kind === "break-glass" ? "break-glass grants" : "exceptions";
    return c.json(
      {
        error: `${grant.service} already has ${created.limit} ${kind} in force (active, or used up and not yet expired), the most it may have: revoke those no longer needed (ward exceptions list, ward breakglass list), or change the policy`,
      },
      409,
    );
  }
  const record = created.record;
  logEvent("info", grant.kind === "break-glass" ? "break-glass-granted" : "exception-granted", {
    requestId: c.get("requestId"),
    ...record,
  });
  return record;
}

const RevokeReason = plainText(z.string().trim().max(500, "the reason is longer than 500 characters"));

/** A grant's history: created, used, revoked. */
async function grantEvents(c: Context<AdminEnv, "/grants/:service/:id/events">): Promise<Response> {
  const service = serviceParam(c, c.req.param("service"));
  if (service instanceof Response) return service;
  return c.json({ events: await grantStore(c.env, service!).events(c.req.param("id")) });
}

/** A reviewed exception: capped by the policy's exceptions.maxDuration. */
async function grantException(c: Context<AdminEnv>): Promise<Response> {
  const body = await parseBody(c, ExceptionBody);
  if (body instanceof Response) return body;
  const { notBefore, notAfter, maxUses, ...rest } = body;
  const now = Date.now();
  const grant: NewGrant = {
    ...rest,
    kind: "exception",
    // A start in the past is now: the grant holds from its creation, and a backdated one would show a window
    // longer than the cap (in the log, `ward reach --grants`, and the age `ward metrics` reports).
    notBefore: notBefore ? Math.max(instantMs(notBefore), now) : now,
    notAfter: instantMs(notAfter),
    ...(maxUses !== undefined ? { maxUses } : {}),
  };
  const record = await create(c, grant, durationSeconds(c.get("policy").document.exceptions.maxDuration));
  return record instanceof Response ? record : c.json({ grant: record }, 201);
}

/**
 * Break-glass: the caller approves their own grant, so it is short (exceptions.breakGlassMaxDuration) and
 * announced, for others to see and question.
 */
async function grantBreakGlass(c: Context<AdminEnv>): Promise<Response> {
  const body = await parseBody(c, BreakGlassBody);
  if (body instanceof Response) return body;
  const now = Date.now();
  // Without a principal, the emergency grant is for whoever asks for it.
  const principal = body.principal ?? principalOf(c);
  if (!principal) return c.json({ error: "name the principal: the caller has no single identity to grant" }, 422);
  const grant: NewGrant = {
    kind: "break-glass",
    principal,
    service: body.service,
    routes: body.routes,
    methods: body.methods,
    reason: body.justification,
    ticket: "break-glass",
    requestedBy: c.get("principal"),
    approvedBy: c.get("principal"),
    notBefore: now,
    notAfter: now + body.minutes * 60_000,
  };
  const record = await create(c, grant, durationSeconds(c.get("policy").document.exceptions.breakGlassMaxDuration));
  if (record instanceof Response) return record;
  const text = announcement`Break-glass on ${record.service} for ${JSON.stringify(record.principal)} by ${record.createdBy} until ${new Date(record.notAfter).toISOString()}: ${record.reason}`;
  // Announced without delaying the answer; a failed announcement is logged, the grant stands.
  c.executionCtx.waitUntil(notify(c.env, text, { grant: record }));
  return c.json({ grant: record }, 201);
}

/**
 * What Grants.revoke answered, in this release's form. An object still running the release before (a gradual
 * deployment, or the seconds after any deploy: one version per object at a time) answers the record itself;
 * whether this call ended it is then in the grant's history, an event of this caller at this instant. Read as
 * this form, its revocation was answered 500 and neither logged nor announced, though the object had made it.
 */
async function revokedOf(
  store: { events(grantId?: string): Promise<{ action: string; who: string; at: number }[]> },
  answer: { record: GrantRecord; changed: boolean } | GrantRecord | undefined,
  who: string,
  now: number,
): Promise<{ record: GrantRecord; changed: boolean } | undefined> {
  if (!answer || "changed" in answer) return answer;
  const events = await store.events(answer.id);
  return { record: answer, changed: events.some((e) => e.action === "revoked" && e.who === who && e.at === now) };
}

/** Ends a grant now, with who revoked it and why in its history and the log. */
async function revokeGrant(c: Context<AdminEnv, "/grants/:service/:id">): Promise<Response> {
  const service = serviceParam(c, c.req.param("service"));
  if (service instanceof Response) return service;
  const reason = RevokeReason.safeParse(c.req.query("reason") ?? "");
  if (!reason.success) return c.json({ error: reason.error.issues[0]!.message }, 400);
  const moved = await authorityChanged(c);
  if (moved) return moved;
  const store = grantStore(c.env, service!);
  const who = c.get("principal");
  const now = Date.now();
  const revoked = await revokedOf(store, await store.revoke(c.req.param("id"), who, reason.data, now), who, now);
  if (!revoked) return c.json({ error: "no such grant" }, 404);
  const record = revoked.record;
  // Already ended (revoked, by this admin or another, or expired): not logged as a revocation this caller made.
  if (!revoked.changed)
    return c.json({ error: `${record.id} is already ${record.status}: nothing changed`, grant: record }, 409);
  logEvent("info", "grant-revoked", {
    requestId: c.get("requestId"),
    id: record.id,
    service: record.service,
    reason: reason.data,
  });
  return c.json({ grant: record });
}

export function grantRoutes(admin: Hono<AdminEnv>): void {
  admin.get("/grants", listGrants);
  admin.get("/grants/:service/:id/events", grantEvents);
  admin.post("/exceptions", grantException);
  admin.post("/breakglass", grantBreakGlass);
  admin.delete("/grants/:service/:id", revokeGrant);
}

/** The caller as a principal matcher: a person by e-mail, a service token by id, a workload by SPIFFE ID (its certificate's or its token's). */
function principalOf(c: Context<AdminEnv>): PrincipalMatcher | undefined {
  const identity = c.get("identity");
  if (identity.user) return { email: identity.user.email };
  if (identity.serviceToken) return { serviceToken: identity.serviceToken.clientId };
  const workload = identity.workload?.id ?? identity.workloadToken?.spiffeId;
  if (workload !== undefined) return { spiffe: workload };
  return undefined;
}
