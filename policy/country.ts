// The caller's country as a fact for `when.country`: what Cloudflare's edge set (request.cf.country, never a
// header the client sends). "XX" is Cloudflare's "no country known": unknown, as an absent country is, so a
// deny rule on countries still holds.
export function countryOf(cfCountry: unknown): string | undefined {
  return typeof cfCountry === "string" && cfCountry !== "" && cfCountry !== "XX" ? cfCountry : undefined;
}
