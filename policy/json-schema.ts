// The JSON Schema of the policy document, for editor autocompletion (`ward schema`).
import { z } from "zod";
import { PolicyDocument } from "./schema.ts";

export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PolicyDocument, { io: "input", unrepresentable: "any" }),
    title: "Ward policy",
  } as Record<string, unknown>;
}
