// The answers of the SET receiver (RFC 8935 §2.2, §2.3): 202 with no body for a SET taken, 400 with the error
// code for a SET refused, 503 for one Ward cannot take now (the transmitter sends it again; 4xx it does not).
// The description is the code's meaning, the same for every refusal with that code: which check failed is for
// the operator's log, never for whoever sent the request.
import type { SetErrorCode } from "../../policy/index.ts";

export const SET_ERROR_DESCRIPTIONS: Readonly<Record<SetErrorCode, string>> = {
  invalid_request: "The request body cannot be parsed as a SET, or an event in it does not conform to its definition.",
  invalid_key: "The SET is not signed with a key and algorithm this receiver accepts from its issuer.",
  invalid_issuer: "The SET issuer is not a transmitter this receiver trusts at this address.",
  invalid_audience: "The SET audience does not correspond to this receiver.",
  authentication_failed: "The SET transmitter could not be authenticated.",
  access_denied: "The SET transmitter is not authorized to transmit this SET to this receiver.",
};

export function setAccepted(requestId: string): Response {
  return new Response(null, { status: 202, headers: { "ward-request-id": requestId } });
}

export function setRefused(err: SetErrorCode, requestId: string): Response {
  return new Response(JSON.stringify({ err, description: SET_ERROR_DESCRIPTIONS[err] }), {
    status: 400,
    headers: { "content-type": "application/json", "ward-request-id": requestId, "cache-control": "no-store" },
  });
}

export function setLater(requestId: string): Response {
  return new Response(null, { status: 503, headers: { "retry-after": "30", "ward-request-id": requestId } });
}

export function methodNotAllowed(requestId: string): Response {
  return new Response(null, { status: 405, headers: { allow: "POST", "ward-request-id": requestId } });
}
