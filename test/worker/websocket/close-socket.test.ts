// Closing one side of a relayed connection: a reason passed on is cut to what a close frame holds, and a close
// the runtime refuses is tried again in a plainer form, never left unsent in silence.
import { describe, expect, it } from "vitest";
import { closeSocket, passedOnReason } from "../../../worker/websocket/close-socket.ts";
import { until } from "./support.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;

describe("passedOnReason", () => {
  it.each([
    ["a short reason", "done for today", "done for today"],
    ["123 bytes exactly", `${"é".repeat(61)}x`, `${"é".repeat(61)}x`],
    ["ASCII past 123 bytes", "a".repeat(200), "a".repeat(123)],
    ["42 U+FFFD (invalid bytes as received): 126 bytes", "\ufffd".repeat(42), "\ufffd".repeat(41)],
    ["a pair across the limit, never split", `${"a".repeat(121)}😀`, "a".repeat(121)],
    ["lone surrogates, three bytes each once encoded", "\udc00".repeat(42), "\ufffd".repeat(41)],
  ])("%s", (_name, reason, passed) => {
    expect(passedOnReason(reason)).toBe(passed);
    expect(bytes(passedOnReason(reason))).toBeLessThanOrEqual(123);
  });
});

describe("closeSocket", () => {
  it("closes with the code alone when the runtime refuses the reason", async () => {
    const [mine, theirs] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    mine.accept();
    theirs.accept();
    let closed: { code: number; reason: string } | undefined;
    theirs.addEventListener("close", (event) => {
      closed = { code: event.code, reason: event.reason };
    });
    expect(closeSocket(mine, 4000, "\ufffd".repeat(42))).toBeUndefined();
    await until(() => closed !== undefined, 1000);
    expect(closed).toEqual({ code: 4000, reason: "" });
  });

  it("tries every plainer form, and hands back what the last one threw", () => {
    const tried: unknown[][] = [];
    const refusing = {
      close: (...args: unknown[]) => {
        tried.push(args);
        throw new Error(`refused ${tried.length}`);
      },
    } as unknown as WebSocket;
    expect(String(closeSocket(refusing, 4000, "why"))).toBe("Error: refused 4");
    expect(tried).toEqual([[4000, "why"], [4000], [1001], []]);
  });

  it("is no error on a socket already closed", () => {
    const [mine] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    mine.accept();
    mine.close(1000);
    expect(closeSocket(mine, 1000, "again")).toBeUndefined();
  });
});
