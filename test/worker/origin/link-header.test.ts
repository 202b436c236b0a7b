// The Link header read as browsers read it (worker/origin/link-header.ts): quoted parameters keep their commas
// and angle brackets, and `anchor` and `imagesrcset` hold URLs too (from a review: both carried an internal
// address past a filter that looked for `<...>` only).
import { describe, expect, it } from "vitest";
import { linkValues } from "../../../worker/origin/link-header.ts";

describe("linkValues", () => {
  it("splits link-values on commas outside quotes, with every URL each holds", () => {
    expect(
      linkValues(
        '</ok>; title="<a, b>", <http://10.20.30.40:8080/x.js>; rel=preload; as=script, </i.png>; rel=preload; imagesrcset="http://10.0.0.1/a.png 1x, /b.png 2x"; anchor="#top"',
      ),
    ).toEqual([
      { text: '</ok>; title="<a, b>"', urls: ["/ok"] },
      { text: "<http://10.20.30.40:8080/x.js>; rel=preload; as=script", urls: ["http://10.20.30.40:8080/x.js"] },
      {
        text: '</i.png>; rel=preload; imagesrcset="http://10.0.0.1/a.png 1x, /b.png 2x"; anchor="#top"',
        urls: ["/i.png", "http://10.0.0.1/a.png", "/b.png", "#top"],
      },
    ]);
  });

  it("takes a quoted pair's escapes and bare tokens; refuses what is no Link grammar", () => {
    expect(linkValues('<https://a/>; anchor="x\\"y"; rel=next')).toEqual([
      { text: '<https://a/>; anchor="x\\"y"; rel=next', urls: ["https://a/", 'x"y'] },
    ]);
    expect(linkValues("")).toEqual([]);
    for (const bad of [
      "/x; rel=preload",
      "</x",
      '</x>; title="open',
      "</x>; =v",
      "</x> junk",
      // A browser opens a quote at a `"` inside a bare value, and would split the rest otherwise (from a review).
      '</ok>; title=a"b, </p>; x="c, <http://10.20.30.40:8080/x.js>; rel=preload; as=script, d"',
      "</ok>; title=a<b, <http://10.20.30.40:8080/x.js>; rel=preload",
      "</x>; anchor=http://10.0.0.1/",
    ])
      expect(linkValues(bad), bad).toBeUndefined();
  });
});
