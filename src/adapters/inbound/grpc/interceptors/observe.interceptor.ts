import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { statusOf } from '../error-mapping.js';
import type { Interceptor } from '../interceptor.js';
import type { RpcMetrics } from '../rpc-metrics.js';

/**
 * One structured log line and one metrics sample per call: method, status, latency, tenant,
 * principal. Request and response bodies are never logged, so neither are secrets.
 */
export function observeInterceptor(logger: Logger, metrics: RpcMetrics): Interceptor {
  return async (ctx, next) => {
    // From arrival: the time a call waited for its start is part of its latency.
    const started = ctx.receivedAt;
    let code: status = status.OK;
    let failure: unknown;
    try {
      return await next();
    } catch (error) {
      failure = error;
      code = statusOf(error);
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const codeName = status[code];
      metrics.observe(ctx.method.name, codeName, seconds);
      // The line is only built when it will be written (bench and quiet deployments log warn).
      if (code === status.INTERNAL || logger.isLevelEnabled('info')) {
        const line = {
          requestId: ctx.requestId,
          method: ctx.method.name,
          code: codeName,
          latencyMs: Math.round(seconds * 1e6) / 1e3,
          tenantId: ctx.actor?.tenantId,
          principal: ctx.actor?.principal.subjectId,
          peer: ctx.peer,
        };
        if (code === status.INTERNAL) logger.error({ ...line, err: failure }, 'rpc failed');
        else logger.info(line, 'rpc');
      }
    }
  };
}
