// Schema issues in Ward's words: each zod issue becomes an Issue with a stable code, a path, a message an
// operator can act on and, for a misspelt field, a did-you-mean hint.
import type { z } from "zod";
import { formatPath, type Issue } from "../issues.ts";
import { didYouMean, sameButCase } from "../suggest.ts";

/**
 * Unknown keys of one object named one by one, at most: past it, one issue counts the rest (150,000 unknown keys
 * were 150,000 issues, some 15 MB of a push's answer).
 */
const UNKNOWN_KEYS_NAMED = 50;

/** One zod issue as Ward's issues: an unrecognised-keys issue gives one per key, each with its hint. */
export function fromZod(issue: z.core.$ZodIssue, input: unknown): Issue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(issue.path, input);
      const named = issue.keys.slice(0, UNKNOWN_KEYS_NAMED).map((key) => ({
        severity: "error" as const,
        code: "unknown-field" as const,
        path: formatPath([...issue.path, key]),
        message: `unknown field "${key}"`,
        hint: didYouMean(key, known),
      }));
      const more = issue.keys.length - named.length;
      if (more === 0) return named;
      return [
        ...named,
        { severity: "error", code: "unknown-field", path, message: `and ${more} more unknown fields here` },
      ];
    }
    case "invalid_type": {
      const missing = issue.message.includes("received undefined");
      return [
        {
          severity: "error",
          code: missing ? "missing-field" : "invalid-type",
          path,
          message: missing ? `required field is missing (expected ${issue.expected})` : issue.message,
        },
      ];
    }
    case "invalid_value":
      if (absent(input, issue.path))
        return [missing(path, `required field is missing (expected one of ${listed(issue.values)})`)];
      return [oneOf(path, issue.values, valueAt(input, issue.path))];
    case "invalid_union": {
      // A union of fixed values (`methods: [GET, ..., "*"]`) is one list of allowed values.
      const values = unionValues(issue.errors);
      if (values && absent(input, issue.path))
        return [missing(path, `required field is missing (expected one of ${listed(values)})`)];
      if (values) return [oneOf(path, values, valueAt(input, issue.path))];
      if (absent(input, issue.path)) {
        const hint = unionHint(path);
        const found = missing(path, `required field is missing: ${unionMessage(path)}`);
        return [hint === undefined ? found : { ...found, hint }];
      }
      const chosen = branchChosen(issue, input) ?? branchOfItsType(issue);
      if (chosen) return chosen.flatMap((inner) => fromZod({ ...inner, path: [...issue.path, ...inner.path] }, input));
      const hint = unknownKeyHint(valueAt(input, issue.path), path) ?? unionHint(path);
      const found: Issue = { severity: "error", code: "invalid-value", path, message: unionMessage(path) };
      return [hint === undefined ? found : { ...found, hint }];
    }
    case "invalid_format":
    case "invalid_key":
      return [{ severity: "error", code: "invalid-format", path, message: issue.message }];
    case "too_small":
    case "too_big":
      return [{ severity: "error", code: "out-of-range", path, message: issue.message }];
    default:
      return [{ severity: "error", code: "invalid-value", path, message: issue.message }];
  }
}

/**
 * Whether the issue's path names a key its object does not have: a required field left out. zod reports a missing
 * enum, literal or union as a value not allowed (invalid_value, invalid_union), where a missing string or list is
 * a type that is not right (invalid_type, which the message tells apart): the reference's code for both is
 * missing-field.
 */
function absent(input: unknown, path: readonly PropertyKey[]): boolean {
  const key = path.at(-1);
  if (typeof key !== "string") return false;
  const parent = valueAt(input, path.slice(0, -1));
  return parent !== null && typeof parent === "object" && !Array.isArray(parent) && !Object.hasOwn(parent, key);
}

function missing(path: string, message: string): Issue {
  return { severity: "error", code: "missing-field", path, message };
}

const listed = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(", ");

/** A value not among the allowed ones, with the one it nearly is: `get` -> "methods are upper case: GET". */
function oneOf(path: string, values: readonly unknown[], received: unknown): Issue {
  const found: Issue = {
    severity: "error",
    code: "invalid-value",
    path,
    message: `must be one of ${listed(values)}`,
  };
  if (typeof received !== "string") return found;
  const words = values.filter((v): v is string => typeof v === "string");
  const cased = sameButCase(received, words);
  const hint =
    cased !== undefined && /\.methods\[\d+\]$/.test(path)
      ? `methods are upper case: ${cased}`
      : didYouMean(received, words);
  return hint === undefined ? found : { ...found, hint };
}

/** The allowed values when every branch of a union is a fixed value (an enum or a literal), else undefined. */
function unionValues(branches: readonly (readonly z.core.$ZodIssue[])[]): unknown[] | undefined {
  const values: unknown[] = [];
  for (const branch of branches) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (only?.code !== "invalid_value" || only.path.length > 0) return undefined;
    values.push(...only.values);
  }
  return values.length > 0 ? values : undefined;
}

/**
 * The issues of the one branch of an issuer pin's union whose keys the value has ({ certificate, intermediates }
 * with intermediates 4 is that branch's out-of-range, not "not a pin"); undefined when none or several fit.
 */
