// A policy where no rule names a group, so no request fetches a person's groups: only boss@ may write to books.
// The group-grant tests grant a group there (worker/gateway.ts grantNeedsGroups).
import { parse, stringify } from "yaml";
import demoPolicy from "../../../policy/examples/demo.yaml?raw";

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
