// The steps of the policy store's generated model test (store-differential.test.ts), drawn from a seeded PRNG:
// pushes of new, repeated, reworded, JSON-form, stale and invalid texts, concurrent pushes, rollbacks to the
// version before and to stored, missing, refused and active versions, shadow candidates set, cleared and
// promoted, and what an operator's mistake or a partial write leaves in KV (a document or a source cut short,
// another version's bytes under a name, a document gone, the pointer written by hand), and cold isolates.
import { parse as parseYaml } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";

/**
 * A valid version: the demo policy, labelled, whose wiki has one public route of its own, `/probe/<label>`:
 * only the version holding that text lets an anonymous caller through there.
 */
export const policyText = (label: string): string =>
  `${demoPolicy.replace("description: Ward local demo", `description: Ward store model (${label})`).trimEnd()}
      - id: probe
        methods: [GET]
        path: /probe/${label}
        rules:
          - { id: open, effect: allow, principals: [{ public: true }] }
`;

/** The same document in other words: a comment before it (the same version, docs/operations.md). */
export const reworded = (text: string, n: number): string => `# reworded ${n}\n${text}`;

/** The same document written as JSON (the same version). */
export const jsonForm = (text: string): string => JSON.stringify(parseYaml(text), null, 1);

/** Texts every push refuses (docs/policy.md's issues, docs/operations.md's push checks). */
export const INVALID: { name: string; text: (label: string) => unknown }[] = [
  { name: "version 2", text: (l) => policyText(l).replace(/^version: 1$/m, "version: 2") },
  { name: "yaml syntax", text: (l) => `${policyText(l)}  broken: [\n` },
  { name: "duplicate key", text: (l) => `${policyText(l)}version: 1\n` },
  { name: "control character", text: (l) => `# bell \u0007\n${policyText(l)}` },
  { name: "zero-width space", text: (l) => `# a\u200bb\n${policyText(l)}` },
  { name: "other environment", text: (l) => policyText(l).replace("environment: dev", "environment: production") },
  {
    name: "admin lock-out",
    text: (l) => policyText(l).replace("principals: [{ group: ward-admins }]", "principals: [{ group: sre }]"),
  },
  {
    name: "admin host",
    text: (l) => policyText(l).replace("hosts: [wiki.localhost]", "hosts: [wiki.localhost, ward.localhost]"),
  },
  {
    name: "proto key",
    text: (l) => policyText(l).replace("principalSets:\n", "principalSets:\n  __proto__: [{ group: x }]\n"),
  },
  { name: "empty", text: () => "" },
  { name: "not text", text: () => 42 },
  { name: "no services", text: () => "version: 1\nservices: {}\n" },
  { name: "json cut", text: (l) => jsonForm(policyText(l)).slice(0, 400) },
];

export type Step =
  | { kind: "push"; label: string; form: "yaml" | "json" }
  | { kind: "push-again"; form: "same" | "reworded" | "json" } // a stored version's text, pushed again
  | { kind: "push-stale"; label: string }
  | { kind: "push-invalid"; label: string; invalid: number }
  | { kind: "push-concurrent"; labels: string[] }
  | { kind: "rollback" } // to the version before
  | { kind: "rollback-to"; target: "stored" | "missing" | "active" | "foreign" | "lockout" }
  | { kind: "rollback-stale" }
  | { kind: "shadow-set"; label: string }
  | { kind: "shadow-clear" }
  | { kind: "promote" }
  | { kind: "tamper"; what: "doc-cut" | "doc-other" | "doc-gone" | "source-cut" | "source-other" | "both-other" }
  | { kind: "pointer"; to: "garbage" | "missing" | "broken" | "foreign" | "cut" } // written by hand, then put back
  | { kind: "shadow-pointer"; to: "garbage" | "missing" } // written by hand, then put back
  | { kind: "cold" } // a new isolate
  // The active version stops loading (as after deploying a Ward that refuses it) and the operator puts a new one in
  // with the bootstrap steps (docs/operations.md): its source and the pointer, written to KV by hand.
  | { kind: "recover"; label: string };

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

/** The steps of a run: weights favour the moves; every kind is drawn. */
export function genSteps(rand: () => number, count: number): Step[] {
  let n = 0;
  const label = () => `s${n++}`;
  const table: [number, () => Step][] = [
    [14, () => ({ kind: "push", label: label(), form: rand() < 0.2 ? "json" : "yaml" })],
    [6, () => ({ kind: "push-again", form: pick(rand, ["same", "reworded", "json"] as const) })],
    [3, () => ({ kind: "push-stale", label: label() })],
    [6, () => ({ kind: "push-invalid", label: label(), invalid: Math.floor(rand() * INVALID.length) })],
    [4, () => ({ kind: "push-concurrent", labels: [label(), label(), ...(rand() < 0.3 ? [label()] : [])] })],
    [8, () => ({ kind: "rollback" })],
    [
      8,
      () => ({
        kind: "rollback-to",
        target: pick(rand, ["stored", "stored", "missing", "active", "foreign", "lockout"] as const),
      }),
    ],
    [2, () => ({ kind: "rollback-stale" })],
    [4, () => ({ kind: "shadow-set", label: label() })],
    [2, () => ({ kind: "shadow-clear" })],
    [3, () => ({ kind: "promote" })],
    [
      10,
      () => ({
        kind: "tamper",
        what: pick(rand, ["doc-cut", "doc-other", "doc-gone", "source-cut", "source-other", "both-other"] as const),
      }),
    ],
    [5, () => ({ kind: "pointer", to: pick(rand, ["garbage", "missing", "broken", "foreign", "cut"] as const) })],
    [2, () => ({ kind: "shadow-pointer", to: pick(rand, ["garbage", "missing"] as const) })],
    [5, () => ({ kind: "cold" })],
    [2, () => ({ kind: "recover", label: label() })],
  ];
  const total = table.reduce((sum, [w]) => sum + w, 0);
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    let r = rand() * total;
    const entry = table.find(([w]) => (r -= w) < 0) ?? table[0]!;
    steps.push(entry[1]());
  }
  return steps;
}
