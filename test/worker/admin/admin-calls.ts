// The admin API called as the admin tests call it in workerd: a signed Access token for the caller, the request
// through the Worker's own paths with the bindings a test gives, and its waitUntil work waited on.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import type { Env } from "../../../worker/env.ts";
import { app } from "../../../worker/own-paths.ts";
import { accessToken } from "../support/access-tokens.ts";

const ADMIN = "https://ward.localhost/.ward/admin";

/** Calls of the admin API whose tokens carry the identity nonce `${nonce}-${email}` (it keys a directory cache). */
export function adminCaller(nonce: string) {
  return async (email: string, path: string, init: RequestInit = {}, e = env as unknown as Env) => {
    const headers = new Headers(init.headers);
    const token = await accessToken(inject("accessPrivateJwk"), { email, identity_nonce: `${nonce}-${email}` });
    headers.set("cf-access-jwt-assertion", token);
    if (init.body) headers.set("content-type", "application/json");
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${ADMIN}${path}`, { ...init, headers }), e, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}
