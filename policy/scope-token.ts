// One OAuth scope as RFC 6749 3.3 defines it: what a token's scopes (token-claims.ts) and a rule's `when.scopes`
// (schema.ts) must be, so that a rule never names a scope no token can hold.

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), at most 255 characters. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;
