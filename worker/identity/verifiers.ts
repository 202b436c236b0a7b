// One AccessVerifier (and AccessDirectory) per isolate and Access configuration: its key set and verified-token cache live as
// long as the isolate, never per request.
import { AccessDirectory } from "./access-directory.ts";
import { AccessVerifier, type AccessConfig } from "./access-jwt.ts";

const verifiers = new Map<string, AccessVerifier>();

export function accessVerifier(config: AccessConfig): AccessVerifier {
  const key = `${config.teamDomain} ${config.audiences.join(",")}`;
  let verifier = verifiers.get(key);
  if (!verifier) verifiers.set(key, (verifier = new AccessVerifier(config)));
  return verifier;
}

const directories = new Map<string, AccessDirectory>();

export function accessDirectory(teamDomain: string): AccessDirectory {
  let directory = directories.get(teamDomain);
  if (!directory) directories.set(teamDomain, (directory = new AccessDirectory(teamDomain)));
  return directory;
}
