// The policy version is the SHA-256 of the validated document in canonical JSON (sorted keys), so the same
// policy written as YAML or JSON, in any key order, has one version.

/** JSON with every object's keys sorted; undefined members are dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  // A replacer lets the native serialiser do the work: about a third faster than concatenating by hand
  // on a 10,000-route policy (test/bench).
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== "object" || Array.isArray(member)) return member;
    // No prototype: a member named `__proto__` (JSON.parse makes it an own one) is then kept as a member, where
    // assigning it to a plain object would set the prototype and drop it from the text.
    const sorted: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(member).sort()) sorted[key] = (member as Record<string, unknown>)[key];
    return sorted;
  });
}

/** SHA-256 of a text's UTF-8 bytes, in lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function policyHash(document: unknown): Promise<string> {
  return sha256Hex(canonicalJson(document));
}
