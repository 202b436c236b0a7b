// The one look of the pages Ward shows people (the denied page, where you stand). The local Access stand-in of
// `ward dev` uses it too, so that its sign-in and sign-out pages look like the rest.
export const PAGE_STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}" +
  "code{background:#f3f3f3;padding:.1rem .3rem}li{margin:.3rem 0}";
