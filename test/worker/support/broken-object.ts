// A Durable Object as it is, but one method throws: what the platform does when an object does not answer
// (an error marked `retryable` or `overloaded`), for the one call a test breaks. Undone by vi.restoreAllMocks()
// or the returned spy's mockRestore().
import { vi } from "vitest";

export function breakMethod<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  method: string,
  error: unknown,
) {
  const real = namespace.getByName.bind(namespace);
  return vi.spyOn(namespace, "getByName").mockImplementation((name: string) => {
    const stub = real(name);
    // An RPC stub's members are its methods, called through it (each property is callable, `bind` too).
    return new Proxy(stub, {
      get: (target, property) =>
        property === method
          ? async () => {
              throw error;
            }
          : Reflect.get(target, property),
    });
  });
}

/** An error as Durable Objects' infrastructure throws it. */
export const platformError = (message: string, flags: { retryable?: boolean; overloaded?: boolean }): Error =>
  Object.assign(new Error(message), flags);
