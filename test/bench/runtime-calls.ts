// The calls a Worker makes into workerd's JavaScript API (`request.cf`, `headers.get`, `new Response`, ...), by
// name, from `callgrind_annotate --inclusive=yes` of a dump: what each costs per request, the runtime's work
// under it included. pair.ts prints them with `--api N`; docs/performance.md says what they showed.
//
// workerd binds each member through a jsg template (MethodCallback, PropertyGetterCallback, ...) whose symbol
// the demangler cannot read, so the class and member are taken from the mangled name itself: the class is the
// name before `registerMembers`, the member the last pointer-to-member (`XadL_ZN...`) in it. Constructors
// arrive demangled (`ConstructorCallback<..., workerd::api::Response, ...>`).

/** `<length><name>` at `at` of a mangled name (skipping substitutions such as `S7_`), and where it ends. */
function sourceName(mangled: string, at: number): { name: string; end: number } | undefined {
  let i = at;
  while (/[SNK]/.test(mangled[i] ?? "")) {
    const close = mangled.indexOf("_", i);
    if (mangled[i] !== "S") i++;
    else if (close !== -1 && /^S[0-9A-Z]*_/.test(mangled.slice(i, close + 1))) i = close + 1;
    else break;
  }
  const digits = /^\d+/.exec(mangled.slice(i))?.[0];
  if (!digits) return undefined;
  const start = i + digits.length;
  return { name: mangled.slice(start, start + Number(digits)), end: start + Number(digits) };
}

/** "Headers.get", "Request.cf (getter)", "new Response": the API member a jsg callback symbol binds. */
export function apiMember(symbol: string): string | undefined {
  const constructed = /^workerd::jsg::ConstructorCallback<[^,]+, workerd::api::([\w:]+),/.exec(symbol);
  if (constructed) return `new ${constructed[1]}`;
  const kind = /^_ZN7workerd3jsg(\d+)(MethodCallback|PropertyGetterCallback|PropertySetterCallback)/.exec(symbol);
  if (!kind) return undefined;
  const registers = symbol.indexOf("15registerMembers");
  const classes = [...symbol.slice(0, registers).matchAll(/api(?:\d+url)?((?:\d+[A-Za-z_]\w*?)+)$/g)];
  const path = classes.at(-1)?.[1];
  if (!path) return undefined;
  const names: string[] = [];
  for (let at = 0; at < path.length; ) {
    const part = sourceName(path, at);
    if (!part) break;
    names.push(part.name);
    at = part.end;
  }
  const pointer = symbol.lastIndexOf("XadL_ZN");
  const member = pointer === -1 ? undefined : sourceName(symbol, pointer + "XadL_ZN".length);
  if (names.length === 0 || !member) return undefined;
  const owner = names.join(".");
  const getter = kind[2] === "PropertyGetterCallback";
  // Getters are bound as getX(): named as the property a Worker reads.
  const property = getter ? member.name.replace(/^get([A-Z])/, (_, c: string) => c.toLowerCase()) : member.name;
  return `${owner}.${property.replace(/_$/, "")}${getter ? " (getter)" : ""}`;
}

/**
 * Inclusive instructions per request of each API member in an annotated dump (`callgrind_annotate
 * --inclusive=yes`), costliest first. A member listed more than once (a recursive call's frame, `'2`) counts
 * once, at its largest: the inner call is inside the outer one's inclusive count. The inner lambdas of a binding
 * (`_ZZN...`) are not bindings, and are left out.
 */
export function runtimeCalls(annotated: string, requests: number): [string, number][] {
  const byMember = new Map<string, number>();
  for (const [, ir, symbol] of annotated.matchAll(/^\s*([\d,]+) \([^)]*\)\s+\?\?\?:(\S.*?)(?: \[[^\]]*\])?\s*$/gm)) {
    const member = apiMember(symbol!);
    if (!member) continue;
    const perRequest = Number(ir!.replaceAll(",", "")) / requests;
    byMember.set(member, Math.max(byMember.get(member) ?? 0, perRequest));
  }
  return [...byMember].sort((a, b) => b[1] - a[1]);
}
