import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The pure core and the CLI run in Node (they are Node programs too); the Worker runs in workerd through
// @cloudflare/vitest-plugin, with origins that are real HTTP servers on 127.0.0.1.
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
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const origin = { external: { address: `127.0.0.1:${inject("originPort")}`, http: {} } };
            return {
              wrangler: { configPath: "./wrangler.toml" },
              remoteBindings: false,
              miniflare: {
                cf: false,
                bindings: { POLICY_REFRESH_SECONDS: "0.05" },
                serviceBindings: { PAYMENTS_API: origin, ORDERS_API: origin, WIKI: origin },
              },
            };
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/worker/global-setup.ts"],
        },
      },
    ],
  },
});
