// A security-event transmitter that only offers polling (RFC 8936), for test/worker/ssf/poll.test.ts. Runs in
// Node, inside the outbound mock of vitest.config.ts: tests queue signed SETs (PUT /queue), Ward polls POST /poll,
// and the tests read every poll request it received (GET /requests). Unacknowledged SETs are delivered again, as
// RFC 8936 §2.4 says; an acknowledged one, or one reported in setErrs, is gone. PUT /queue {redirect: true} makes
// /poll answer 302 to /elsewhere (which Ward must never call); PUT /queue {oversized: true} makes it answer
// with more than Ward reads; PUT /queue {raw: TEXT} makes the next /poll answer TEXT as it is (a jti twice).
export const POLL_ORIGIN = "https://poll.ward-demo.test";

interface PollRequest {
  authorization: string | null;
  body: { ack?: string[]; setErrs?: Record<string, { err: string }>; maxEvents?: number; returnImmediately?: boolean };
}

let queue = new Map<string, string>();
let requests: PollRequest[] = [];
let redirect = false;
let oversized = false;
let raw: string | undefined;
let elsewhere = 0;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The answer for `request` when it is for the poll transmitter, else undefined. */
export async function pollEndpoint(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.origin !== POLL_ORIGIN) return undefined;
  switch (`${request.method} ${url.pathname}`) {
    case "PUT /queue": {
      const body = (await request.json()) as {
        sets?: Record<string, string>;
        redirect?: boolean;
        oversized?: boolean;
        raw?: string;
      };
      queue = new Map(Object.entries(body.sets ?? {}));
      requests = [];
      redirect = body.redirect === true;
      oversized = body.oversized === true;
      raw = body.raw;
      elsewhere = 0;
      return new Response(null, { status: 204 });
    }
    case "GET /requests":
      return json({ requests, queued: [...queue.keys()], elsewhere });
    case "POST /elsewhere":
      elsewhere++;
      return json({ sets: {} });
    case "POST /poll": {
      const body = (await request.json()) as PollRequest["body"];
      requests.push({ authorization: request.headers.get("authorization"), body });
      if (redirect) return new Response(null, { status: 302, headers: { location: `${POLL_ORIGIN}/elsewhere` } });
      // A well-formed answer past Ward's 1 MiB bound, streamed with no Content-Length: Ward must stop reading.
      if (oversized)
        return new Response(
          new ReadableStream({
            start(controller) {
              const enc = new TextEncoder();
              controller.enqueue(enc.encode('{"sets":{},"padding":"'));
              for (let i = 0; i < 20; i++) controller.enqueue(enc.encode("x".repeat(64 * 1024)));
              controller.enqueue(enc.encode('"}'));
              controller.close();
            },
          }),
          { headers: { "content-type": "application/json" } },
        );
      if (raw !== undefined) {
        const text = raw;
        raw = undefined;
        return new Response(text, { headers: { "content-type": "application/json" } });
      }
      for (const jti of [...(body.ack ?? []), ...Object.keys(body.setErrs ?? {})]) queue.delete(jti);
      const max = body.maxEvents ?? 10;
      const sets = Object.fromEntries([...queue.entries()].slice(0, max));
      return json({ sets, moreAvailable: queue.size > max });
    }
    default:
      return new Response("no such poll endpoint", { status: 404 });
  }
}
