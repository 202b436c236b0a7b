// Values ward init writes where only Cloudflare can give the real one. Each has the shape of the real thing, so
// that `wrangler deploy --dry-run` and `ward validate` accept the files, and each is recognisable, so that
// `ward doctor` names every one still left instead of a deployment failing on it (or, worse, running with it).

export const PLACEHOLDER_KV_ID = "0".repeat(32);
export const PLACEHOLDER_VPC_SERVICE_ID = "00000000-0000-0000-0000-000000000000";
export const PLACEHOLDER_TEAM_DOMAIN = "https://your-team.cloudflareaccess.com";
/** 20 bytes, as a Subject Key Identifier (SHA-1 of the key) is. */
export const PLACEHOLDER_SKI = Array.from({ length: 20 }, () => "00").join(":");
/** Access service token client ids are 32 hex digits and `.access`. */
export const PLACEHOLDER_SERVICE_TOKEN = `${"0".repeat(32)}.access`;

/** The n-th application's AUD tag (distinct, so that validation does not see one tag twice). */
export function placeholderAud(n: number): string {
  return n.toString(16).padStart(64, "0");
}

export const KV_ID = /^[0-9a-f]{32}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An id no Cloudflare API hands out: fewer than four different hex digits. A random 32-digit id has about 16;
 * the odds that one has three or fewer are below 1e-20. Catches zeros, `1111...`, `0000...0011` alike.
 */
export function isPlaceholderId(id: string): boolean {
  return new Set(id.toLowerCase().replace(/[^0-9a-f]/g, "")).size < 4;
}
