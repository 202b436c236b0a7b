// What a failed verification says went wrong, as a problem name. jose's errors carry a string `code`
// (`ERR_JWT_EXPIRED`); WebCrypto's DOMException, thrown when a published key cannot be imported (a point off its
// curve, a modulus that is no number), carries a number (0, 12), which is no problem name: read as one, it crashed
// the gateway's check of whether the key set was unavailable (from a generated review: a 500 on every route,
// public ones included, for any token naming such a key's kid).

/** The error's code when it is jose's (a string), `key-unusable` for a key the runtime would not import. */
export function joseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === "string") return code;
  return error instanceof DOMException ? "key-unusable" : undefined;
}
