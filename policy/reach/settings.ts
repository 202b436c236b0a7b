// The settings beside the routes that decide access too: who may use the admin API, where identities come
// from and how long their tokens count (certificates, Access, workload tokens: token-settings.ts), which
// identity pairs a binding admits (and which rules name which binding), and each service's hosts, origin,
// mode, certificate requirement and forwarded headers. `diffReach` compares them (diff-settings.ts).
import { durationSeconds } from "../duration.ts";
import { normaliseHex } from "../identity.ts";
import { issuerKeyText, readIssuerCertificate } from "../issuer-certificate.ts";
import { expandMatchers } from "../principals.ts";
import type { PolicyDocument } from "../schema.ts";
import { DEFAULT_MAX_POSTURE_AGE } from "../posture-age.ts";
import { requiresCertificate } from "./certificate.ts";
import { decidingTerms } from "./deciding-terms.ts";
import type { ReachSettings, ServiceSettings, TokenLimits } from "./model.ts";
import { principalName } from "./principals.ts";
import { compare, unique } from "./sort.ts";
import { tokenSources } from "./token-settings.ts";

export function settingsOf(doc: PolicyDocument): ReachSettings {
  const pairs = Object.entries(doc.identityBindings).flatMap(([name, list]) =>
    list.map((p) => `binding ${name}: ${p.workload} & ${p.access.includes("@") ? p.access.toLowerCase() : p.access}`),
  );
  const admins = doc.admin ? unique(expandMatchers(doc.admin.principals, doc.principalSets).map(principalName)) : [];
  const limits = tokenLimits(doc);
  return {
    admins: admins.sort(compare),
    identitySources: unique(identitySources(doc)).sort(compare),
    ...(limits ? { tokenLimits: limits } : {}),
    bindingPairs: unique(pairs).sort(compare),
    bindingsNamed: { allow: bindingsNamed(doc, "allow"), deny: bindingsNamed(doc, "deny") },
    services: new Map(Object.keys(doc.services).map((name) => [name, serviceSettings(doc, name)])),
    securityEvents: securityEvents(doc),
  };
}

/** One line per fact of each trusted transmitter: `ward diff` lists what a push changes in them. */
function securityEvents(doc: PolicyDocument): string[] {
  const signals = doc.sharedSignals;
  if (!signals) return [];
  const lines = [`audience ${signals.audience}`];
  // How long an event refuses its subject: shorter, a person is let in sooner after the next one.
  if (signals.holdFor !== undefined) lines.push(`hold for ${signals.holdFor}`);
  const sorted = (list: readonly string[]) => [...list].sort(compare).join(", ");
  for (const [name, t] of Object.entries(signals.transmitters)) {
    const at = `transmitter ${name}`;
    lines.push(`${at}: issuer ${t.issuer}`, `${at}: events ${sorted(t.events)}`);
    lines.push(t.jwksUri ? `${at}: keys from ${t.jwksUri}` : `${at}: keys inline ${JSON.stringify(t.jwks)}`);
    if (t.algorithms !== undefined) lines.push(`${at}: algorithms ${sorted(t.algorithms)}`);
    if (t.subIssuers !== undefined) lines.push(`${at}: subject issuers ${sorted(t.subIssuers)}`);
    if (t.authorization !== undefined) lines.push(`${at}: pushes carry the secret ${t.authorization}`);
    if (t.criticalSubjectMembers !== undefined)
      lines.push(`${at}: critical subject members ${sorted(t.criticalSubjectMembers)}`);
    if (t.poll) lines.push(`${at}: poll ${t.poll.endpoint} with ${t.poll.authorization}`);
  }
  return lines.sort(compare);
}

function bindingsNamed(doc: PolicyDocument, effect: "allow" | "deny"): string[] {
  const names = Object.values(doc.services).flatMap((s) =>
    s.routes.flatMap((r) =>
      r.rules.flatMap((rule) => (rule.effect === effect && rule.bothFactors ? [rule.bothFactors.binding] : [])),
    ),
  );
  return unique(names).sort(compare);
}

