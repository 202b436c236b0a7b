// A security-event transmitter that only offers polling (RFC 8936), for test/worker/ssf/poll.test.ts. Runs in
// Node, inside the outbound mock of vitest.config.ts: tests queue signed SETs (PUT /queue), Ward polls POST /poll,
// and the tests read every poll request it received (GET /requests). Unacknowledged SETs are delivered again, as
// RFC 8936 §2.4 says; an acknowledged one, or one reported in setErrs, is gone. PUT /queue {redirect: true} makes
// /poll answer 302 to /elsewhere (which Ward must never call); PUT /queue {oversized: true} makes it answer
// with more than Ward reads; PUT /queue {raw: TEXT} makes the next /poll answer TEXT as it is (a jti twice).
//
// Each test file that polls has a channel of its own (`/<channel>/poll`, `/<channel>/queue`, ...; none: the paths
// above), so files run at once never take or clear each other's SETs: this runs once in the Node process for all.
export const POLL_ORIGIN = "https://poll.ward-demo.test";

interface PollRequest {
  authorization: string | null;
  body: { ack?: string[]; setErrs?: Record<string, { err: string }>; maxEvents?: number; returnImmediately?: boolean };
}

interface Channel {
  queue: Map<string, string>;
  requests: PollRequest[];
  redirect: boolean;
  oversized: boolean;
  raw: string | undefined;
  elsewhere: number;
}

const channels = new Map<string, Channel>();
const fresh = (): Channel => ({
  queue: new Map(),
  requests: [],
  redirect: false,
  oversized: false,
  raw: undefined,
  elsewhere: 0,
});

/** A channel's base URL: its poll endpoint is `${pollChannel(name)}/poll`, and so on. */
export const pollChannel = (name: string): string => `${POLL_ORIGIN}/${name}`;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The answer for `request` when it is for the poll transmitter, else undefined. */
export async function pollEndpoint(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.origin !== POLL_ORIGIN) return undefined;
  const path = /^(?:\/([a-z-]+))?(\/(?:queue|requests|elsewhere|poll))$/.exec(url.pathname);
  if (!path) return new Response("no such poll endpoint", { status: 404 });
  const name = path[1] ?? "";
  const channel = channels.get(name) ?? fresh();
  channels.set(name, channel);
  switch (`${request.method} ${path[2]}`) {
    case "PUT /queue": {
      const body = (await request.json()) as {
        sets?: Record<string, string>;
        redirect?: boolean;
        oversized?: boolean;
        raw?: string;
      };
      channels.set(name, {
        ...fresh(),
        queue: new Map(Object.entries(body.sets ?? {})),
        redirect: body.redirect === true,
        oversized: body.oversized === true,
        raw: body.raw,
      });
      return new Response(null, { status: 204 });
    }
    case "GET /requests":
      return json({ requests: channel.requests, queued: [...channel.queue.keys()], elsewhere: channel.elsewhere });
    case "POST /elsewhere":
      channel.elsewhere++;
      return json({ sets: {} });
    case "POST /poll": {
      const body = (await request.json()) as PollRequest["body"];
      const { queue } = channel;
      channel.requests.push({ authorization: request.headers.get("authorization"), body });
      const elsewhere = `${url.origin}${name ? `/${name}` : ""}/elsewhere`;
      if (channel.redirect) return new Response(null, { status: 302, headers: { location: elsewhere } });
      // A well-formed answer past Ward's 1 MiB bound, streamed with no Content-Length: Ward must stop reading.
      if (channel.oversized)
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
      if (channel.raw !== undefined) {
        const text = channel.raw;
        channel.raw = undefined;
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
