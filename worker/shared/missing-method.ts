// A Durable Object still on the release before (a gradual deployment, or the seconds after any deploy) lacks the
// methods this release added; the runtime refuses a call to one with a TypeError. Callers that can do what that
// release did fall back on exactly this refusal, and on nothing else, so a call refused for another reason is
// never carried out a second way.

/**
 * Whether `error` is the runtime's refusal of a call to `method`, which the object does not have (workerd: `The
 * RPC receiver does not implement the method "revoke".`; the test pool's wrapper words it without "the method").
 * A runtime that words it otherwise is not matched: the caller's failure then stands, nothing is done twice.
 */
export function lacksMethod(error: unknown, method: string): boolean {
  if (!(error instanceof TypeError)) return false;
  const message = error.message;
  return (
    message === `The RPC receiver does not implement the method "${method}".` ||
    message === `The RPC receiver does not implement "${method}".`
  );
}
