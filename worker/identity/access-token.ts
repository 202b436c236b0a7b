// Where an Access token is taken from. The header is what Access sets at the edge. The CF_Authorization
// cookie is accepted only on safe methods: browsers attach it to cross-site requests (SameSite=None), so on
// a state-changing request it would let another site act with the user's identity (CSRF).
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function accessTokenOf(request: Request): string | undefined {
  const header = request.headers.get("cf-access-jwt-assertion");
  if (header) return header.trim();
  if (!SAFE_METHODS.has(request.method)) return undefined;
  const cookie = request.headers.get("cookie");
  if (!cookie) return undefined;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === "CF_Authorization") return part.slice(eq + 1).trim();
  }
  return undefined;
}
