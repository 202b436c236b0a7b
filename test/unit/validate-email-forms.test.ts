// E-mail forms in a policy, as a generated review of policy validation found them: an `emailDomain` held to the
// labels an address's domain has (as the gateway's e-mail check holds a token's), and an `email` of the wrong
// form `invalid-format`, as the reference says of every string of the wrong form (it was `invalid-value`).
import { describe, expect, it } from "vitest";
import { validatePolicyText } from "../../policy/index.ts";
import { oneServicePolicy } from "./support/one-service.ts";

const AT = "services.app.routes[0].rules[0].principals[0]";
const withMatcher = (matcher: Record<string, unknown>) =>
  JSON.stringify(
    oneServicePolicy([
      { id: "r", methods: ["GET"], path: "/x", rules: [{ id: "all", effect: "allow", principals: [matcher] }] },
    ]),
  );
const errors = (text: string) =>
  validatePolicyText(text)
    .issues.filter((i) => i.severity === "error")
    .map((i) => [i.code, i.path]);

describe("emailDomain", () => {
  it.each(["-x.com", "x-.com", "example.-com", "example.com-", `${"a".repeat(64)}.com`, `${"a.".repeat(126)}com`])(
    "refuses %s, which no address's domain is",
    (domain) => {
      expect(errors(withMatcher({ emailDomain: domain }))).toEqual([["invalid-format", `${AT}.emailDomain`]]);
    },
  );

  it.each(["example.com", "x-y.example.com", "xn--bcher-kva.example", `${"a".repeat(63)}.com`, "1.2.3.4"])(
    "accepts %s",
    (domain) => {
      expect(errors(withMatcher({ emailDomain: domain }))).toEqual([]);
    },
  );
});

describe("email", () => {
  it.each(["a..b@example.com", '"a"@example.com', "Ann <ann@example.com>", "a@[192.0.2.1]", "a+b@bücher.example"])(
    "refuses %s as invalid-format, in a rule and in a principal set",
    (address) => {
      expect(errors(withMatcher({ email: address }))).toEqual([["invalid-format", `${AT}.email`]]);
      const set = JSON.parse(withMatcher({ set: "ops" }));
      set.principalSets = { ops: [{ group: "ops" }, { email: address }] };
      expect(errors(JSON.stringify(set))).toEqual([["invalid-format", "principalSets.ops[1].email"]]);
    },
  );

  it("accepts a plain address, any case", () => {
    expect(errors(withMatcher({ email: "Ann.Lee+ops@Example.com" }))).toEqual([]);
  });
});
