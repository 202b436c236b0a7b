// A policy where no rule names a group, so no request fetches a person's groups: only boss@ may write to books.
// The group-grant tests grant a group there (worker/gateway.ts grantNeedsGroups).
import { env } from "cloudflare:workers";
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import type { Env } from "../../../worker/env.ts";
import { grantsShard } from "../../../worker/grants/store.ts";

export const BOOKS = stringify({
  version: 1,
  metadata: { environment: "dev", owners: ["security@example.com"] },
  // mtls: a request may bring a certificate Ward rejects (its event is logged once, though identified twice).
  identity: { access: parse(demoPolicy).identity.access, mtls: parse(demoPolicy).identity.mtls },
  services: {
    books: {
      hosts: ["books.localhost"],
      origin: { tunnel: "WIKI" },
      owner: "books-team@example.com",
      routes: [
        {
          id: "write",
          methods: ["POST"],
          pathPrefix: "/",
          rules: [{ id: "boss", effect: "allow", principals: [{ email: "boss@example.com" }] }],
        },
      ],
    },
  },
});

/**
 * An exception to the `sre` group for books' write route, for an hour, stored as the admin API stores it; resolved
 * once the isolates' grants copy can have seen it (GRANTS_REFRESH_SECONDS). Its id.
 */
export async function grantSreBooksWrite(ticket: string): Promise<string> {
  const now = Date.now();
  const created = await (env as Env).GRANTS.getByName(grantsShard("books")).create(
    {
      kind: "exception",
      principal: { group: "sre" },
      service: "books",
      routes: ["write"],
      methods: ["POST"],
      reason: "incident: reshelving",
      ticket,
      requestedBy: "sre@example.com",
      approvedBy: "books-team@example.com",
      notBefore: now - 1000,
      notAfter: now + 3600_000,
    },
    "test",
    now,
  );
  if (!created.ok) throw new Error("grant not created");
  await new Promise((r) => setTimeout(r, 120)); // > GRANTS_REFRESH_SECONDS
  return created.record.id;
}
