// The Link header read as browsers read it (worker/origin/link-header.ts): quoted parameters keep their commas
// and angle brackets, and `anchor` and `imagesrcset` hold URLs too (from a review: both carried an internal
// address past a filter that looked for `<...>` only).
import { describe, expect, it } from "vitest";
import { linkValues, srcsetUrls } from "../../../worker/origin/link-header.ts";

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

  // Found by mutation testing: a parameter's name is case-insensitive (RFC 8288 §3), and a browser reads `ANCHOR` and
  // `ImageSrcSet` as it reads `anchor` and `imagesrcset`; their URLs must not slip past as unknown parameters.
  it("reads anchor and imagesrcset in any case", () => {
    expect(linkValues('</ok>; ANCHOR="http://10.0.0.1/"; ImageSrcSet="http://10.0.0.2/a.png 1x"')?.[0]?.urls).toEqual([
      "/ok",
      "http://10.0.0.1/",
      "http://10.0.0.2/a.png",
    ]);
  });

  it("checks an imagesrcset URL holding a comma whole and in parts (from a review)", () => {
    // A browser reads one URL, whose userinfo is `wiki.localhost,` and whose host is the origin's address.
    const header = '</ok.png>; rel=preload; as=image; imagesrcset="https://wiki.localhost,@10.20.30.40:8080/a.png 1x"';
    expect(linkValues(header)?.[0]?.urls).toEqual([
      "/ok.png",
      "https://wiki.localhost,@10.20.30.40:8080/a.png",
      "https://wiki.localhost",
      "@10.20.30.40:8080/a.png",
    ]);
  });
});

// HTML's "parse a srcset attribute": the URLs a browser fetches from a preload's imagesrcset.
describe("srcsetUrls", () => {
  it.each([
    // The HTML standard's own examples (the img element's srcset).
    [
      "image-1x.png 1x, image-2x.png 2x, image-3x.png 3x, image-4x.png 4x",
      ["image-1x.png", "image-2x.png", "image-3x.png", "image-4x.png"],
    ],
    [
      "pear-mobile.jpeg 720w, pear-tablet.jpeg 1280w, pear-desktop.jpeg 1920w",
      ["pear-mobile.jpeg", "pear-tablet.jpeg", "pear-desktop.jpeg"],
    ],
    // A URL keeps its inner commas; those it ends with separate candidates that have no descriptors.
    ["a,b.png 1x", ["a,b.png"]],
    ["a.png,b.png", ["a.png,b.png"]],
    ["a.png, b.png,,, c.png", ["a.png", "b.png", "c.png"]],
    // Descriptors run to a comma outside parentheses.
    ["a.png 1x (x, http://10.0.0.1/y), b.png", ["a.png", "b.png"]],
    ["  ,, \t\n a.png\f2x  ", ["a.png"]],
    ["", []],
    [", ,", []],
  ])("%j reads as %j", (srcset, urls) => {
    expect(srcsetUrls(srcset)).toEqual(urls);
  });

  it("stays linear on a long run of commas", () => {
    const long = `a${",".repeat(200_000)}b${",".repeat(200_000)}`;
    expect(srcsetUrls(long)).toEqual([`a${",".repeat(200_000)}b`]);
  });
});
