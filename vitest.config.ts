import { defineConfig } from "vitest/config";

// Two projects: the pure core and the CLI run in Node (they are Node programs too); the Worker's tests
// run in workerd through @cloudflare/vitest-plugin (see test/worker/vitest.config.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "core",
          include: ["test/unit/**/*.test.ts", "test/corpus/**/*.test.ts", "test/cli/**/*.test.ts"],
          environment: "node",
        },
      },
    ],
  },
});
