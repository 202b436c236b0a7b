// A JWK pushed with the policy (a token issuer's keys.jwks, a transmitter's jwks). Its members are checked where
// they are used (validate/tokens.ts, validate/ssf.ts); here only its shape is bounded. A JWK is a flat object of
// strings and lists of strings (key_ops, x5c): a member nested thousands deep passed validation and then
// overflowed the stack when the policy was hashed (canonicalJson), so `ward push` and the admin API died on it.
import * as z from "zod";
import { valuesWithin } from "./json-shape.ts";

/** Deep enough for any member a JWK has (object, list, string), and values for a certificate chain in x5c. */
const MAX_JWK_DEPTH = 3;
const MAX_JWK_VALUES = 200;

export const publicJwk = z
  .record(z.string(), z.unknown())
  .refine((key) => valuesWithin(key, MAX_JWK_DEPTH, MAX_JWK_VALUES) !== undefined, {
    message: `must be a JWK: members of strings or lists of strings, at most ${MAX_JWK_VALUES} values in all`,
  });
