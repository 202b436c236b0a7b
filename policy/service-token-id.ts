// An Access service token's client id, the only name Ward knows a service token by. Cloudflare makes it: 32
// lower-case hex digits and `.access` (`e367826f93b8d71185e03fe518aff3b4.access` in Access's documentation of
// the token), and in older accounts the team's domain after it (`88bf....access.example.com` in the API's
// schema). Access's own identity record also has a `common_name`, the CN of an mTLS client certificate: a
// token's `common_name` that is not a client id's shape is not read as a service token (a certificate named
// like one would still be: docs/policy.md).

/** The client id's shape: 32 lower-case hex digits, `.access`, then optionally DNS labels (lower case). */
export const SERVICE_TOKEN_ID = /^[0-9a-f]{32}\.access(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){0,8}$/;

/** What `SERVICE_TOKEN_ID` asks for, in words, for errors an operator reads. */
export const SERVICE_TOKEN_ID_HINT =
  "an Access service token's client id: 32 lower-case hex digits then .access (Access > Service Auth > Service Tokens)";

export function isServiceTokenId(value: string): boolean {
  return value.length <= 255 && SERVICE_TOKEN_ID.test(value);
}
