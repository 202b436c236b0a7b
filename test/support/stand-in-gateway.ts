// A stand-in for Ward's gateway as the CLI tests call it with `--local --port`: a plain HTTP server on 127.0.0.1
// that hands out the Access dev token, answers the admin paths a test names from a route table, and answers
// anything else 404 as the admin API does. Each test file starts one before its tests and closes it after them.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll } from "vitest";
import { ADMIN_PATH } from "../../scripts/admin-client.ts";

/** A request as a route sees it: its method, its path with the query as sent (ADMIN_PATH and all), its body whole. */
export interface StandInRequest {
  method: string;
  url: string;
  body: string;
}

/** A JSON body, or a text sent as it is; 200 unless it says. */
export type StandInAnswer =
  | { status?: number; json: unknown }
  | { status?: number; headers?: Record<string, string>; text: string };

/**
 * What a route answers: a function's answer (none: the next route that matches, else 404), or, for anything but a
 * function, that value as a JSON body with 200.
 */
export type StandInRoute = ((request: StandInRequest) => StandInAnswer | undefined) | object;

/**
 * Routes by the path under ADMIN_PATH (`/policy`), matched whole with its query, or as a prefix when it ends in
 * `*` (`/denylist?*`); `GET /policy` matches that method only. The first that matches and answers is used.
 */
export type StandInRoutes = Record<string, StandInRoute>;

export interface StandInGateway {
  /** Its port, for `--port`: known once the file's tests have begun. */
  readonly port: string;
}

const ANSWERS_404: StandInAnswer = { status: 404, json: { error: "no such admin endpoint" } };

function matches(key: string, request: StandInRequest): boolean {
  const [method, path] = key.includes(" ") ? key.split(" ", 2) : [undefined, key];
  if (method !== undefined && method !== request.method) return false;
  const url = `${ADMIN_PATH}${path!.replace(/\*$/, "")}`;
  return path!.endsWith("*") ? request.url.startsWith(url) : request.url === url;
}

function answer(routes: StandInRoutes, request: StandInRequest): StandInAnswer {
  if (request.url.startsWith("/cdn-cgi/access/dev-token")) return { text: "token" };
  for (const [key, route] of Object.entries(routes)) {
    if (!matches(key, request)) continue;
    const answered = typeof route === "function" ? route(request) : { json: route };
    if (answered) return answered;
  }
  return ANSWERS_404;
}

/** A stand-in gateway answering `routes`, listening on 127.0.0.1 for this test file's tests. */
export function standInGateway(routes: StandInRoutes): StandInGateway {
  let server: Server | undefined;
  let port = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const reply = answer(routes, { method: req.method ?? "", url: req.url ?? "", body });
        if ("json" in reply)
          res.writeHead(reply.status ?? 200, { "content-type": "application/json" }).end(JSON.stringify(reply.json));
        else res.writeHead(reply.status ?? 200, reply.headers ?? {}).end(reply.text);
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    port = String((server.address() as { port: number }).port);
  });
  afterAll(async () => {
    // The CLI's fetch keeps its connections open: closed too, or close() waits for them to idle out.
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });
  return {
    get port() {
      return port;
    },
  };
}
