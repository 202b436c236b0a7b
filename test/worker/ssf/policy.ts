// The policy the security-event tests run under: a wiki whose /secure needs a compliant device and /editors the
// wiki-editors group, and three transmitters: "idp" (remote key set, every event) and "narrow" (the same key
// inline, session-revoked only), and "poller" (the same key, polled as RFC 8936 says, declaring the complex
// subject members user and tenant critical).
import type { JWK } from "jose";
import { AUDIENCE, ISSUER } from "../support/transmitter.ts";

export const POLL_ISSUER = "https://poll.example.com/";

export function ssfPolicy(inlineKey: JWK): string {
  return `
version: 1
metadata: { environment: dev, owners: [security@example.com] }
identity:
  access:
    teamDomain: https://ward-demo.cloudflareaccess.com
    audiences: ["4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"]
sharedSignals:
  audience: ${AUDIENCE}
  holdFor: 1h
  transmitters:
    idp:
      issuer: ${ISSUER}
      jwksUri: https://transmitter.ward-demo.test/jwks.json
      algorithms: [ES256]
      events: [session-revoked, credential-change, token-claims-change, device-compliance-change,
               account-disabled, account-enabled, account-purged, credential-compromise]
      # The specifications' examples name people by iss_sub of these issuers.
      subIssuers: ["${ISSUER}", "https://idp.example.com/123456789/", "https://idp.example.com/3456789/",
                   "https://idp.example.com/3456790/", "https://idp.example.com/3957ea72-1b66-44d6-a044-d805712b9288/"]
    narrow:
      issuer: https://narrow.example.com/
      jwks: { keys: [${JSON.stringify(inlineKey)}] }
      algorithms: [ES256]
      events: [session-revoked]
    poller:
      issuer: ${POLL_ISSUER}
      jwks: { keys: [${JSON.stringify(inlineKey)}] }
      algorithms: [ES256]
      events: [session-revoked, account-disabled]
      criticalSubjectMembers: [user, tenant]
      poll: { endpoint: https://poll.ward-demo.test/poll, authorization: SSF_POLL_AUTHORIZATION, maxEvents: 2 }
services:
  wiki:
    hosts: [wiki.localhost]
    origin: { tunnel: WIKI }
    owner: it@example.com
    routes:
      - id: secure
        methods: [GET]
        pathPrefix: /secure
        rules:
          - { id: compliant, effect: allow, principals: [{ authenticated: true }], when: { devicePosture: [disk-encryption] } }
      - id: editors
        methods: [GET]
        pathPrefix: /editors
        rules:
          - { id: editors, effect: allow, principals: [{ group: wiki-editors }] }
      - id: read
        methods: [GET, HEAD]
        pathPrefix: /
        rules:
          - { id: people, effect: allow, principals: [{ authenticated: true }] }
`;
}
