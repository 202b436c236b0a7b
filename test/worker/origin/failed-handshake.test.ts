// What came with an upgrade answered 502 without a socket is logged (websocket-handshake-failed), not sent to the
// client: text from the runtime or an origin, so logged on one line, to a bound, and read no longer than a second
// (the client's 502 waits for it). extension-unasked.test.ts shows the runtime's own message logged.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logFailedHandshake } from "../../../worker/origin/failed-handshake.ts";
import { hang, hangEachTest } from "../support/hanging-call.ts";
import { captureLog } from "../websocket/support.ts";

let log: ReturnType<typeof captureLog>;

beforeEach(() => {
  log = captureLog();
});

afterEach(() => log.stop());

hangEachTest(() => {});

const logged = () => log.lines.find((l) => l.event === "websocket-handshake-failed");

describe("an origin's own 502 to an upgrade", () => {
  it("is logged on one line, its first 500 characters", async () => {
    const forged = `bad gateway\r\n{"level":"info","event":"decision"}\u2028\u202e${"x".repeat(10_000)}`;
    await logFailedHandshake(new Response(forged, { status: 502 }), "r-long");
    const body = String(logged()?.body);
    expect(logged()).toMatchObject({ level: "warn", requestId: "r-long", status: 502 });
    expect(body).toHaveLength(500);
    expect(body.startsWith('bad gateway??{"level"')).toBe(true);
    expect(body).not.toMatch(/[\r\n\u2028\u202e]/);
  });

  it("is logged as far as it came within a second, when the rest never comes", async () => {
    let ended!: () => void;
    const endedThere = new Promise<void>((resolve) => (ended = resolve));
    let sent = false;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new TextEncoder().encode("upstream connect error"));
          return;
        }
        await endedThere; // the rest never comes, until the read is given up
      },
      cancel: () => {
        cancelled = true;
        ended();
      },
    });
    const started = Date.now();
    await logFailedHandshake(new Response(stream, { status: 502 }), "r-slow");
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(logged()).toMatchObject({ requestId: "r-slow", body: "upstream connect error" });
    // The rest is given up: the origin's answer is not left open.
    expect(cancelled).toBe(true);
  });

  it("reads no further than its bound of a body that keeps coming", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("y".repeat(1_024)));
      },
    });
    await logFailedHandshake(new Response(endless, { status: 502 }), "r-endless");
    expect(logged()).toMatchObject({ requestId: "r-endless", body: "y".repeat(500) });
    // 2 KiB, in 1 KiB chunks, and the one the stream may have queued ahead.
    expect(pulled).toBeLessThanOrEqual(4);
  });

  it("is not held by a body whose cancel never ends", async () => {
    let cancelAsked = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("reset by peer"));
        controller.close();
      },
      cancel: () => {
        cancelAsked = true;
        return hang();
      },
    });
    // Closed after one chunk, so nothing is cancelled: the stream is read to its end.
    await logFailedHandshake(new Response(stream, { status: 502 }), "r-closed");
    expect(logged()).toMatchObject({ requestId: "r-closed", body: "reset by peer" });
    expect(cancelAsked).toBe(false);
    let pulls = 0;
    const stuck = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode("z".repeat(4_096)));
      },
      cancel: () => {
        cancelAsked = true;
        return hang();
      },
    });
    const started = Date.now();
    await logFailedHandshake(new Response(stuck, { status: 502 }), "r-stuck-cancel");
    expect(cancelAsked).toBe(true);
    // The read's second (and its cancel's), with a loaded machine's room; the cancel itself never ends.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(log.lines.find((l) => l.requestId === "r-stuck-cancel")).toMatchObject({ body: "z".repeat(500) });
  });

  it("stops reading a body whose chunks come through promises alone, empty, forever", async () => {
    let pulled = 0;
    const empty = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(0));
      },
    });
    await logFailedHandshake(new Response(empty, { status: 502 }), "r-empty");
    expect(logged()).toMatchObject({ requestId: "r-empty", body: "" });
    // 64 reads, and the pull the stream may have made ahead.
    expect(pulled).toBeLessThanOrEqual(66);
  });

  it("reads a body of one-byte chunks as far as its bound of bytes", async () => {
    const bytes = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("b"));
      },
    });
    await logFailedHandshake(new Response(bytes, { status: 502 }), "r-bytes");
    expect(logged()).toMatchObject({ requestId: "r-bytes", body: "b".repeat(500) });
  });

  it("without a body, logs an empty one", async () => {
    await logFailedHandshake(new Response(null, { status: 502 }), "r-none");
    expect(logged()).toMatchObject({ requestId: "r-none", body: "" });
  });
});
