// Workload-token issuers as a policy document writes them (identity.tokenIssuers), valid as they stand; each
// takes overrides, so a test changes the one field it is about.

/** A SPIRE issuer (JWT-SVIDs of prod.example.com, keys from its bundle endpoint), with overrides. */
export const spire = (over: object = {}) => ({
  name: "spire",
  kind: "spiffe-jwt-svid",
  issuer: "https://spire.prod.example.com",
  keys: { jwksUrl: "https://spire.prod.example.com/bundle" },
  trustDomain: "prod.example.com",
  ...over,
});

/** A Kubernetes cluster's service-account tokens, keys from its OIDC discovery document, with overrides. */
export const cluster = (over: object = {}) => ({
  name: "cluster",
  kind: "kubernetes",
  issuer: "https://kubernetes.prod.example.com",
  keys: { discovery: "https://kubernetes.prod.example.com/.well-known/openid-configuration" },
  ...over,
});

/** GitHub Actions, held to one organisation's repositories, with overrides. */
export const github = (over: object = {}) => ({
  name: "github-actions",
  kind: "oidc",
  issuer: "https://token.actions.githubusercontent.com",
  keys: { discovery: "https://token.actions.githubusercontent.com/.well-known/openid-configuration" },
  requireClaims: { repository_owner: "example" },
  ...over,
});
