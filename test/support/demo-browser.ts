// The local demo as the browser tests drive it: the demo policy in the gateway (workerd, with `npm start`'s
// dev edge and one-click Access sign-in), a recording origin behind the wiki (so "never reached the app" is
// asserted, not assumed), and Debian's headless Chromium. Chromium resolves *.localhost to 127.0.0.1 by
// itself; nothing else is reached.
import { chromium, type Browser } from "playwright-core";
import type { CompiledPolicy } from "../../policy/index.ts";
import type { LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { startDemoGateway } from "./demo-gateway.ts";
import type { SeenRequest } from "./recording-origin.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface DemoInBrowser {
  browser: Browser;
  gateway: LocalGateway;
  policy: CompiledPolicy;
  /** The gateway's port: every demo app is http://<app>.localhost:<port>. */
  port: string;
  /** Everything the wiki's origin has received so far, in order; with `marker`, only what its URL holds. */
  wikiSaw(marker?: string): Promise<SeenRequest[]>;
  stop(): Promise<void>;
}

/** `onLog` gets every console line the gateway writes (decision lines among them); `policyText` replaces the demo's. */
export async function startDemoInBrowser(onLog?: (line: string) => void, policyText?: string): Promise<DemoInBrowser> {
  // The wiki records what reaches it; payments and orders are the built-in demo echo apps.
  const demo = await startDemoGateway({
    recorded: ["WIKI"],
    ...(onLog ? { onLog } : {}),
    ...(policyText ? { policyText } : {}),
  });
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    return {
      browser,
      gateway: demo.gateway,
      policy: demo.policy,
      port: String(demo.port),
      wikiSaw: demo.originSaw,
      async stop() {
        await browser.close();
        await demo.stop();
      },
    };
  } catch (error) {
    // Nothing left running behind a failed start.
    await demo.stop();
    throw error;
  }
}
