// The text the admin API shows for a version (GET /.ward/admin/policy/versions/<v>): what `ward rollback`, `ward
// shadow promote` and `ward push` diff, and what an operator reviews. `policy:v:<v>` holds the text first pushed,
// but KV does not tie a value to its key (policy/stored-text.ts): a text that is another version is never shown
// as this one. Read on the admin API's path only; the gateway's loader checks what it loads itself (store.ts).
import { documentKey, sha256Hex, storedTextVersion, versionKey } from "../../policy/index.ts";
import { logEvent } from "../log/events.ts";

export type VersionText =
  /** The source as pushed, or (when that is not the version) the stored document, canonical JSON: the same version. */
  | { ok: true; text: string; form: "source" | "document" }
  /** Nothing stored under the name (missing), or nothing stored that is that version. */
  | { ok: false; missing: boolean };

export async function readVersionText(kv: KVNamespace, version: string): Promise<VersionText> {
  const [source, document] = await Promise.all([kv.get(versionKey(version)), kv.get(documentKey(version))]);
  if (source === null && document === null) return { ok: false, missing: true };
  const computed = source === null ? undefined : await storedTextVersion(source);
  if (computed === version) return { ok: true, text: source!, form: "source" };
  if (source !== null)
    logEvent("error", "policy-version-hash-mismatch", {
      role: "show",
      version,
      from: "source",
      computed: computed ?? null,
    });
  // The document's bytes are the version's definition: they hash to its name, whatever Ward reads them.
  if (document !== null && (await sha256Hex(document)) === version)
    return { ok: true, text: document, form: "document" };
  return { ok: false, missing: false };
}
