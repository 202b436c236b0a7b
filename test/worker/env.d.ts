/// <reference types="@cloudflare/vitest-plugin/types" />
import type { Env as WardEnv } from "../../worker/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WardEnv {}
    interface GlobalProps {
      mainModule: typeof import("../../worker/index.ts");
    }
  }
}
