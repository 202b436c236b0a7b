// scripts/doctor/worker-env.ts copies the names worker/env.ts's Env declares (the CLI imports nothing from
// worker/): doctor and init decide by it which names an origin may not take, which vars are secrets and which
// bindings the Worker needs. Held to Env here, both ways, by type and by reading the file.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { NUMERIC_SETTINGS } from "../../policy/index.ts";
import { WORKER_ENV } from "../../scripts/doctor/worker-env.ts";
import type { Env } from "../../worker/env.ts";

type Declared = keyof { [K in keyof Env as string extends K ? never : K]: Env[K] };
type Listed = keyof typeof WORKER_ENV;
// tsc fails here when a name is in one and not the other.
const sameNames: [Declared] extends [Listed] ? ([Listed] extends [Declared] ? true : false) : false = true;

const ROOT = resolve(import.meta.dirname, "../..");

/** Env's members as written: name and type. */
function declared(): Map<string, string> {
  const text = readFileSync(join(ROOT, "worker/env.ts"), "utf8");
  const body = /export interface Env \{([\s\S]*?)\n\}/.exec(text)?.[1] ?? "";
  return new Map([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*)\??: ([^;]+);/gm)].map((m) => [m[1]!, m[2]!]));
}

const kindOf = (name: string): string | undefined => (WORKER_ENV as Record<string, string>)[name];

describe("scripts/doctor/worker-env.ts", () => {
  it("names what worker/env.ts's Env declares, each as the kind its type is", () => {
    expect(sameNames).toBe(true);
    const members = declared();
    expect(members.size).toBeGreaterThan(15);
    expect([...members.keys()].sort()).toEqual(Object.keys(WORKER_ENV).sort());
    for (const [name, type] of members) {
      const kind = kindOf(name);
      if (type === "KVNamespace") expect(kind, name).toBe("kv_namespaces");
      else if (type.startsWith("DurableObjectNamespace")) expect(kind, name).toBe("durable_objects");
      else if (type === "AnalyticsEngineDataset") expect(kind, name).toBe("analytics_engine_datasets");
      else if (type === "string | number") {
        // A numeric setting: wrangler passes a number written unquoted on as one (policy/settings.ts reads both).
        expect(kind, name).toBe("var");
        expect(Object.keys(NUMERIC_SETTINGS), name).toContain(name);
      } else {
        expect(type, name).toBe("string");
        expect(["var", "secret"], name).toContain(kind);
      }
    }
    for (const name of Object.keys(NUMERIC_SETTINGS)) expect(members.get(name), name).toBe("string | number");
    // The secrets: the signing keys, and the webhook (a credential: ward init declares it a secret).
    expect(Object.keys(WORKER_ENV).filter((n) => kindOf(n) === "secret")).toEqual([
      "ASSERTION_SIGNING_KEYS",
      "NOTIFY_WEBHOOK",
    ]);
  });
});
