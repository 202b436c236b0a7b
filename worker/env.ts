// The Worker's bindings, typed once. Origins are bindings named by the policy ({ tunnel: NAME }):
// Workers VPC services in deployed environments, service bindings locally and in tests.
import type { DenialCounter } from "./denylist/quarantine.ts";
import type { Denylist } from "./denylist/store.ts";
import type { Grants } from "./grants/store.ts";
import type { PolicyControl } from "./policy-store/control.ts";
import type { RateLimiter } from "./rate-limit/limiter.ts";
import type { SsfReplay } from "./ssf/replay.ts";

export interface Env {
  /** Policy versions under `policy:v:<sha256>` and the active pointer under `policy:active`. */
  POLICY: KVNamespace;
  /** Seconds between checks of the active-version pointer (default 5). */
  POLICY_REFRESH_SECONDS?: string | number;
  /** Secret: {"keys":[private P-256 JWKs]} for Ward's identity assertion; the first signs, all are published. */
  ASSERTION_SIGNING_KEYS?: string;
  /** Milliseconds an origin may take to answer before Ward gives 504 (default 30000). */
  ORIGIN_TIMEOUT_MS?: string | number;
  /** Comma-separated headers never forwarded, even those the allow-list or the policy would forward. */
  STRIP_HEADERS?: string;
  /** Analytics Engine dataset for decision data points (optional). */
  DECISIONS?: AnalyticsEngineDataset;
  /** The one writer of the active-policy pointer (push, rollback, history). */
  POLICY_CONTROL: DurableObjectNamespace<PolicyControl>;
  /** Time-bounded grants (exceptions, break-glass), one object per service. */
  GRANTS: DurableObjectNamespace<Grants>;
  /** Exact rate-limit counters, one object per rule and counted key. */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Seconds between re-reads of a service's active grants (default 2): how long a revoked grant may live on. */
  GRANTS_REFRESH_SECONDS?: string | number;
  /** Revoked credentials and quarantined identities, one object per environment. */
  DENYLIST: DurableObjectNamespace<Denylist>;
  /** Denials counted per identity, for quarantine. */
  DENIAL_COUNTER: DurableObjectNamespace<DenialCounter>;
  /** The jtis of the Security Event Tokens each transmitter pushed, one object per issuer (worker/ssf/). */
  SSF_REPLAY: DurableObjectNamespace<SsfReplay>;
  /** Seconds between background re-reads of the denylist (default 2): how soon a revocation applies. */
  DENYLIST_REFRESH_SECONDS?: string | number;
  /** Where break-glass grants and quarantines are announced (POST, JSON); optional. */
  NOTIFY_WEBHOOK?: string;
  /** This deployment's environment name (dev, staging, production): pushes must be for it. */
  WARD_ENV?: string;
  /** Seconds between checks that an open WebSocket's access still holds (default 2). */
  WEBSOCKET_CHECK_SECONDS?: string | number;
  /** The largest WebSocket message relayed, bytes (default 1048576), where the route does not say. */
  WEBSOCKET_MAX_MESSAGE_BYTES?: string | number;
  /** Bytes a WebSocket may relay each way in a second before it is closed (default 16 MiB), where the route does not say. */
  WEBSOCKET_MAX_BYTES_PER_SECOND?: string | number;
  /** Seconds a WebSocket may carry no message before it is closed (default 600), where the route does not say. */
  WEBSOCKET_IDLE_SECONDS?: string | number;
  /** The assertion's `iss` (default "ward"). */
  ASSERTION_ISSUER?: string;
  [binding: string]: unknown;
}

export type AppEnv = {
  Bindings: Env;
  /**
   * principal: who called, when a handler identified them; logged: the request's log line is written elsewhere;
   * handedOn: the answer is the gateway's (perhaps an origin's), not one of Ward's own paths' (worker/own-paths.ts).
   */
  Variables: { requestId: string; principal: string; logged: boolean; handedOn: boolean };
};
