// The JSON Schema of the policy document, for editor autocompletion (`ward schema`).
import * as z from "zod";
import { emailDomain, PolicyDocument, RoutePath, RoutePathPrefix } from "./schema.ts";
import { emailDomainPattern, routePathPatterns } from "./schema-patterns.ts";

/** Said where the schema says less than the validator: an editor's silence is not `ward validate`'s. */
const AUTHORITY =
  "`ward validate` is the authority: it also refuses what no pattern can say (letters that fold together beside others, upper case at a caseInsensitivePaths service, routes that clash)";

export function policyJsonSchema(): Record<string, unknown> {
  const paths = routePathPatterns();
  const domain = emailDomainPattern();
  return {
    ...z.toJSONSchema(PolicyDocument, {
      io: "input",
      unrepresentable: "any",
      // The zod forms of these take what a stored version held; the schema is for writing one, so it says what
      // validation refuses too (schema-patterns.ts).
      override: ({ zodSchema, jsonSchema }) => {
        if (zodSchema === emailDomain) Object.assign(jsonSchema, domain);
        else if (zodSchema === RoutePath || zodSchema === RoutePathPrefix) {
          jsonSchema.pattern = zodSchema === RoutePath ? paths.path : paths.pathPrefix;
          jsonSchema.description = `${jsonSchema.description}. ${AUTHORITY}`;
        }
      },
    }),
    title: "Ward policy",
    description: `A Ward policy (docs/policy.md), for editors. ${AUTHORITY}.`,
  } as Record<string, unknown>;
}
