// route-letters-refused (policy/validate/letter-routes.ts) against what the gateway does: for each pair of routes,
// the warning is given exactly when evaluate refuses a request to the route's own path (path-letters-ambiguous).
// From a docs review: `/x/café` beside `/{*}/cafe` was refused on every request, and validate said nothing.
import { describe, expect, it } from "vitest";
import { compilePolicy, evaluate, validatePolicy } from "../../policy/index.ts";

const HOST = "app.example.com";

function route(id: string, pattern: string, methods: string[] = ["GET"]) {
  const [key, value] = pattern.endsWith("/{**}") ? ["pathPrefix", pattern.slice(0, -5) || "/"] : ["path", pattern];
  return { id, methods, [key]: value, rules: [{ id: "all", effect: "allow", principals: [{ public: true }] }] };
}

function policy(routes: object[]) {
  return {
    version: 1,
    metadata: { environment: "dev", owners: ["security@example.com"] },
    services: {
      app: { hosts: [HOST], origin: { tunnel: "APP" }, owner: "app@example.com", routes },
    },
  };
}

describe("route-letters-refused says what evaluate does", () => {
  it.each([
    ["a pattern deciding the folded reading", [route("cafe", "/x/caf\u00e9"), route("any", "/{*}/cafe")], true],
    ["the exact folded path", [route("cafe", "/x/caf\u00e9"), route("plain", "/x/cafe")], true],
    ["a prefix matching both spellings", [route("cafe", "/x/caf\u00e9"), route("x", "/x/{**}")], false],
    ["a catch-all matching both spellings", [route("cafe", "/x/caf\u00e9"), route("all", "/{**}")], false],
    ["a pattern for another method", [route("cafe", "/x/caf\u00e9"), route("any", "/{*}/cafe", ["POST"])], false],
    ["a pattern matching no reading", [route("cafe", "/x/caf\u00e9"), route("any", "/{*}/tea")], false],
    ["a prefix route of its own", [route("cafe", "/x/caf\u00e9/{**}"), route("any", "/{*}/cafe")], true],
  ])("%s", async (_, routes, expected) => {
    const validated = validatePolicy(policy(routes));
    if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
    const warned = validated.issues.some(
      (i) => i.code === "route-letters-refused" && i.path.startsWith("services.app.routes[0]"),
    );
    const compiled = await compilePolicy(validated.policy);
    const decision = evaluate(compiled, { method: "GET", host: HOST, path: "/x/caf%C3%A9", identity: {} }, 0);
    const refused = decision.problem === "path-letters-ambiguous";
    expect({ warned, refused }).toEqual({ warned: expected, refused: expected });
  });
});
