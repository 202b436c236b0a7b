// Documents within push's bounds built to make validation slow (reviews of the validation bounds found each):
// the shapes, for the unit test that checks what validating them says and for the benchmark that times it.
import { crossingRoutes, demo } from "../support/demo-policy.ts";

const pad = (c: string, k: number, len: number) => `${c}${k}`.padEnd(len, "x");

export interface HostileShape {
  name: string;
  /** Policy text written as JSON. */
  text: string;
  /** Validated as a cold isolate loads a stored version (no warnings), rather than as a push. */
  stored?: boolean;
  /** The issue codes validating it gives, with how many of each. */
  codes: Record<string, number>;
}

export function hostileShapes(): HostileShape[] {
  const issuers = demo();
  issuers.identity.tokenIssuers = Array.from({ length: 8_000 }, () => ({
    name: "x",
    kind: "oidc",
    issuer: "https://a.io",
    keys: { jwks: { keys: [{ kty: "o" }] } },
  }));
  const domains = demo();
  domains.metadata.trustDomains = Array.from({ length: 150 }, (_, k) => pad("d", k, 255));
  domains.principalSets.many = Array.from({ length: 150 }, (_, k) => ({ trustDomain: pad("e", k, 255) }));
  const sets = demo();
  for (let k = 0; k < 500; k++) sets.principalSets[pad("s", k, 63)] = [{ group: "g" }];
  sets.services.payments.routes[0].rules[0].principals = Array.from({ length: 500 }, (_, k) => ({
    set: pad("t", k, 63),
  }));
  const wildcards = demo();
  wildcards.services.payments.hosts = Array.from({ length: 20_000 }, (_, k) => `*.a${k}.io`);
  wildcards.services.orders.hosts = Array.from({ length: 20_000 }, (_, k) => `b${k}.io`);
  const crossing = demo();
  crossing.services.payments.routes = crossingRoutes(4_990);
  // The same deny routes beside takers with a format suffix (`/bN/c.json`): each deny walks the suffixes' trie too.
  const suffixed = demo();
  suffixed.services.payments.routes = crossingRoutes(4_990).map((route) =>
    route.path.startsWith("/b") ? { ...route, path: route.path.replace("{*}", "c.json") } : route,
  );
  return [
    {
      name: "8,000 token issuers, each a repeat with a bad inline key",
      text: JSON.stringify(issuers),
      codes: { "invalid-jwks": 8_000, "token-issuer-unconstrained": 101, "duplicate-token-issuer": 15_998 },
    },
    {
      name: "150 trust domains beside 150 trustDomain matchers, 255 characters each (stored)",
      text: JSON.stringify(domains),
      stored: true,
      codes: {},
    },
    {
      name: "500 references to unknown sets beside 500 sets of 63-character names",
      text: JSON.stringify(sets),
      codes: { "unknown-principal-set": 500 },
    },
    {
      name: "20,000 wildcard hosts beside 20,000 hosts",
      text: JSON.stringify(wildcards),
      codes: {},
    },
    {
      name: "4,990 deny routes /{*}/aN beside 4,990 routes /bN/{*}",
      text: JSON.stringify(crossing),
      codes: { "deny-covers-route": 101, "route-escapes-unchecked": 1 },
    },
    {
      name: "4,990 deny routes /{*}/aN beside 4,990 routes /bN/c.json",
      text: JSON.stringify(suffixed),
      codes: { "route-escapes-unchecked": 1 },
    },
  ];
}

/** Validates a shape as the Worker would (a push; a stored version on a cold isolate): its issue codes, counted. */
export async function validateShape(shape: HostileShape): Promise<Record<string, number>> {
  const { MAX_POLICY_BYTES, validatePolicy, validatePolicyText } = await import("../../policy/index.ts");
  const result = shape.stored
    ? validatePolicy(JSON.parse(shape.text), { warnings: false, maxRoutes: Number.POSITIVE_INFINITY })
    : validatePolicyText(shape.text, { yamlUpTo: MAX_POLICY_BYTES });
  const codes: Record<string, number> = {};
  for (const issue of result.issues) codes[issue.code] = (codes[issue.code] ?? 0) + 1;
  return codes;
}

/** At most this long, each (a valid policy at the bounds validates in about a second). */
const WITHIN_MS = 3_000;

/** `npm run bench`'s row: each shape's validation time. */
export async function runHostileValidationBench(): Promise<{ name: string; ok: boolean }> {
  console.log(`validation of hostile documents within push's bounds (each within ${WITHIN_MS} ms)`);
  let ok = true;
  for (const shape of hostileShapes()) {
    const started = performance.now();
    await validateShape(shape);
    const ms = performance.now() - started;
    ok &&= ms <= WITHIN_MS;
    console.log(
      `${ms.toFixed(0).padStart(6)} ms  ${(shape.text.length / 1024).toFixed(0).padStart(5)} KiB  ${shape.name}`,
    );
  }
  console.log(`${ok ? "PASS" : "FAIL"}  every hostile document validates within ${WITHIN_MS} ms`);
  return { name: "hostile-validation", ok };
}

if (import.meta.main) process.exitCode = (await runHostileValidationBench()).ok ? 0 : 1;
