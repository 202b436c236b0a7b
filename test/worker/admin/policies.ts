// The demo policy as the admin API's tests push it: new versions of the same meaning, and with one more admin.
import demoPolicy from "../../../policy/examples/demo.yaml?raw";
import { loadPolicy } from "../../../policy/index.ts";

/** The demo policy with a different description: a new version with the same meaning. */
export const labelled = (label: string): string =>
  demoPolicy.replace("description: Ward local demo", `description: Ward local demo (${label})`);

/** A new version in which `email` is an admin too, beside the group ward-admins. */
export const withAdmin = (label: string, email: string): string =>
  labelled(label).replace(
    "principals: [{ group: ward-admins }]",
    `principals: [{ group: ward-admins }, { email: ${email} }]`,
  );

/** The demo policy with a different description, compiled: a new version with the same meaning. */
export async function compiledLabelled(label: string) {
  const loaded = await loadPolicy(labelled(label));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy;
}

/** The version a policy text is stored under. */
export async function versionOf(text: string): Promise<string> {
  const loaded = await loadPolicy(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.policy.version;
}
