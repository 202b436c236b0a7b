// Which version a text stored under `policy:v:<v>` is. KV does not tie a value to its key: the bootstrap's printed
// `kv key put policy:v:<sha> --path FILE`, run again after FILE was edited, stores another version's text under
// the name. What history, diffs and `ward rollback` show must be the named version, so a reader of that key
// checks the text against its name first (worker/policy-store/version-text.ts, store.ts storeVersion).
import { policyHash } from "./hash.ts";
import { validatePolicyText } from "./load.ts";
import { MAX_POLICY_BYTES } from "./stored-version.ts";

/**
 * On the admin API's answer with a version's text: the gateway checked it is that version, as its release derives
 * versions (worker/admin/api.ts). A CLI of another release may derive another name from the same text.
 */
export const VERSION_CHECKED_HEADER = "ward-version-checked";

/**
 * The version a stored source is, read as the gateway reads one (worker/policy-store/store.ts readStoredVersion:
 * YAML within push's bound, as the Ward that took it read it); undefined when it does not validate. Validated,
 * not compiled: the hash is the validated document's, and building the indexes would only cost time.
 */
export async function storedTextVersion(text: string): Promise<string | undefined> {
  const validated = validatePolicyText(text, { yamlUpTo: MAX_POLICY_BYTES, stored: true });
  return validated.ok ? policyHash(validated.policy) : undefined;
}
