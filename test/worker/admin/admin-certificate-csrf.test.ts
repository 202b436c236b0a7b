// A browser presents a client certificate by itself, as it sends a cookie: an operator whose certificate (a
// workstation's, registered to an admin's SPIFFE ID) is in the browser would otherwise be a page elsewhere's way
// to make state-changing admin calls (a `no-cors` fetch or a form: a simple request, no preflight). Such a call
// from another origin's page is refused whatever the credential; the CLI, which sends no Fetch Metadata, and a
// page's reads (which it cannot read the answer to) are answered.
import { beforeAll, describe, expect, it } from "vitest";
import { activate, marker, originSaw } from "../support/harness.ts";
import { CERTS, tlsClientAuth } from "../support/client-certs.ts";
import { fetchRaw, rawRequest } from "../support/raw-request.ts";
import { policyText, token } from "./admin-cases.ts";

const ADMIN = "https://ward.localhost/.ward/admin";

async function byCertificate(path: string, method: string, headers: Record<string, string>, body?: unknown) {
  return fetchRaw(
    rawRequest(`${ADMIN}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cf: { tlsClientAuth: await tlsClientAuth(CERTS.checkout) },
    }),
  );
}

async function breakGlassCount(): Promise<number> {
  const res = await fetchRaw(
    rawRequest(`${ADMIN}/grants?kind=break-glass&service=wiki`, {
      headers: { "cf-access-jwt-assertion": await token("admin") },
    }),
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { grants: unknown[] }).grants.length;
}

const grant = {
  principal: { email: "mallory@example.com" },
  service: "wiki",
  minutes: 15,
  justification: "made by a page of another site",
};

beforeAll(async () => {
  await activate(policyText("certificate csrf"));
});

describe("an admin's client certificate on another origin's request", () => {
  const pages: [string, Record<string, string>][] = [
    [
      "a cross-site no-cors fetch",
      {
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "no-cors",
        "sec-fetch-dest": "empty",
        origin: "https://evil.example",
      },
    ],
    [
      "a same-site form",
      {
        "sec-fetch-site": "same-site",
        "sec-fetch-mode": "navigate",
        "sec-fetch-dest": "document",
        "sec-fetch-user": "?1",
        origin: "https://wiki.localhost",
      },
    ],
    ["a browser without Fetch Metadata", { origin: "https://evil.example" }],
  ];
  for (const [what, headers] of pages)
    it(`grants nothing for ${what}`, async () => {
      const m = marker();
      const before = await breakGlassCount();
      const res = await byCertificate(`/breakglass?${m}`, "POST", headers, grant);
      expect(res.status).toBe(401);
      expect(await breakGlassCount()).toBe(before);
      expect(await originSaw(m)).toEqual([]);
    });

  it("is still answered to the CLI and on a read", async () => {
    const before = await breakGlassCount();
    const made = await byCertificate("/breakglass", "POST", {}, { ...grant, justification: "made by the operator" });
    expect(made.status).toBe(201);
    expect(await breakGlassCount()).toBe(before + 1);
    const read = await byCertificate("/policy", "GET", {
      "sec-fetch-site": "cross-site",
      origin: "https://evil.example",
    });
    expect(read.status).toBe(200);
  });
});
