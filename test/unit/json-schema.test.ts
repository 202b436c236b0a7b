// `ward schema`: the JSON Schema of the policy document, for editors.
import { describe, expect, it } from "vitest";
import { policyJsonSchema } from "../../policy/json-schema.ts";
import { baseDocument, ROUTE, RULE, withValue } from "./validate-cases.ts";
import { schemaErrors } from "./validate-schema.ts";

type Schema = {
  $schema?: string;
  title?: string;
  type?: string;
  additionalProperties?: unknown;
  required?: string[];
  properties?: Record<string, Schema & { const?: unknown }>;
};

describe("policyJsonSchema", () => {
  const schema = policyJsonSchema() as Schema;

  it("is a closed object schema at the top level", () => {
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.title).toBe("Ward policy");
    expect(schema.$schema).toMatch(/json-schema\.org/);
  });

  it.each(["version", "metadata", "identity", "principalSets", "identityBindings", "exceptions", "services"])(
    "lists %s",
    (key) => {
      expect(Object.keys(schema.properties ?? {})).toContain(key);
    },
  );

  it("requires version, metadata and services, and nothing that has a default", () => {
    expect([...(schema.required ?? [])].sort()).toEqual(["metadata", "services", "version"]);
  });

  it("describes services as a record of closed objects and metadata as a closed object", () => {
    const services = schema.properties!.services!;
    expect(services.type).toBe("object");
    const service = services.additionalProperties as Schema;
    expect(service.type).toBe("object");
    expect(service.additionalProperties).toBe(false);
    expect(Object.keys(service.properties ?? {})).toEqual(
      expect.arrayContaining(["hosts", "origin", "owner", "routes"]),
    );
    const metadata = schema.properties!.metadata!;
    expect(metadata.type).toBe("object");
    expect(metadata.additionalProperties).toBe(false);
    expect(metadata.required).toEqual(expect.arrayContaining(["environment", "owners"]));
  });

  it("is plain JSON and the same every time", () => {
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
    expect(JSON.stringify(policyJsonSchema())).toBe(text);
  });

  // From a review: the schema took forms push refuses, so an editor showed nothing wrong with them.
  it.each([
    ["emailDomain -x.com", [...RULE, "principals"], [{ emailDomain: "-x.com" }]],
    ["path /a and a no-break space", [...ROUTE, "path"], "/a\u00a0"],
    ["path /a／b", [...ROUTE, "path"], "/a\uff0fb"],
    ["path /½", [...ROUTE, "path"], "/\u00bd"],
  ])("flags %s, which validation refuses", (_, at, value) => {
    const all = policyJsonSchema();
    expect(schemaErrors(all, baseDocument())).toEqual([]);
    expect(schemaErrors(all, withValue(baseDocument(), at, value))).not.toEqual([]);
  });

  it("says where ward validate decides more than it can", () => {
    expect((schema as { description?: string }).description).toMatch(/`ward validate` is the authority/);
  });
});
