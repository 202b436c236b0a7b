// `--exceptions FILE.json`: time-bounded extra grants, until the policy can carry exceptions itself.
import { z } from "zod";
import { checkExceptions, METHODS, type CompiledPolicy, type ExceptionGrant } from "../../policy/index.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { readFile } from "node:fs/promises";

const ExceptionFile = z.array(
  z.strictObject({
    id: z.string().min(1),
    principal: z.string().min(1),
    service: z.string().min(1),
    route: z.string().min(1),
    methods: z.array(z.enum([...METHODS, "*"])).min(1),
    notAfter: z.iso.datetime({ offset: true }),
  }),
);

export async function readExceptions(file: string, policy: CompiledPolicy): Promise<ExceptionGrant[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(`cannot read ${file}: ${reason}`, EXIT.failed);
  }
  const parsed = ExceptionFile.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new CliError(`${file}: [${first.path.join(".")}] ${first.message}`, EXIT.failed);
  }
  const problems = checkExceptions(policy, parsed.data);
  if (problems.length > 0) throw new CliError(`${file}: ${problems.join("; ")}`, EXIT.failed);
  return parsed.data;
}
