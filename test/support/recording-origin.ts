// A real HTTP origin on 127.0.0.1 for the workerd tests. It records every request it receives so that a
// test can assert what reached the origin, and above all that a denied request never did.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serveWebSocket } from "./websocket-origin.ts";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** The header fields as they came on the wire: name, value, name, value... (names as sent, values latin1). */
  rawHeaders: string[];
  /** The first 16 KiB of the body, as text. */
  body: string;
  /** A WebSocket's: the code of the close frame the origin received (null: one without a code). */
  websocketClosed?: number | null;
  /** ... and its reason's bytes, in hex. */
  websocketCloseReason?: string;
  /** A WebSocket's messages and pongs, as the origin received them (websocket-origin.ts, `received`). */
  websocketReceived?: string[];
}

export const LOG_PATH = "/__recording-origin/log";

/** What a request came with, as recorded (its body read later, where it has one). */
const recordOf = (req: IncomingMessage): SeenRequest => ({
  method: req.method ?? "",
  url: req.url ?? "",
  headers: req.headers,
  rawHeaders: req.rawHeaders,
  body: "",
});

export async function startRecordingOrigin(): Promise<{ port: number; server: Server }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    if (req.url?.startsWith(LOG_PATH)) {
      // Only the test runner asks for the log; filter by a marker so test files do not see each other.
      const marker = new URL(req.url, "http://x").searchParams.get("marker") ?? "";
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(seen.filter((r) => r.url.includes(marker))));
      return;
    }
    const record = recordOf(req);
    seen.push(record);
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      if (record.body.length < 16384) record.body += chunk.slice(0, 16384 - record.body.length);
    });
    // Misbehaving origins, by path, for the gateway's error handling.
    // Past the tests' ORIGIN_TIMEOUT_MS (1,500) by seconds, so a loaded machine's late timer still fires first.
    if (req.url?.startsWith("/__too-slow")) return void setTimeout(() => res.end("late"), 6000);
    if (req.url?.startsWith("/__slow")) return void setTimeout(() => res.end("late"), 2000);
    if (req.url?.startsWith("/__broken")) return void req.socket.destroy();
    if (req.url?.startsWith("/__trickle")) {
      // Answers at once, then sends its body over 3 s: longer than the tests' ORIGIN_TIMEOUT_MS (1,500).
      res.writeHead(200, { "content-type": "text/plain" });
      let sent = 0;
      const tick = setInterval(() => {
        res.write(`part ${++sent}\n`);
        if (sent === 6) {
          clearInterval(tick);
          res.end();
        }
      }, 500);
      return;
    }
    if (req.url?.startsWith("/__huge")) {
      // 32 MiB in 1 MiB chunks: more than anything should buffer.
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(32 * chunk.length) });
      let sent = 0;
      const pump = (): void => {
        while (sent < 32) {
          sent++;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.url?.startsWith("/__coop")) {
      // An app page that isolates itself as Ward's pages do: COOP same-origin on both would put them in one
      // browsing context group, where a script of this page could read a Ward page it opened.
      res.writeHead(200, { "content-type": "text/html", "cross-origin-opener-policy": "same-origin" });
      return void res.end("<!doctype html><title>app</title><p>an app page with COOP same-origin</p>");
    }
    if (req.url?.startsWith("/__redirect")) {
      // `?to=`: the Location to send, as given (the forms browsers resolve to another host); repeated, one
      // Location field each. `?refresh=`: a Refresh header too. `?cookie=`: a Set-Cookie field each.
      // `?content-location=` and `?link=`: those headers too.
      const query = new URL(req.url, "http://origin").searchParams;
      const to = query.getAll("to");
      const refresh = query.get("refresh");
      // Node types Location as one value; it sends an array as one field per value all the same.
      res.setHeader("location", to.length > 1 ? to : (to[0] ?? "http://10.20.30.40:8080/internal/next?x=1"));
      if (refresh !== null) res.setHeader("refresh", refresh);
      for (const name of ["content-location", "link"]) {
        const value = query.get(name);
        if (value !== null) res.setHeader(name, value);
      }
      const cookies = query.getAll("cookie");
      if (cookies.length > 0) res.setHeader("set-cookie", cookies);
      res.writeHead(302);
      return void res.end();
    }
    if (req.url?.startsWith("/__answer")) {
      // `?fields=`: base64url of a JSON list of [name, value] pairs, each sent as a field of its own, in order (the
      // generated response headers of test/worker/origin/headers-differential.test.ts); `status=` its status.
      const query = new URL(req.url, "http://origin").searchParams;
      const fields = JSON.parse(Buffer.from(query.get("fields") ?? "", "base64url").toString() || "[]") as [
        string,
        string,
      ][];
      const status = Number(query.get("status") ?? 200);
      // Node refuses to announce trailers on an answer without a body (a 204 or 304): those go without them.
      const sendable =
        status === 204 || status === 304 ? fields.filter(([n]) => n.toLowerCase() !== "trailer") : fields;
      res.writeHead(status, sendable.flat());
      return void res.end();
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ origin: "recording", path: req.url }));
  });
  // An upgrade is recorded like any request (a test asserts that a refused one never arrived); a WebSocket
  // upgrade is answered by the echo endpoint, any other protocol refused.
  server.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
    const record = recordOf(req);
    seen.push(record);
    if (String(req.headers.upgrade).toLowerCase() === "websocket")
      return serveWebSocket(
        req,
        socket,
        head,
        (code, reason) => {
          record.websocketClosed = code ?? null;
          record.websocketCloseReason = reason.toString("hex");
        },
        (what) => {
          record.websocketReceived ??= [];
          record.websocketReceived.push(what);
        },
      );
    socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server };
}
