import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { issuerEndpoint, keysWithdrawn } from "./test/worker/issuer-endpoints.ts";
import { pollEndpoint } from "./test/worker/ssf-poll-endpoint.ts";

/** get-identity answers a test set for one e-mail (https://directory.ward-demo.test/answer): groups and posture change. */
const directoryAnswers = new Map<string, unknown>();
/** get-identity calls per e-mail (https://directory.ward-demo.test/calls?email=...): how often the gateway asked. */
const directoryCalls = new Map<string, number>();

/** An answer set as `{ $raw: { status, body, delayMs } }`: served as it is (an error, a text that is no JSON, late). */
async function rawDirectoryAnswer(answer: unknown): Promise<Response | undefined> {
  const raw = (answer as { $raw?: { status?: number; body?: string; delayMs?: number } } | null)?.$raw;
  if (!raw) return undefined;
  if (raw.delayMs) await new Promise((r) => setTimeout(r, raw.delayMs));
  return new Response(raw.body ?? "", { status: raw.status ?? 200, headers: { "content-type": "application/json" } });
}

// The pure core and the CLI run in Node (they are Node programs too); the Worker runs in workerd through
// @cloudflare/vitest-plugin, with origins that are real HTTP servers on 127.0.0.1.
export default defineConfig({
  test: {
    // Ward's own log lines (one JSON object per event: every decision, every refused token) are for operators;
    // a test that cares captures them with a console spy and asserts on them. Printed, they would bury a
    // failure in hundreds of kilobytes of JSON. Anything else a test prints is still shown.
    onConsoleLog: (log) => !/^\{"level":"(info|warn|error)","event":/.test(log),
    projects: [
      {
        test: {
          name: "core",
          include: [
            "test/unit/**/*.test.ts",
            "test/corpus/**/*.test.ts",
            "test/cli/**/*.test.ts",
            "test/dev/**/*.test.ts",
            "test/e2e/**/*.test.ts",
          ],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const origin = { external: { address: `127.0.0.1:${inject("originPort")}`, http: {} } };
            const jwks = JSON.stringify(inject("accessJwks"));
            const transmitterJwks = JSON.stringify(inject("transmitterJwks"));
            return {
              wrangler: { configPath: "./wrangler.toml" },
              remoteBindings: false,
              miniflare: {
                cf: false,
                bindings: {
                  POLICY_REFRESH_SECONDS: "0.05",
                  GRANTS_REFRESH_SECONDS: "0.05",
                  DENYLIST_REFRESH_SECONDS: "0.05",
                  WEBSOCKET_CHECK_SECONDS: "0.05",
                  NOTIFY_WEBHOOK: `http://127.0.0.1:${inject("originPort")}/__notify-webhook`,
                  // Short enough for the timeout's own tests (the recording origin's /__too-slow), long enough that
                  // an origin answering on a loaded machine is not taken for one that hangs.
                  ORIGIN_TIMEOUT_MS: "1500",
                  STRIP_HEADERS: "x-internal-debug, x-tenant-override",
                  ASSERTION_SIGNING_KEYS: inject("assertionSigningKeys"),
                  SSF_POLL_AUTHORIZATION: "Bearer poll-secret",
                },
                serviceBindings: { PAYMENTS_API: origin, ORDERS_API: origin, WIKI: origin },
                // The outside edge: the demo Access team domain serves the test key set (or none, while a test withdraws its keys); loopback passes
                // through (the recording origin's log); anything else is a test bug and fails loudly.
                outboundService: async (request: Request) => {
                  const url = new URL(request.url);
                  // A second team domain with the same key, for the one test that withdraws its keys (so no
                  // other test file's isolate ever fetches the empty set).
                  if (
                    /^https:\/\/ward-(demo|withdrawn)\.cloudflareaccess\.com\/cdn-cgi\/access\/certs$/.test(url.href)
                  ) {
                    const keys = keysWithdrawn(url.href) ? '{"keys":[]}' : jwks;
                    return new Response(keys, { headers: { "content-type": "application/json" } });
                  }
                  // A security-event transmitter's key set (test/worker/ssf/).
                  if (url.href === "https://transmitter.ward-demo.test/jwks.json") {
                    return new Response(transmitterJwks, { headers: { "content-type": "application/json" } });
                  }
                  if (url.href === "https://directory.ward-demo.test/answer" && request.method === "PUT") {
                    const { email, answer } = (await request.json()) as { email: string; answer: unknown };
                    directoryAnswers.set(email, answer);
                    return new Response(null, { status: 204 });
                  }
                  if (url.origin === "https://directory.ward-demo.test" && url.pathname === "/calls") {
                    return Response.json(directoryCalls.get(url.searchParams.get("email") ?? "") ?? 0);
                  }
                  if (
                    /^https:\/\/ward-(demo|withdrawn)\.cloudflareaccess\.com\/cdn-cgi\/access\/get-identity$/.test(
                      url.href,
                    )
                  ) {
                    // Stand-in directory: "editor@..." people are wiki editors, "admin@..." Ward admins, "sre@..." SREs.
                    const token = /CF_Authorization=([^;]+)/.exec(request.headers.get("cookie") ?? "")?.[1] ?? "";
                    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString() || "{}");
                    const email = String(claims.email ?? "");
                    directoryCalls.set(email, (directoryCalls.get(email) ?? 0) + 1);
                    const raw = await rawDirectoryAnswer(directoryAnswers.get(email));
                    if (raw) return raw;
                    if (directoryAnswers.has(email)) {
                      return new Response(JSON.stringify(directoryAnswers.get(email)), {
                        headers: { "content-type": "application/json" },
                      });
                    }
                    const group = (
                      { editor: "wiki-editors", admin: "ward-admins", sre: "sre" } as Record<string, string>
                    )[email.split("@")[0]!];
                    const body = {
                      email: claims.email,
                      groups: group ? [{ id: `g-${group}`, name: group }] : [],
                      devicePosture: {},
                    };
                    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
                  }
                  // A security-event transmitter that only offers polling (test/worker/ssf/poll.test.ts).
                  const polled = await pollEndpoint(request);
                  if (polled) return polled;
                  const issued = issuerEndpoint(url, inject("workloadIssuers"));
                  if (issued) return issued;
                  if (url.hostname === "127.0.0.1") {
                    const body =
                      request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
                    return fetch(request.url, { method: request.method, headers: request.headers, body });
                  }
                  return new Response(`unexpected egress to ${url.origin}`, { status: 599 });
                },
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
