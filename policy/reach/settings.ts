// The settings beside the routes that decide access too: who may use the admin API, where identities come
// from (certificates, Access, workload tokens: token-settings.ts), which identity pairs a binding admits. `diffReach` lists any entry NEW adds as a possible widening.
import { normaliseHex } from "../identity.ts";
import { expandMatchers } from "../principals.ts";
import type { PolicyDocument } from "../schema.ts";
import type { ReachSettings } from "./model.ts";
import { principalName } from "./principals.ts";
import { compare, unique } from "./sort.ts";
import { tokenSources } from "./token-settings.ts";

export function settingsOf(doc: PolicyDocument): ReachSettings {
  const pairs = Object.entries(doc.identityBindings).flatMap(([name, list]) =>
    list.map((p) => `binding ${name}: ${p.workload} & ${p.access.includes("@") ? p.access.toLowerCase() : p.access}`),
  );
  const admins = doc.admin ? unique(expandMatchers(doc.admin.principals, doc.principalSets).map(principalName)) : [];
  return {
    admins: admins.sort(compare),
    identitySources: unique(identitySources(doc)).sort(compare),
    bindingPairs: unique(pairs).sort(compare),
  };
}

function identitySources(doc: PolicyDocument): string[] {
  const mtls = doc.identity.mtls;
  const access = doc.identity.access;
  const readsSpiffe = mtls !== undefined && mtls.spiffe !== false;
  return [
    ...(mtls?.issuers ?? []).flatMap((pin) => {
      const issuer = "ski" in pin ? `mTLS issuer SKI ${normaliseHex(pin.ski)}` : `mTLS issuer DN ${pin.dn}`;
      // A trust domain bound to an issuer is one more set of identities that CA may mint (while SPIFFE IDs are
      // read); a pin that names none may mint the policy's metadata.trustDomains (worker/identity/mtls.ts).
      const domains = readsSpiffe
        ? (pin.trustDomains ?? doc.metadata.trustDomains).map((domain) => `${issuer} for trust domain ${domain}`)
        : [];
      return [issuer, ...domains];
    }),
    ...(mtls?.registry ?? []).map((e) => `mTLS registry ${normaliseHex(e.fingerprintSha256)} -> ${e.id}`),
    ...(readsSpiffe ? ["mTLS SPIFFE IDs from certificates"] : []),
    ...(access
      ? [
          `Access team ${access.teamDomain}`,
          ...access.audiences.map((a) => `Access audience ${a}`),
          // A longer lifetime or age admits tokens that were refused before: a change a diff must show.
          `Access token lifetime up to ${access.maxTokenLifetime} (people), ${access.serviceTokenMaxLifetime} (service tokens)`,
          `Access token age up to ${access.maxTokenAge ?? "its lifetime"}`,
        ]
      : []),
    ...tokenSources(doc),
  ];
}
