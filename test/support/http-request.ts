// Plain HTTP to 127.0.0.1 with any Host header (Node's fetch won't set Host, and *.localhost names are not
// in every resolver), without following redirects: the tests look at each hop.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";

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
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(ask.body);
  });
}
