// The local demo gateway as the dev tests drive it: `npm start`'s gateway in workerd (dev edge, one-click
// Access sign-in) with the demo policy, and a recording origin behind the chosen apps, so "never reached the
// origin" is asserted, not assumed. Apps not recorded are the built-in demo echo apps.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadPolicy, type CompiledPolicy } from "../../policy/index.ts";
import { DEMO_PERSONAS } from "../../scripts/dev/demo-commands.ts";
import { startLocalGateway, type LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { LOG_PATH, startRecordingOrigin, type SeenRequest } from "./recording-origin.ts";

export const DEMO_POLICY = resolve(import.meta.dirname, "../../policy/examples/demo.yaml");

const READ_ROUTE = "      - id: read\n        methods: [GET, HEAD]\n        pathPrefix: /\n";
/** The demo policy with a WebSocket route on the wiki, `/live`, for every employee (before its catch-all read). */
export function demoPolicyWithLiveRoute(): string {
  return readFileSync(DEMO_POLICY, "utf8").replace(
    READ_ROUTE,
    `      - id: live
        methods: [GET]
        path: /live
        websocket: true
        rules:
          - id: employees-live
            effect: allow
            principals: [{ emailDomain: example.com }]
${READ_ROUTE}`,
  );
}

export interface DemoGateway {
  gateway: LocalGateway;
  policy: CompiledPolicy;
  /** The gateway's port: every demo app is http://<app>.localhost:<port>. */
  port: number;
  /** Everything the recording origin has received so far, in order; with `marker`, only what its URL holds. */
  originSaw(marker?: string): Promise<SeenRequest[]>;
  stop(): Promise<void>;
}

export interface DemoGatewayOptions {
  /** The demo's origin bindings sent to the recording origin (PAYMENTS_API, ORDERS_API, WIKI). */
  recorded: readonly string[];
  /** Gets every console line the gateway writes (decision lines among them). */
  onLog?: (line: string) => void;
  /** The policy text instead of the demo policy's (a variant of it, for a feature the demo does not show). */
  policyText?: string;
  /** Trust another Access issuer whose keys are at this URL (`ward dev --access-jwks-url`): no local sign-in. */
  accessJwksUrl?: string;
}

/** A unique query marker: a request's URL carries it, and `originSaw(marker)` finds what of it reached the origin. */
export function marker(): string {
  return `m-${crypto.randomUUID()}`;
}

export async function startDemoGateway({
  recorded,
  onLog,
  policyText,
  accessJwksUrl,
}: DemoGatewayOptions): Promise<DemoGateway> {
  const origin = await startRecordingOrigin();
  try {
    const text = policyText ?? readFileSync(DEMO_POLICY, "utf8");
    const loaded = await loadPolicy(text);
    if (!loaded.ok) throw new Error("the demo policy is invalid");
    const local = `http://127.0.0.1:${origin.port}`;
    const gateway = await startLocalGateway({
      policy: loaded.policy,
      policyText: text,
      port: 0,
      origins: Object.fromEntries(recorded.map((binding) => [binding, local])),
      personas: DEMO_PERSONAS,
      ...(accessJwksUrl ? { accessJwksUrl } : {}),
      ...(onLog ? { onLog } : {}),
    });
    return {
      gateway,
      policy: loaded.policy,
      port: Number(gateway.url.port),
      originSaw: async (marker = "") =>
        (await (await fetch(`${local}${LOG_PATH}?marker=${encodeURIComponent(marker)}`)).json()) as SeenRequest[],
      async stop() {
        await gateway.stop();
        origin.server.close();
      },
    };
  } catch (error) {
    // Nothing left running behind a failed start.
    origin.server.close();
    throw error;
  }
}
