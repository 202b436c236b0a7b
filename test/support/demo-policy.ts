// The demo policy (policy/examples/demo.yaml) as tests and benchmarks grow it into the shapes that once made
// validation slow or large: its text, a fresh parsed copy, and the pieces those shapes add.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The demo policy's YAML text. */
export const demoYaml = readFileSync(`${ROOT}policy/examples/demo.yaml`, "utf8");

/** The demo policy, parsed: a fresh copy each call, for the caller to change. */
export const demo = (): any => parseYaml(demoYaml);

/**
 * `n` routes `/{*}/aN` whose first rule denies, beside `n` routes `/bN/{*}`: every deny route covers part of
 * every other route, so the checks that warn of such overlaps meet n x n pairs.
 */
export function crossingRoutes(n: number) {
  return [
    ...Array.from({ length: n }, (_, i) => ({
      id: `a${i}`,
      methods: ["*"],
      path: `/{*}/a${i}`,
      rules: [
        { effect: "deny", principals: [{ group: "x" }] },
        { effect: "allow", principals: [{ group: "y" }] },
      ],
    })),
    ...Array.from({ length: n }, (_, j) => ({
      id: `b${j}`,
      methods: ["*"],
      path: `/b${j}/{*}`,
      rules: [{ effect: "allow", principals: [{ group: "y" }] }],
    })),
  ];
}

/** `n` GET routes `/rN`, each with one allow rule naming the principal set `set`. */
export function routesNamingSet(n: number, set: string) {
  return Array.from({ length: n }, (_, r) => ({
    id: `r${r}`,
    methods: ["GET"],
    path: `/r${r}`,
    rules: [{ effect: "allow", principals: [{ set }] }],
  }));
}

/**
 * The demo policy's YAML with a principal set `big` (`setItems`: its list, as YAML lines; `big: &L` with
 * `anchor` "&L") and a service `big` of one route `/x` whose rules are `rules` (YAML lines).
 */
export function withBigSet(setItems: string, rules: string, anchor = ""): string {
  const set = `principalSets:\n  big:${anchor ? ` ${anchor}` : ""}\n${setItems}`;
  return `${demoYaml.replace("principalSets:\n", set)}  big:
    hosts: [big.localhost]
    origin: { tunnel: BIG }
    owner: o
    routes:
      - id: r
        methods: [GET]
        path: /x
        rules:
${rules}`;
}
