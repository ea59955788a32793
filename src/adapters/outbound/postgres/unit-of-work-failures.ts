/**
 * The error of a unit of work whose work resolved although one of its statements had failed
 * (and was caught): the transaction is aborted, so nothing was committed.
 */
export const abortedUnitOfWork = (): Error =>
  new Error(
    'unit of work rolled back: a statement failed and the work carried on (current transaction is aborted)',
  );

/** Wraps a repository so that any rejected call reports `onFailure` (then rejects as before). */
export function trackFailures<T extends object>(repository: T, onFailure: () => void): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          onFailure();
          throw error;
        });
      };
    },
  });
}
