// Shared signals in the pure core: the policy section, SET checks, subject identifiers, what events do, the log line.
export * from "./events.ts";
export * from "./schema.ts";
export * from "./subject.ts";
export * from "./set.ts";
export * from "./actions.ts";
export * from "./event-line.ts";
