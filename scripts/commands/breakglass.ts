import { parseArgs } from "node:util";
import { adminCall, policyState, resolveTarget, TARGET_USAGE, targetOptions } from "../admin-client.ts";
import { CliError, EXIT } from "../cli-error.ts";
import { grantLine } from "../grants/format.ts";
import { PRINCIPAL_SYNTAX, principalFromFlag } from "../grants/principal.ts";
import type { Io } from "../io.ts";
import { grantFrom, listFlag, listGrants } from "./exceptions.ts";

export const usage = `ward breakglass ${TARGET_USAGE} --service S [--routes R,R] [--methods M,M]
         [--principal ${PRINCIPAL_SYNTAX}] --minutes N --justification TEXT
ward breakglass list ${TARGET_USAGE} [--all] [--service S] [--json]
    an emergency grant for minutes (capped by exceptions.breakGlassMaxDuration), logged and announced`;

export async function breakglassCommand(args: string[], io: Io): Promise<number> {
  const listing = args[0] === "list";
  const { values, positionals } = parseArgs({
    args: listing ? args.slice(1) : args,
    allowPositionals: true,
    options: {
      ...targetOptions,
      service: { type: "string" },
      routes: { type: "string" },
      methods: { type: "string" },
      principal: { type: "string" },
      minutes: { type: "string" },
      justification: { type: "string" },
      all: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new CliError(`unexpected ${positionals[0]}\n${usage}`);
  if (listing) {
    const target = await resolveTarget(values);
    await policyState(target, values.env);
    // As `exceptions list`: --service narrows the list (from a review: it was taken and ignored).
    const service = values.service ? `&service=${encodeURIComponent(values.service)}` : "";
    return listGrants(target, `?kind=break-glass${values.all ? "&all=1" : ""}${service}`, values.json, io);
  }
  if (!values.service || !values.justification || !values.minutes)
    throw new CliError(`--service, --minutes and --justification are required\n${usage}`);
  const minutes = Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1)
    throw new CliError(`--minutes ${values.minutes}: expected a positive whole number`);
  const body = {
    service: values.service,
    routes: listFlag(values.routes),
    methods: listFlag(values.methods?.toUpperCase()),
    justification: values.justification,
    minutes,
    ...(values.principal ? { principal: principalFromFlag(values.principal) } : {}),
  };
  const target = await resolveTarget(values);
  await policyState(target, values.env);
  const grant = grantFrom(target, await adminCall(target, "POST", "/breakglass", body));
  io.out(`break-glass: ${grantLine(grant, Date.now())}`);
  return EXIT.ok;
}
