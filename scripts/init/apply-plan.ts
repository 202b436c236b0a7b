// Applies an environment's requirements to wrangler.toml's text, in place: a key that is already right is not
// touched, a wrong one has its value replaced (its line keeps its key, spacing and comment), a missing one is
// added to its table, a missing table is added after the environment's last one. Nothing outside [env.NAME]
// changes; what is right is judged on wrangler's reading of the file, not on its spelling.
import { isTable, tables } from "../doctor/config.ts";
import type { RawTable } from "../doctor/types.ts";
import type { EntryRequirement, Field, KeyRequirement, Requirement } from "./environment-plan.ts";
import { samePath, scanToml, startsWith, stringValue, type Table } from "./toml-document.ts";
import { sameValue, tomlHeader, tomlKey, tomlValue } from "./toml-values.ts";

/** A trailing comment ward init wrote next to a placeholder (or the project's older "replace:" notes). */
const PLACEHOLDER_NOTE = /^\s*#\s*(placeholder|replace)\b/;

function at(table: RawTable | undefined, path: readonly string[]): RawTable | undefined {
  let current: unknown = table;
  for (const part of path) current = isTable(current) ? current[part] : undefined;
  return isTable(current) ? current : undefined;
}

function fieldHolds(current: RawTable | undefined, field: Field): boolean {
  const value = current?.[field.key];
  return field.force ? sameValue(value, field.value) : value !== undefined;
}

class Editor {
  lines: string[];
  tables: Table[];
  readonly changes: string[] = [];
  readonly envPath: readonly string[];

  constructor(text: string, envPath: readonly string[]) {
    this.envPath = envPath;
    this.lines = text.split("\n");
    this.tables = scanToml(this.lines);
  }

  private splice(at: number, remove: number, insert: string[]): void {
    this.lines.splice(at, remove, ...insert);
    this.tables = scanToml(this.lines);
  }

  private findTable(path: readonly string[]): Table | undefined {
    return this.tables.find((t) => !t.array && samePath(t.path, path));
  }

  findEntry(path: readonly string[], idKey: string, id: string): Table | undefined {
    return this.tables.find(
      (t) =>
        t.array &&
        samePath(t.path, path) &&
        t.keys.some((k) => samePath(k.key, [idKey]) && stringValue(k.value) === id),
    );
  }

  /** Where a new table goes: after the same array's last entry, else after the environment's last table. */
  private insertionPoint(path: readonly string[]): number | undefined {
    const sameArray = this.tables.filter((t) => t.array && samePath(t.path, path));
    const inEnv = this.tables.filter((t) => t.header >= 0 && startsWith(t.path, this.envPath));
    const last = sameArray.at(-1) ?? inEnv.at(-1);
    return last ? last.lastContent + 1 : undefined;
  }

  private addTable(path: readonly string[], array: boolean, body: string[], comment: readonly string[] = []): void {
    const block = [...comment, tomlHeader(path, array), ...body];
    const point = this.insertionPoint(path);
    if (point === undefined) {
      // A new environment: at the end of the file, under a banner like the project's own.
      while (this.lines.length > 0 && this.lines.at(-1)!.trim() === "") this.lines.pop();
      const name = this.envPath.at(-1)!;
      const banner = `# ---- ${name} ${"-".repeat(Math.max(4, 91 - name.length))}`;
      this.splice(this.lines.length, 0, ["", banner, ...block, ""]);
    } else {
      this.splice(point, 0, ["", ...block]);
    }
    this.changes.push(`added ${tomlHeader(path, array)}`);
  }

  /** Sets `field` in `table` (its value line replaced in place, or added after the table's last line). */
  private setField(table: Table, field: Field, where: string): void {
    const existing = table.keys.find((k) => samePath(k.key, [field.key]));
    if (!existing) {
      this.splice(table.lastContent + 1, 0, [...(field.above ?? []), this.render(field)]);
      this.changes.push(`set ${where} ${field.key}`);
      return;
    }
    // A note that said "replace me" is stale once the value is replaced; any other comment is the operator's.
    const comment = PLACEHOLDER_NOTE.test(existing.comment) ? "" : existing.comment;
    this.splice(existing.first, existing.last - existing.first + 1, [
      `${existing.prefix}${tomlValue(field.value)}${comment}`,
    ]);
    this.changes.push(`changed ${where} ${field.key}`);
  }

  applyKey(requirement: KeyRequirement, current: RawTable | undefined): void {
    if (fieldHolds(current, requirement)) return;
    const path = [...this.envPath, ...requirement.table];
    const where = tomlHeader(path, false);
    const table = this.findTable(path);
    if (table) this.setField(table, requirement, where);
    else this.addTable(path, false, [...(requirement.above ?? []), this.render(requirement)], requirement.comment);
  }

  applyEntry(requirement: EntryRequirement, current: RawTable[]): void {
    const path = [...this.envPath, ...requirement.array];
    const where = `${tomlHeader(path, true)} ${requirement.idKey} = ${JSON.stringify(requirement.id)}`;
    const known = current.find((t) => t[requirement.idKey] === requirement.id);
    if (!known) {
      const body = [
        `${tomlKey(requirement.idKey)} = ${tomlValue(requirement.id)}`,
        ...requirement.fields.flatMap((f) => [...(f.above ?? []), this.render(f)]),
      ];
      this.addTable(path, true, body, requirement.comment);
      return;
    }
    for (const field of requirement.fields) {
      if (fieldHolds(known, field)) continue;
      const table = this.findEntry(path, requirement.idKey, requirement.id);
      // Written in a form this editor cannot find (an inline array, a quoted id): leave it to the check after.
      if (!table) return;
      this.setField(table, field, where);
    }
  }

  private render(field: Field): string {
    return `${tomlKey(field.key)} = ${tomlValue(field.value)}${field.trailing ? `  ${field.trailing}` : ""}`;
  }

  text(): string {
    return this.lines.join("\n");
  }
}

/** The new text and what changed (empty when everything already held). */
export function applyPlan(
  text: string,
  envName: string,
  env: RawTable | undefined,
  requirements: readonly Requirement[],
): { text: string; changes: string[] } {
  const editor = new Editor(text, ["env", envName]);
  for (const requirement of requirements) {
    if (requirement.kind === "key")
      editor.applyKey(requirement, requirement.table.length ? at(env, requirement.table) : env);
    else
      editor.applyEntry(
        requirement,
        tables(requirement.array.reduce<unknown>((t, part) => (isTable(t) ? t[part] : undefined), env)),
      );
  }
  return { text: editor.text(), changes: editor.changes };
}

/** The requirements that do not hold in `env` (wrangler's reading of the written file): none, or init failed. */
export function unmet(env: RawTable | undefined, requirements: readonly Requirement[]): string[] {
  const missing: string[] = [];
  for (const requirement of requirements) {
    if (requirement.kind === "key") {
      const current = requirement.table.length ? at(env, requirement.table) : env;
      if (!fieldHolds(current, requirement)) missing.push([...requirement.table, requirement.key].join("."));
      continue;
    }
    const entries = tables(requirement.array.reduce<unknown>((t, part) => (isTable(t) ? t[part] : undefined), env));
    const entry = entries.find((t) => t[requirement.idKey] === requirement.id);
    for (const field of requirement.fields)
      if (!entry || !fieldHolds(entry, field))
        missing.push(`${requirement.array.join(".")}[${requirement.idKey}=${requirement.id}].${field.key}`);
  }
  return missing;
}
