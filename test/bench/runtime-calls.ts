// The calls a Worker makes into workerd's JavaScript API (`request.cf`, `headers.get`, `new Response`, ...), by
// name, from `callgrind_annotate --inclusive=yes` of a dump: what each costs per request, the runtime's work
// under it included. pair.ts prints them with `--api N`; docs/performance.md says what they showed.
//
// workerd binds each member through a jsg template (MethodCallback, PropertyGetterCallback, ...) whose symbol
// the demangler cannot read, so the class and member are taken from the mangled name itself: the class is the
// name before `registerMembers`, the member the last pointer-to-member (`XadL_ZN...`) in it. Constructors
// arrive demangled (`ConstructorCallback<..., workerd::api::Response, ...>`). Names are C++'s: a member bound
// under another JavaScript name shows under its C++ one (URL's toString and toJSON are both `getHref`, and
// add up there), and a getter `getX` shows as the property `x`. Static methods, setters and the fast API's
// callbacks are bound by other templates, and are left out (Ward's request path makes none of those calls).

/** `<length><name>` at `at` of a mangled name (skipping substitutions such as `S7_` and qualifiers), and its end. */
function sourceName(mangled: string, at: number): { name: string; end: number } | undefined {
  let i = at;
  while (/[SNK]/.test(mangled[i] ?? "")) {
    const close = mangled.indexOf("_", i);
    if (mangled[i] !== "S") i++;
    else if (close !== -1 && /^S[0-9A-Z]*_$/.test(mangled.slice(i, close + 1))) i = close + 1;
    else break;
  }
  const digits = /^\d{1,4}/.exec(mangled.slice(i, i + 4))?.[0];
  if (!digits) return undefined;
  const start = i + digits.length;
  return { name: mangled.slice(start, start + Number(digits)), end: start + Number(digits) };
}

/** C++ names of classes, without the namespaces (lower case in workerd: `url::URL` is URL). */
const classNames = (names: string[]): string => names.filter((name) => /^[A-Z]/.test(name)).join(".");

/** "Headers.get", "Request.cf (getter)", "new Response": the API member a jsg callback symbol binds. */
export function apiMember(symbol: string): string | undefined {
  const constructed = /^workerd::jsg::ConstructorCallback<[^,]{1,200}, workerd::api::([\w:]{1,200}),/.exec(symbol);
  if (constructed) return `new ${classNames(constructed[1]!.split("::"))}`;
  const kind = /^_ZN7workerd3jsg\d\d(MethodCallback|PropertyGetterCallback)I/.exec(symbol);
  const registers = symbol.indexOf("15registerMembers");
  const api = symbol.lastIndexOf("3api", registers);
  if (!kind || registers === -1 || api === -1) return undefined;
  // The class's qualified name, `<length><name>` after `3api` up to registerMembers: Headers, Headers.KeyIterator.
  const names: string[] = [];
  for (let at = api + "3api".length; at < registers; ) {
    const part = sourceName(symbol, at);
    if (!part || part.end > registers) return undefined;
    names.push(part.name);
    at = part.end;
  }
  const pointer = symbol.lastIndexOf("XadL_ZN");
  const member = pointer === -1 ? undefined : sourceName(symbol, pointer + "XadL_ZN".length);
  const owner = classNames(names);
  if (!owner || !member) return undefined;
  const getter = kind[1] === "PropertyGetterCallback";
  const property = getter ? member.name.replace(/^get([A-Z])/, (_, c: string) => c.toLowerCase()) : member.name;
  return `${owner}.${property.replace(/_$/, "")}${getter ? " (getter)" : ""}`;
}

/**
 * Inclusive instructions per request of each API member in an annotated dump (`callgrind_annotate
 * --inclusive=yes`), costliest first. A recursive call's frame (`'2`) is inside its outer call's count and is
 * left out; so are a binding's inner lambdas (`_ZZN...`), inside their binding's. Distinct bindings of one C++
 * member (URL's toString and toJSON) add up.
 */
export function runtimeCalls(annotated: string, requests: number): [string, number][] {
  const byMember = new Map<string, number>();
  for (const [, ir, symbol] of annotated.matchAll(/^\s*([\d,]+) \([^)]*\)\s+\?\?\?:(\S.*?)(?: \[[^\]]*\])?\s*$/gm)) {
    if (/'\d+$/.test(symbol!)) continue;
    const member = apiMember(symbol!);
    if (!member) continue;
    byMember.set(member, (byMember.get(member) ?? 0) + Number(ir!.replaceAll(",", "")) / requests);
  }
  return [...byMember].sort((a, b) => b[1] - a[1]);
}
