// The admin paths a stand-in gateway (stand-in-gateway.ts) answers for a diff between its active version and its
// shadow candidate (`ward shadow promote`): GET /policy naming both, and each version's stored text. The versions
// are worked out before the file's tests begin.
import { beforeAll } from "vitest";
import { loadPolicy } from "../../policy/index.ts";
import type { StandInRoutes } from "./stand-in-gateway.ts";

export async function versionOf(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy.version;
}

/** The routes, and the two versions (known once the file's tests have begun). */
export function activeAndShadow(active: string, candidate: string) {
  const versions = { active: "", candidate: "" };
  const texts: Record<string, string> = {};
  beforeAll(async () => {
    versions.active = await versionOf(active);
    versions.candidate = await versionOf(candidate);
    texts[versions.active] = active;
    texts[versions.candidate] = candidate;
  });
  const routes: StandInRoutes = {
    "GET /policy": () => ({
      json: { environment: "dev", active: versions.active, shadow: versions.candidate, history: [] },
    }),
    "/policy/versions/*": ({ url }: { url: string }) => {
      const text = texts[url.slice(-64)];
      return text === undefined ? undefined : { text };
    },
  };
  return { versions, routes };
}
