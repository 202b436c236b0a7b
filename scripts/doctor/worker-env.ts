// Every name the Worker reads from its environment (worker/env.ts's Env), and what it is. The CLI imports nothing
// from worker/ (test/unit/boundary.test.ts), so this is a copy: test/cli/worker-env-names.test.ts holds it to
// Env, both ways (a name added to Env and not here, or left here after it is gone, fails), so doctor and init
// never work from a stale list.

export type WorkerNameKind = "kv_namespaces" | "durable_objects" | "analytics_engine_datasets" | "var" | "secret";

export const WORKER_ENV = {
  POLICY: "kv_namespaces",
  POLICY_REFRESH_SECONDS: "var",
  ASSERTION_SIGNING_KEYS: "secret",
  ORIGIN_TIMEOUT_MS: "var",
  STRIP_HEADERS: "var",
  DECISIONS: "analytics_engine_datasets",
  POLICY_CONTROL: "durable_objects",
  GRANTS: "durable_objects",
  GRANTS_REFRESH_SECONDS: "var",
  DENYLIST: "durable_objects",
  DENIAL_COUNTER: "durable_objects",
  RATE_LIMITER: "durable_objects",
  SSF_REPLAY: "durable_objects",
  DENYLIST_REFRESH_SECONDS: "var",
  // A chat webhook URL is a credential: Ward treats it as a secret (ward init declares it one).
  NOTIFY_WEBHOOK: "secret",
  WARD_ENV: "var",
  WEBSOCKET_CHECK_SECONDS: "var",
  WEBSOCKET_MAX_MESSAGE_BYTES: "var",
  WEBSOCKET_MAX_BYTES_PER_SECOND: "var",
  WEBSOCKET_IDLE_SECONDS: "var",
  ASSERTION_ISSUER: "var",
} as const satisfies Readonly<Record<string, WorkerNameKind>>;

/** What the Worker reads `name` as, if it reads it at all. */
export function workerNameKind(name: string): WorkerNameKind | undefined {
  return Object.hasOwn(WORKER_ENV, name) ? WORKER_ENV[name as keyof typeof WORKER_ENV] : undefined;
}

const WHAT: Readonly<Record<WorkerNameKind, string>> = {
  kv_namespaces: "KV namespace",
  durable_objects: "Durable Object",
  analytics_engine_datasets: "Analytics Engine dataset",
  var: "var",
  secret: "secret",
};

/** `the Worker's Durable Object DENYLIST`, or undefined for a name the Worker does not read. */
export function workerNameUse(name: string): string | undefined {
  const kind = workerNameKind(name);
  return kind ? `the Worker's ${WHAT[kind]} ${name}` : undefined;
}

/** The Worker's names of one kind. */
export function workerNames(kind: WorkerNameKind): string[] {
  return Object.entries(WORKER_ENV)
    .filter(([, k]) => k === kind)
    .map(([name]) => name);
}