function branchChosen(
  issue: z.core.$ZodIssue & { code: "invalid_union" },
  input: unknown,
): readonly z.core.$ZodIssue[] | undefined {
  if (!/issuers\[\d+\]$/.test(formatPath(issue.path))) return undefined;
  const value = valueAt(input, issue.path);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const fits = issue.errors.filter(
    (branch) =>
      !branch.some(
        (inner) =>
          (inner.code === "unrecognized_keys" && inner.path.length === 0) ||
          (inner.code === "invalid_type" && inner.path.length === 1 && valueAt(value, inner.path) === undefined),
      ),
  );
  return fits.length === 1 ? fits[0] : undefined;
}

/**
 * The issues of the one branch of a union whose type the value has, when every other branch is of another type
 * (`websocket: { idleTimeout: 30 }` is the object form with a number for a duration: invalid-type at idleTimeout,
 * as `rateLimit.period: 60` is, not "matches no form" at websocket). Undefined when no branch or several have it.
 */
function branchOfItsType(issue: z.core.$ZodIssue & { code: "invalid_union" }): readonly z.core.$ZodIssue[] | undefined {
  const ofItsType = issue.errors.filter(
    (branch) => !branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0),
  );
  return ofItsType.length === 1 ? ofItsType[0] : undefined;
}

function unionMessage(path: string): string {
  if (path.endsWith(".origin")) return "origin must be { tunnel: BINDING } (or { url, publicUrl: true })";
  if (/principals\[\d+\]$|(workload|access)\[\d+\]$|principalSets\.[^.]+\[\d+\]$/.test(path)) {
    return "not a principal matcher";
  }
  if (/issuers\[\d+\]$/.test(path))
    return "an issuer is pinned by { certificate }, { ski } or { dn }, with its trustDomains";
  return "value does not match any allowed form";
}

function unionHint(path: string): string | undefined {
  if (/principals\[\d+\]$|(workload|access)\[\d+\]$|principalSets\.[^.]+\[\d+\]$/.test(path)) {
    return "use exactly one of spiffe, spiffePrefix, trustDomain, email, emailDomain, group, claims, serviceToken, authenticated, public, set";
  }
  return undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at = input;
  for (const key of path)
    at = at !== null && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

const UNION_KEYS: [RegExp, string[]][] = [
  [/\.origin$/, ["tunnel", "url", "publicUrl"]],
  [/issuers\[\d+\]$/, ["certificate", "intermediates", "ski", "dn", "trustDomains"]],
  [/tokenIssuers\[\d+\]\.keys$/, ["jwksUrl", "discovery", "jwks"]],
  [
    /principals\[\d+\]$|(workload|access)\[\d+\]$|principalSets\.[^.]+\[\d+\]$/,
    [
      "spiffe",
      "spiffePrefix",
      "trustDomain",
      "email",
      "emailDomain",
      "group",
      "claims",
      "serviceToken",
      "authenticated",
      "public",
      "set",
    ],
  ],
];

/** For `{ tunel: X }` where a union of one-key objects was expected: did you mean "tunnel"? */
function unknownKeyHint(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const known = UNION_KEYS.find(([pattern]) => pattern.test(path))?.[1];
  if (!known) return undefined;
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const suggestion = didYouMean(key, known);
      return `unknown field "${key}"${suggestion ? `: ${suggestion}` : ""}`;
    }
  }
  return undefined;
}

const KNOWN_KEYS: Record<string, string[]> = {
  "": [
    "version",
    "metadata",
    "identity",
    "principalSets",
    "identityBindings",
    "exceptions",
    "quarantine",
    "admin",
    "services",
  ],
  metadata: ["environment", "trustDomains", "owners", "description"],
  identity: ["access", "mtls", "tokenIssuers"],
  tokenIssuers: [
    "name",
    "kind",
    "issuer",
    "keys",
    "algorithms",
    "clockSkew",
    "maxLifetime",
    "trustDomain",
    "requireClaims",
    "description",
  ],
  "identity.access": [
    "teamDomain",
    "audiences",
    "maxTokenLifetime",
    "serviceTokenMaxLifetime",
    "maxTokenAge",
    "maxPostureAge",
  ],
  "identity.mtls": ["required", "issuers", "spiffe", "registry"],
  issuers: ["ski", "dn", "trustDomains"],
  exceptions: ["maxDuration", "breakGlassMaxDuration"],
  service: [
    "hosts",
    "origin",
    "owner",
    "mode",
    "hide",
    "caseInsensitivePaths",
    "requireCertificate",
    "tokenAudience",
    "accessAudiences",
    "forwardHeaders",
    "description",
    "routes",
  ],
  route: ["id", "methods", "path", "pathPrefix", "rules", "forwardHeaders", "websocket", "description"],
  rule: ["id", "effect", "principals", "bothFactors", "when", "rateLimit", "headers", "description"],
  when: ["scopes", "claims", "time", "country", "devicePosture"],
  time: ["days", "hours", "notBefore", "notAfter"],
  rateLimit: ["limit", "period", "key", "failOpen"],
  bothFactors: ["workload", "access", "binding"],
};

function knownKeysAt(path: readonly PropertyKey[], _input: unknown): string[] {
  const names = path.filter((p) => typeof p === "string") as string[];
  const last = names[names.length - 1];
  const joined = names.join(".");
  if (KNOWN_KEYS[joined]) return KNOWN_KEYS[joined];
  if (names[0] === "services" && names.length === 2) return KNOWN_KEYS.service!;
  if (last && KNOWN_KEYS[last]) return KNOWN_KEYS[last];
  if (last === "routes") return KNOWN_KEYS.route!;
  if (last === "rules") return KNOWN_KEYS.rule!;
  return [];
}
