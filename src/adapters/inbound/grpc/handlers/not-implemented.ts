import { DomainError } from '../../../../domain/shared/errors.js';

/** The answer of a declared RPC whose implementation has not landed yet (gRPC UNIMPLEMENTED). */
export const notImplemented = (method: string): Promise<never> =>
  Promise.reject(
    new DomainError('unimplemented', 'NOT_IMPLEMENTED', `${method} is not implemented yet`),
  );