function serviceSettings(doc: PolicyDocument, name: string): ServiceSettings {
  const service = doc.services[name]!;
  const lower = (headers: readonly string[] | undefined) => (headers ?? []).map((h) => h.toLowerCase());
  const forwardHeaders = new Map(
    service.routes.map((route) => [
      `${name}/${route.id}`,
      unique([...lower(service.forwardHeaders), ...lower(route.forwardHeaders)]).sort(compare),
    ]),
  );
  return {
    hosts: [...service.hosts].sort(compare),
    origin:
      typeof service.origin === "string"
        ? service.origin
        : "tunnel" in service.origin
          ? `tunnel ${service.origin.tunnel}`
          : `url ${service.origin.url}`,
    mode: service.mode,
    hide: service.hide,
    caseInsensitivePaths: service.caseInsensitivePaths ?? false,
    requireCertificate: requiresCertificate(doc, name),
    forwardHeaders,
    // `websocket: {}` (limits only) allows upgrades too; only `false` or nothing does not.
    websockets: new Set(
      service.routes.filter((r) => r.websocket !== undefined && r.websocket !== false).map((r) => `${name}/${r.id}`),
    ),
    websocketLimits: new Map(
      service.routes.flatMap((r) =>
        r.websocket === undefined || r.websocket === false
          ? []
          : [[`${name}/${r.id}`, websocketLimitsText(r.websocket)]],
      ),
    ),
    deciding: new Map(service.routes.map((route) => [`${name}/${route.id}`, decidingTerms(doc, route)])),
  };
}

/** A route's own WebSocket limits, in a fixed order; those it leaves out are the gateway's. */
function websocketLimitsText(
  setting: NonNullable<PolicyDocument["services"][string]["routes"][number]["websocket"]>,
): string {
  if (setting === true || setting === false) return "the gateway's defaults";
  const own = [
    setting.maxMessageBytes !== undefined ? `maxMessageBytes ${setting.maxMessageBytes}` : "",
    setting.maxBytesPerSecond !== undefined ? `maxBytesPerSecond ${setting.maxBytesPerSecond}` : "",
    setting.idleTimeout !== undefined ? `idleTimeout ${setting.idleTimeout}` : "",
  ].filter(Boolean);
  return own.length > 0 ? own.join(", ") : "the gateway's defaults";
}

function tokenLimits(doc: PolicyDocument): TokenLimits | undefined {
  const access = doc.identity.access;
  if (!access) return undefined;
  return {
    lifetime: durationSeconds(access.maxTokenLifetime),
    serviceTokenLifetime: durationSeconds(access.serviceTokenMaxLifetime),
    ...(access.maxTokenAge !== undefined ? { age: durationSeconds(access.maxTokenAge) } : {}),
    postureAge: durationSeconds(access.maxPostureAge ?? DEFAULT_MAX_POSTURE_AGE),
  };
}

/** A DN is free text: quoted when it holds " for trust domain " (or a quote), so no pin's line reads as another's. */
const dnText = (dn: string): string =>
  dn.includes(" for trust domain ") || dn.includes('"') ? JSON.stringify(dn) : dn;

/** A certificate pin by its key (a new key under the same SKI is another CA); one that does not read, by its text. */
function certificatePinText(pem: string): string {
  const read = readIssuerCertificate(pem);
  return read.ok
    ? `mTLS issuer certificate SKI ${read.certificate.ski} key ${issuerKeyText(read.certificate)}`
    : `mTLS issuer certificate (unreadable) ${JSON.stringify(pem.trim())}`;
}

/** What a certificate pin reached through intermediates the client sends (worker/identity/certificate-chain.ts) takes. */
const intermediatesText = (issuer: string, intermediates: number): string[] =>
  Array.from({ length: intermediates }, (_, i) => `${issuer} through ${i + 1} intermediate CA${i === 0 ? "" : "s"}`);

function identitySources(doc: PolicyDocument): string[] {
  const mtls = doc.identity.mtls;
  const access = doc.identity.access;
  const readsSpiffe = mtls !== undefined && mtls.spiffe !== false;
  return [
    ...(mtls?.issuers ?? []).flatMap((pin) => {
      const issuer =
        "ski" in pin
          ? `mTLS issuer SKI ${normaliseHex(pin.ski)}`
          : "dn" in pin
            ? `mTLS issuer DN ${dnText(pin.dn)}`
            : certificatePinText(pin.certificate);
      // A trust domain bound to an issuer is one more set of identities that CA may mint (while SPIFFE IDs are
      // read); a pin that names none may mint the policy's metadata.trustDomains (worker/identity/mtls.ts).
      const domains = readsSpiffe
        ? (pin.trustDomains ?? doc.metadata.trustDomains).map((domain) => `${issuer} for trust domain ${domain}`)
        : [];
      // A line per number of intermediates the pin may be reached through: allowing one more adds a line.
      const reached = "certificate" in pin ? intermediatesText(issuer, pin.intermediates ?? 0) : [];
      return [issuer, ...reached, ...domains];
    }),
    ...(mtls?.registry ?? []).map((e) => `mTLS registry ${normaliseHex(e.fingerprintSha256)} -> ${e.id}`),
    ...(readsSpiffe ? ["mTLS SPIFFE IDs from certificates"] : []),
    ...(access ? [`Access team ${access.teamDomain}`, ...access.audiences.map((a) => `Access audience ${a}`)] : []),
    ...tokenSources(doc),
  ];
}
