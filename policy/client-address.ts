// Whom a rate limit counts when nobody is identified: the client's address, as Cloudflare's edge gives it
// (CF-Connecting-IP, which the edge sets and a client cannot), so that one client cannot spend a public route's
// requests for everyone. An IPv6 client is counted by its /64 network: one host is handed a whole /64 and could
// otherwise start a fresh count per address. Anything else (no header: a local run) gives undefined, and then all
// anonymous callers share one count, which refuses sooner, never later.

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The first four groups of an IPv6 address (its /64), the IPv4 address it maps, or undefined when not one. */
function ipv6Network(address: string): string | undefined {
  if (!/^[0-9a-f:.]+$/.test(address)) return undefined;
  let host: string;
  try {
    // The URL parser's IPv6 serialisation is canonical (RFC 5952: zeros compressed, an IPv4 tail in hex).
    host = new URL(`http://[${address}]/`).hostname;
  } catch {
    return undefined;
  }
  // An IPv4 client seen through IPv6 (::ffff:192.0.2.1) is that IPv4 client.
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped) {
    const [high, low] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  const [head = "", tail] = host.slice(1, -1).split("::");
  const before = head === "" ? [] : head.split(":");
  if (tail === undefined) return before.slice(0, 4).join(":");
  const after = tail === "" ? [] : tail.split(":");
  const zeros = Array.from({ length: 8 - before.length - after.length }, () => "0");
  return [...before, ...zeros, ...after].slice(0, 4).join(":");
}

/**
 * Whether CF-Connecting-IP holds one client address, as the rate limits read it: only then is it passed on as
 * X-Forwarded-For, which origins read as exactly one address. Behind Cloudflare the edge sets it; a local run or
 * a service binding's caller may send `198.18.0.1:8080`, a list, or a decimal number, which the rate limits
 * count with every anonymous caller, and the origin must not be told otherwise.
 */
export function isClientAddress(address: string | null): boolean {
  return addressKey(address) !== undefined;
}

// The last address read and its key: a request reads its address twice (the rate limit's count, then whether it
// is passed on as X-Forwarded-For), and an IPv6 address takes a URL parse each time.
let lastAddress: string | undefined;
let lastKey: string | undefined;

/** The count an anonymous caller at `address` (CF-Connecting-IP) is kept in, or undefined when not an address. */
export function addressKey(address: string | undefined | null): string | undefined {
  if (!address || address.length > 64) return undefined;
  if (address === lastAddress) return lastKey;
  const key = keyOf(address);
  lastAddress = address;
  lastKey = key;
  return key;
}

function keyOf(address: string): string | undefined {
  if (IPV4.test(address)) return `address:${address}`;
  const network = ipv6Network(address.toLowerCase());
  if (network === undefined) return undefined;
  return IPV4.test(network) ? `address:${network}` : `address:${network}::/64`;
}
