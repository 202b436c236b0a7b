// One AccessVerifier per isolate and Access configuration: its key set and verified-token cache live as
// long as the isolate, never per request.
import { AccessVerifier, type AccessConfig } from "./access-jwt.ts";

const verifiers = new Map<string, AccessVerifier>();

export function accessVerifier(config: AccessConfig): AccessVerifier {
  const key = `${config.teamDomain} ${config.audiences.join(",")} ${config.jwksUrl ?? ""}`;
  let verifier = verifiers.get(key);
  if (!verifier) verifiers.set(key, (verifier = new AccessVerifier(config)));
  return verifier;
}
