// The curl commands `npm start` prints for the demo policy, as data: each says what it should answer, and
// a test runs every one of them against a real local gateway, so the printed promises stay true.
import type { Persona } from "./local-gateway.ts";
import { ISSUER_HOST } from "./access-issuer.ts";
import { WORKLOAD_ISSUER_HOST } from "./workload-issuer.ts";

export interface DemoCommand {
  command: string;
  /** The status the demo gateway answers. */
  expect: number;
  note: string;
}

/** One-click identities on the demo's sign-in page, one per kind of answer the wiki gives. */
export const DEMO_PERSONAS: Persona[] = [
  { email: "alice@example.com", groups: [] },
  { email: "editor@example.com", groups: ["wiki-editors"] },
  { email: "sre@example.com", groups: ["sre"] },
  { email: "mallory@contractor.test", groups: [] },
];

/** A demo host's URL on the local gateway's port. */
type At = (host: string) => string;

/** Workloads with a client certificate, and callers with no identity at all. */
function workloadAndAnonymousCommands(at: At, certs: Record<string, string>): DemoCommand[] {
  return [
    {
      command: `curl -i -H @${certs.checkout} ${at("orders.localhost")}/v1/orders/42`,
      expect: 200,
      note: "checkout workload (client certificate) reads an order",
    },
    {
      command: `curl -i -H @${certs.checkout} ${at("orders.localhost")}/admin/users`,
      expect: 403,
      note: "checkout workload on /admin, origin never called",
    },
    {
      command: `curl -i ${at("payments.localhost")}/healthz`,
      expect: 200,
      note: "public route, forwarded to the demo app",
    },
    {
      command: `curl -i -X POST ${at("payments.localhost")}/v1/charge`,
      expect: 401,
      note: "no identity, origin never called",
    },
    {
      command: `curl -i ${at("payments.localhost")}/v1/unknown`,
      expect: 401,
      note: "hidden service: no route is revealed to an unauthenticated caller",
    },
    {
      command: `curl -i -X POST ${at("payments.localhost")}/v1%2Fcharge`,
      expect: 400,
      note: "ambiguous path (encoded /)",
    },
    { command: `curl -i ${at("nothing.localhost")}/`, expect: 404, note: "no such service" },
  ];
}

/**
 * A workload with a token from the local SPIRE (workload-issuer.ts): a 5-minute JWT-SVID for the checkout
 * workload, minted for payments with the scope its charge rule asks for, fetched afresh by each command. The
 * same token at orders counts for nothing there: it names payments' audience, not orders'.
 */
function workloadTokenCommands(at: At): DemoCommand[] {
  const svid = (aud: string, scope?: string) =>
    `-H "Authorization: Bearer $(curl -s '${at(WORKLOAD_ISSUER_HOST)}/dev-svid?spiffe=spiffe://demo.ward.internal/ns/shop/sa/checkout&aud=${aud}${scope ? `&scope=${scope}` : ""}')"`;
  const forPayments = svid("https://payments.localhost", "payments:charge");
  return [
    {
      command: `curl -i -X POST ${forPayments} ${at("payments.localhost")}/v1/charge`,
      expect: 200,
      note: "checkout workload (JWT-SVID for payments, scope payments:charge) charges",
    },
    {
      command: `curl -i ${forPayments} ${at("orders.localhost")}/v1/orders/42`,
      expect: 401,
      note: "the same token at orders: minted for payments, no credential there, origin never called",
    },
  ];
}

/** People, each with an Access token from the local sign-in (`groups` as get-identity would give them). */
function personCommands(at: At): DemoCommand[] {
  const as = (email: string, groups = "") =>
    `-H "cf-access-jwt-assertion: $(curl -s '${at(ISSUER_HOST)}/cdn-cgi/access/dev-token?email=${email}${groups ? `&groups=${groups}` : ""}')"`;
  return [
    {
      command: `curl -i ${as("alice@example.com")} ${at("wiki.localhost")}/handbook`,
      expect: 200,
      note: "an employee reads the wiki",
    },
    {
      command: `curl -i -X POST ${as("alice@example.com")} ${at("wiki.localhost")}/handbook`,
      expect: 403,
      note: "editing needs the wiki-editors group",
    },
    {
      command: `curl -i -X POST ${as("editor@example.com", "wiki-editors")} ${at("wiki.localhost")}/handbook`,
      expect: 200,
      note: "a wiki editor edits (groups from get-identity)",
    },
    {
      command: `curl -i ${as("mallory@contractor.test")} ${at("wiki.localhost")}/handbook`,
      expect: 403,
      note: "not an employee",
    },
    {
      command: `curl -i -X POST ${as("sre@example.com", "sre")} ${at("payments.localhost")}/v1/refund`,
      expect: 200,
      note: "an SRE refunds",
    },
  ];
}

/**
 * `certs` maps a demo workload name to its MF-CF-Blob header file (see demo-certificates.ts). People's commands
 * take their tokens from the local sign-in: without it (`--access-jwks-url`), they are left out.
 */
export function demoCommands(gateway: URL, certs: Record<string, string>, localSignIn = true): DemoCommand[] {
  const at: At = (host) => `http://${host}:${gateway.port}`;
  const people = localSignIn ? personCommands(at) : [];
  return [...workloadAndAnonymousCommands(at, certs), ...workloadTokenCommands(at), ...people];
}

/** The demo's walkthrough as `ward dev` prints it: each command with what it should answer, then the browser's way. */
export function demoWalkthrough(gateway: URL, certs: Record<string, string>, localSignIn: boolean): string[] {
  const lines = demoCommands(gateway, certs, localSignIn).map(
    (line) => `  ${line.command}   # ${line.expect}: ${line.note}`,
  );
  lines.push(
    localSignIn
      ? `  In a browser: http://wiki.localhost:${gateway.port}/ (sign in as alice@example.com: the wiki; as mallory@contractor.test: the denied page)`
      : "  People: the local sign-in is off (--access-jwks-url): send a token of that issuer as cf-access-jwt-assertion",
  );
  return lines;
}
