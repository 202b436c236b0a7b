import type { TestProject } from "vitest/node";
import { startRecordingOrigin } from "../support/recording-origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originPort: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { port, server } = await startRecordingOrigin();
  project.provide("originPort", port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
