import type { CallContext } from './call-context.js';

/**
 * One concern of the request path. Calls `next()` once to continue the chain (and may look at
 * the response or error it produces), or throws to stop it.
 */
export type Interceptor = (ctx: CallContext, next: () => Promise<unknown>) => Promise<unknown>;

export type Invocation = (ctx: CallContext, request: unknown) => Promise<unknown>;

export function composeInterceptors(
  interceptors: readonly Interceptor[],
  handler: (request: unknown, ctx: CallContext) => Promise<unknown>,
): Invocation {
  return (ctx, request) => {
    let index = 0;
    const next = (): Promise<unknown> => {
      const interceptor = interceptors[index++];
      return interceptor === undefined ? handler(request, ctx) : interceptor(ctx, next);
    };
    return next();
  };
}
