// The numeric vars (POLICY_REFRESH_SECONDS, ORIGIN_TIMEOUT_MS, WEBSOCKET_CHECK_SECONDS, ...) are read by
// policy/settings.ts, the Worker's own reader: a value it cannot use is read as the default (or unset), one past a
// bound as the bound, and the Worker says nothing. `WEBSOCKET_CHECK_SECONDS = "0"` was meant to mean something;
// doctor says what it is read as.
import {
  NUMERIC_SETTINGS,
  readSetting,
  settingRule,
  statedNumber,
  type NumericSettingName,
} from "../../policy/index.ts";
import { isTable } from "./config.ts";
import { stripNamesOf } from "../../policy/strip-headers.ts";
import { envWhere, type Check, type DoctorContext, type Finding } from "./types.ts";

function readAs(name: NumericSettingName, read: number | undefined): string {
  const setting = NUMERIC_SETTINGS[name];
  if (read === undefined) return "unset (a route's own value, else the default)";
  return `${read} ${setting.unit}${read === setting.fallback ? " (the default)" : ""}`;
}

export const checkSettings: Check = (ctx: DoctorContext) => {
  const vars = ctx.env.vars;
  if (!isTable(vars)) return [];
  const findings: Finding[] = [];
  for (const name of Object.keys(NUMERIC_SETTINGS) as NumericSettingName[]) {
    if (!Object.hasOwn(vars, name)) continue;
    const value = vars[name];
    const read = readSetting(name, value);
    if (read === statedNumber(value)) continue;
    findings.push({
      severity: "warning",
      code: "setting-read-otherwise",
      where: envWhere(ctx, "vars"),
      message: `${name} = ${JSON.stringify(value) ?? String(value)} is read as ${readAs(name, read)}: the Worker takes ${settingRule(name)}`,
      fix: `write ${name} as ${settingRule(name)}, or remove it for the default`,
    });
  }
  findings.push(...stripHeadersFindings(ctx, vars));
  return findings;
};

/**
 * STRIP_HEADERS is a list of names: a string, or (a JSON var) an array of strings. Anything else, the Worker
 * cannot tell what it keeps from origins, so it refuses every request it would forward (worker/origin/headers.ts).
 */
function stripHeadersFindings(ctx: DoctorContext, vars: Record<string, unknown>): Finding[] {
  if (!Object.hasOwn(vars, "STRIP_HEADERS")) return [];
  const value = vars.STRIP_HEADERS;
  try {
    stripNamesOf(value);
    return [];
  } catch {
    // As the Worker reads it: no list of names.
  }
  return [
    {
      severity: "error",
      code: "setting-unusable",
      where: envWhere(ctx, "vars"),
      message: `STRIP_HEADERS = ${JSON.stringify(value) ?? String(value)} is no list of header names: the Worker answers every request it would forward 500`,
      fix: 'write STRIP_HEADERS as header names separated by commas ("referer, x-debug"), or remove it',
    },
  ];
}
