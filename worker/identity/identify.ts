// Builds the caller's Identity from verified facts only. It never denies: a missing or invalid credential
// just leaves that part of the identity empty, and the policy decides.
import type { CompiledPolicy, Identity } from "../../policy/index.ts";
import { logEvent } from "../log.ts";
import { accessTokenOf } from "./access-token.ts";
import { accessVerifier } from "./verifiers.ts";

export async function identify(request: Request, policy: CompiledPolicy, now: number, requestId: string): Promise<Identity> {
  const identity: Identity = {};
  const access = policy.document.identity.access;
  const token = access ? accessTokenOf(request) : undefined;
  if (access && token) {
    const result = await accessVerifier(access).verify(token, now);
    if (result.ok) Object.assign(identity, result.identity);
    else logEvent("warn", "access-token-rejected", { requestId, problem: result.problem });
  }
  return identity;
}
