// A policy of one service, `app` on app.example.com behind Access, with the routes a test gives: the smallest
// document the diff and validation tests vary.
export function oneServicePolicy(routes: unknown[]) {
  return {
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    identity: { access: { teamDomain: "https://example.cloudflareaccess.com", audiences: ["a".repeat(64)] } },
    services: {
      app: { hosts: ["app.example.com"], origin: { tunnel: "APP" }, owner: "team@example.com", routes },
    },
  };
}
