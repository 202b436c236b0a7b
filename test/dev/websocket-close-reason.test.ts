// A close frame whose reason is not UTF-8, over real sockets to the local gateway `ward dev` runs. The runtime
// reads each invalid byte as U+FFFD, three bytes, so 42 of them (a legal 44-byte close payload) arrive as 126
// bytes, more than a close frame holds: passed on unchanged, the close to the other side was refused and that
// side stayed open, unchecked, for good. Ward passes on the reason cut to 123 bytes, and closes the other side.
// Below: the fields of the 101 the client reads on the wire.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_POLICY, demoPolicyWithLiveRoute, startDemoGateway, type DemoGateway } from "../support/demo-gateway.ts";
import { send } from "../support/http-request.ts";
import { CLOSE, openRawWebSocket, TEXT, type RawWebSocket } from "../support/raw-websocket.ts";

const policyText = demoPolicyWithLiveRoute();
/** 4000, then 42 bytes 0xff. */
const HOSTILE_CLOSE = Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.alloc(42, 0xff)]);

let demo: DemoGateway;
let token: string;
const lines: Record<string, unknown>[] = [];
const sockets: RawWebSocket[] = [];

beforeAll(async () => {
  expect(policyText).not.toBe(readFileSync(DEMO_POLICY, "utf8"));
  demo = await startDemoGateway({
    recorded: ["WIKI"],
    policyText,
    onLog: (line) => {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    },
  });
  token = (await send(demo.port, `http://access.localhost:${demo.port}/cdn-cgi/access/dev-token?email=ann@example.com`))
    .body;
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await demo?.stop();
});

/** A connection to the wiki's /live, whose upgrade the origin records under `marker`. */
async function open(marker: string): Promise<RawWebSocket> {
  const socket = await openRawWebSocket(demo.port, `http://wiki.localhost:${demo.port}/live?${marker}`, {
    "cf-access-jwt-assertion": token,
  });
  sockets.push(socket);
  expect(socket.status).toBe(101);
  return socket;
}

/** What the origin recorded of the connection opened with `marker`, once `done` holds of it (within 3 s). */
async function originSide(marker: string, done: (closed: number | null | undefined) => boolean) {
  const find = async () => (await demo.originSaw()).find((r) => r.url === `/live?${marker}`);
  const deadline = Date.now() + 3000;
  while (!done((await find())?.websocketClosed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return find();
}

/** The close line of `socket`'s connection, once written. */
async function closeLine(socket: RawWebSocket): Promise<Record<string, unknown> | undefined> {
  const id = socket.headers["ward-request-id"];
  const find = () => lines.find((l) => l.event === "websocket-closed" && l.requestId === id);
  const deadline = Date.now() + 3000;
  while (!find() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return find();
}

describe("a close whose reason is 42 bytes 0xff", () => {
  it("from the client reaches the origin, with the reason cut to 123 bytes", async () => {
    const socket = await open("client-closes");
    socket.send(CLOSE, HOSTILE_CLOSE);
    const seen = await originSide("client-closes", (closed) => closed !== undefined);
    expect(seen?.websocketClosed).toBe(4000);
    // 41 U+FFFD (EF BF BD): the 42nd does not fit.
    expect(seen?.websocketCloseReason).toBe("efbfbd".repeat(41));
    // The client's closing handshake is completed.
    expect((await socket.next(CLOSE, 3000)).payload.readUInt16BE(0)).toBe(4000);
    expect(await closeLine(socket)).toMatchObject({ cause: "client-closed", code: 4000 });
    expect(lines.filter((l) => l.event === "websocket-close-failed")).toEqual([]);
  });

  it("from the origin reaches the client, with the reason cut to 123 bytes", async () => {
    const socket = await open("origin-closes");
    socket.send(TEXT, Buffer.from(`!close-raw 4000 ${"ff".repeat(42)}`));
    const close = await socket.next(CLOSE, 3000);
    expect(close.payload.readUInt16BE(0)).toBe(4000);
    expect(close.payload.subarray(2).toString("hex")).toBe("efbfbd".repeat(41));
    expect(await closeLine(socket)).toMatchObject({ cause: "origin-closed", code: 4000 });
  });
});

// What the client reads on the wire of the 101, not the Response the Worker returns: the runtime writes the
// handshake anew, and a Transfer-Encoding or Content-Length the origin's 101 carried (the Response still holds
// the first) is not written, so Ward need not remove it. Its hop-by-hop fields Ward drops (worker/origin/).
describe("the 101 a client reads", () => {
  it("holds none of the origin's framing or hop-by-hop fields, and the other fields it sent", async () => {
    const fields = [
      "Transfer-Encoding: chunked",
      "Content-Length: 5",
      "Keep-Alive: timeout=5",
      "TE: trailers",
      "Trailer: X-Sum",
      "Proxy-Connection: keep-alive",
      "Proxy-Authenticate: Basic",
      "X-Origin: yes",
    ];
    const socket = await open(`${fields.map((f) => `field=${encodeURIComponent(f)}`).join("&")}&handshake`);
    const names = Object.keys(socket.headers).sort();
    expect(names).toEqual(["connection", "sec-websocket-accept", "upgrade", "ward-request-id", "x-origin"]);
    expect(socket.headers.connection).toBe("Upgrade");
  });
});
