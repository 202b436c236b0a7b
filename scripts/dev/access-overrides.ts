// `ward dev --access-team-domain/--access-aud`: run a policy against another Access team or application
// (a test issuer, a staging team) without editing the file. The result is validated like any policy.
import { parsePolicyText } from "../../policy/index.ts";

export interface AccessOverrides {
  teamDomain?: string;
  audiences?: string[];
}

/** The policy text with identity.access replaced as asked; unchanged when nothing is asked. */
export function withAccessOverrides(text: string, overrides: AccessOverrides): string {
  if (!overrides.teamDomain && !overrides.audiences?.length) return text;
  const parsed = parsePolicyText(text);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== "object") return text; // validation reports it
  const document = parsed.value as { identity?: { access?: Record<string, unknown> } };
  const access = { ...(document.identity?.access ?? {}) };
  if (overrides.teamDomain) access.teamDomain = overrides.teamDomain;
  if (overrides.audiences?.length) access.audiences = overrides.audiences;
  return JSON.stringify({ ...document, identity: { ...(document.identity ?? {}), access } }, null, 2);
}
