// Documents within push's bounds that reviews built to make validation slow (test/bench/hostile-validation.ts;
// `npm run bench` times them): validating each says what it should, with its warnings counted past 100.
import { describe, expect, it } from "vitest";
import { hostileShapes, validateShape } from "../bench/hostile-validation.ts";

describe("hostile documents within push's bounds", () => {
  it.each(hostileShapes().map((shape) => [shape.name, shape] as const))(
    "%s",
    async (_, shape) => {
      expect(await validateShape(shape)).toEqual(shape.codes);
    },
    30_000,
  );
});
