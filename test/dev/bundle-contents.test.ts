// What the deployed bundle pulls in from its dependencies. The bench holds the bundle under 300 KiB gzipped; this
// catches, in seconds, the one import form that once made up a fifth of it.
import { describe, expect, it } from "vitest";
import { bundledModules } from "../../scripts/dev/bundle.ts";

describe("the Worker's bundle", () => {
  it("holds zod's English messages and no other locale", async () => {
    // `import { z } from "zod"` hands esbuild zod's whole namespace object, locales included (267 KB of 1,056 KB
    // minified, 65 KiB gzipped); `import * as z from "zod"` lets it keep only the members used.
    const modules = [...(await bundledModules()).keys()];
    const locales = modules.filter((path) => path.includes("zod/v4/locales/"));
    expect(locales.map((path) => path.replace(/.*\/locales\//, ""))).toEqual(["en.js"]);
    expect(modules.some((path) => path.includes("zod/v4/core/schemas.js"))).toBe(true);
  }, 60_000);
});
