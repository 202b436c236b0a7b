// Bodies read with a bound (policy/read-bounded.ts), in workerd: the admin API, the SSF receiver and the
// SSF poller never take a body into memory whole before its size is known.
import { describe, expect, it } from "vitest";
import { readBounded } from "../../../policy/read-bounded.ts";

/** A body of `chunks` pieces of `size` bytes each; `pulled` counts what the reader asked for. */
function streamed(chunks: number, size: number, fill = 0x61) {
  const seen = { pulled: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (seen.pulled === chunks) return controller.close();
        seen.pulled++;
        controller.enqueue(new Uint8Array(size).fill(fill));
      },
      // Nothing is pulled before someone reads.
    },
    { highWaterMark: 0 },
  );
  return { body, seen };
}

describe("readBounded", () => {
  it("refuses a declared Content-Length over the bound without reading the body", async () => {
    const { body, seen } = streamed(4, 10);
    const result = await readBounded({ headers: new Headers({ "content-length": "41" }), body }, 40);
    expect(result).toEqual({ ok: false, problem: "too-large" });
    expect(seen.pulled).toBe(0);
  });

  it("stops reading a body that passes the bound whatever it declared, or without a declaration", async () => {
    for (const headers of [new Headers(), new Headers({ "content-length": "10" })]) {
      const { body, seen } = streamed(100, 10);
      expect(await readBounded({ headers, body }, 40)).toEqual({ ok: false, problem: "too-large" });
      expect(seen.pulled).toBeLessThanOrEqual(6);
    }
  });

  it("reads a body at the bound, an empty one, and tells a body that is not UTF-8 apart", async () => {
    expect(await readBounded({ headers: new Headers(), body: streamed(4, 10).body }, 40)).toEqual({
      ok: true,
      text: "a".repeat(40),
    });
    expect(await readBounded({ headers: new Headers(), body: null }, 40)).toEqual({ ok: true, text: "" });
    expect(await readBounded({ headers: new Headers(), body: streamed(1, 3, 0xff).body }, 40)).toEqual({
      ok: false,
      problem: "not-utf8",
    });
  });
});
