// The local demo as the browser tests drive it: the demo policy in the gateway (workerd, with `npm start`'s
// dev edge and one-click Access sign-in), a recording origin behind the wiki (so "never reached the app" is
// asserted, not assumed), and Debian's headless Chromium. Chromium resolves *.localhost to 127.0.0.1 by
// itself; nothing else is reached.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { loadPolicy, type CompiledPolicy } from "../../policy/index.ts";
import { DEMO_PERSONAS } from "../../scripts/dev/demo-commands.ts";
import { startLocalGateway, type LocalGateway } from "../../scripts/dev/local-gateway.ts";
import { LOG_PATH, startRecordingOrigin, type SeenRequest } from "./recording-origin.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface DemoInBrowser {
  browser: Browser;
  gateway: LocalGateway;
  policy: CompiledPolicy;
  /** The gateway's port: every demo app is http://<app>.localhost:<port>. */
  port: string;
  /** Everything the wiki's origin has received so far, in order. */
  wikiSaw(): Promise<SeenRequest[]>;
  stop(): Promise<void>;
}

/** `onLog` gets every console line the gateway writes (decision lines among them). */
export async function startDemoInBrowser(onLog?: (line: string) => void): Promise<DemoInBrowser> {
  const origin = await startRecordingOrigin();
  let gateway: LocalGateway | undefined;
  try {
    const text = readFileSync(resolve(import.meta.dirname, "../../policy/examples/demo.yaml"), "utf8");
    const loaded = await loadPolicy(text);
    if (!loaded.ok) throw new Error("the demo policy is invalid");
    gateway = await startLocalGateway({
      policy: loaded.policy,
      policyText: text,
      port: 0,
      // The wiki records what reaches it; payments and orders are the built-in demo echo apps.
      origins: { WIKI: `http://127.0.0.1:${origin.port}` },
      personas: DEMO_PERSONAS,
      ...(onLog ? { onLog } : {}),
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    return running(browser, gateway, loaded.policy, origin);
  } catch (error) {
    // Nothing left running behind a failed start.
    await gateway?.stop();
    origin.server.close();
    throw error;
  }
}

function running(browser: Browser, gateway: LocalGateway, policy: CompiledPolicy, origin: Awaited<ReturnType<typeof startRecordingOrigin>>): DemoInBrowser {
  return {
    browser,
    gateway,
    policy,
    port: gateway.url.port,
    wikiSaw: async () => (await (await fetch(`http://127.0.0.1:${origin.port}${LOG_PATH}`)).json()) as SeenRequest[],
    async stop() {
      await browser.close();
      await gateway.stop();
      origin.server.close();
    },
  };
}
