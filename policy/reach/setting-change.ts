// A change outside the grants, as `ward diff` lists it: what changed in words, and whether it may let more through.

export interface SettingChange {
  kind:
    | "host"
    | "service"
    | "origin"
    | "mode"
    | "hide"
    | "path case"
    | "certificate"
    | "forwarded headers"
    | "rule headers"
    | "rate limit"
    | "websocket"
    | "route"
    | "admin"
    | "identity source"
    | "token limit"
    | "binding"
    | "security events";
  /** What changed, in words: `*.example.com: now served by shop (was served by no service)`, `+ group:sre`, ... */
  change: string;
  /** May let someone in, or tell or give them more, who was not before: `ward diff` exits 4. Else it narrows. */
  widens: boolean;
}
