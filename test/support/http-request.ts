// Plain HTTP to 127.0.0.1 with any Host header (Node's fetch won't set Host, and *.localhost names are not
// in every resolver), without following redirects: the tests look at each hop.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Ask {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** `url` names the host the gateway sees; the connection always goes to 127.0.0.1:port. */
export function send(port: number, url: string, ask: Ask = {}): Promise<Reply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: ask.method ?? "GET",
        path: target.pathname + target.search,
        headers: { host: target.host, ...ask.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(ask.body);
  });
}

/**
 * One request written byte for byte on a fresh connection (`Connection: close` is the caller's to send): a
 * request target, framing or body no client library would produce, as an attacker's raw socket sends it.
 */
export function sendRaw(port: number, text: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const reply = Buffer.concat(chunks).toString("utf8");
      const split = reply.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = reply.slice(0, split === -1 ? reply.length : split).split("\r\n");
      const headers: IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(" ")[1] ?? 0),
        headers,
        body: split === -1 ? "" : reply.slice(split + 4),
      });
    });
  });
}
