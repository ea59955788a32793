import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IdempotencyServiceClient,
  IdempotencyServiceService,
  ReleaseRequest,
  ReleaseResponse,
  type BeginResponse,
  type CompleteResponse,
} from '../../../src/adapters/inbound/grpc/generated/wemaster/core/v1/idempotency.js';
import { deadlineInterceptor } from '../../../src/adapters/inbound/grpc/interceptors/deadline.interceptor.js';
import { observeInterceptor } from '../../../src/adapters/inbound/grpc/interceptors/observe.interceptor.js';
import {
  buildMethodCatalog,
  loadPackageDefinition,
} from '../../../src/adapters/inbound/grpc/method-catalog.js';
import { PacedStarts } from '../../../src/adapters/inbound/grpc/paced-starts.js';
import { RpcMetrics } from '../../../src/adapters/inbound/grpc/rpc-metrics.js';
import { CallPipeline } from '../../../src/adapters/inbound/grpc/unary-handler.js';

// The pipeline on a real grpc-js server, with one call started per event-loop turn: what a
// call that waits for its start sees.

const unused = (): Promise<never> => Promise.reject(new Error('not called in this test'));

let server: grpc.Server | undefined;
let client: IdempotencyServiceClient | undefined;

afterEach(() => {
  client?.close();
  server?.forceShutdown();
});

async function serve(
  release: () => Promise<ReleaseResponse>,
): Promise<{ client: IdempotencyServiceClient; registry: Registry }> {
  const registry = new Registry();
  const pipeline = new CallPipeline(
    buildMethodCatalog(loadPackageDefinition()),
    [
      observeInterceptor(pino({ level: 'silent' }), new RpcMetrics(registry)),
      deadlineInterceptor(),
    ],
    new PacedStarts(1, () => undefined),
  );
  const service = pipeline.service(
    'wemaster.core.v1.IdempotencyService',
    IdempotencyServiceService,
    {
      begin: unused as () => Promise<BeginResponse>,
      complete: unused as () => Promise<CompleteResponse>,
      release,
    },
  );
  server = new grpc.Server();
  server.addService(service.definition, service.implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server?.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  client = new IdempotencyServiceClient(
    `127.0.0.1:${String(port)}`,
    grpc.credentials.createInsecure(),
  );
  return { client, registry };
}

const releaseCall = (target: IdempotencyServiceClient, deadlineMs: number): Promise<grpc.status> =>
  new Promise((resolve) => {
    target.release(
      ReleaseRequest.fromPartial({ key: 'k', leaseToken: 't' }),
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error) => {
        resolve(error?.code ?? grpc.status.OK);
      },
    );
  });

/** Holds the event loop, as a call with a long synchronous step would. */
const holdLoop = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
};

describe('CallPipeline with paced starts', () => {
  it('refuses a call whose deadline passed while it waited for its start, without running it', async () => {
    let runs = 0;
    const { client: target } = await serve(() => {
      runs += 1;
      // The first call to start holds the loop past the second one's deadline.
      if (runs === 1) holdLoop(300);
      return Promise.resolve(ReleaseResponse.create({}));
    });
    const [first, second] = await Promise.all([
      releaseCall(target, 5_000),
      releaseCall(target, 100),
    ]);
    expect(first).toBe(grpc.status.OK);
    expect(second).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(runs).toBe(1);
  });

  it("counts the wait for its start in a call's observed latency", async () => {
    let runs = 0;
    const { client: target, registry } = await serve(() => {
      runs += 1;
      if (runs === 1) holdLoop(200);
      return Promise.resolve(ReleaseResponse.create({}));
    });
    await Promise.all([releaseCall(target, 5_000), releaseCall(target, 5_000)]);
    const text = await registry.metrics();
    const sample = (name: string): number =>
      Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('grpc_server_handling_seconds_count')).toBe(2);
    // The first call's 200 ms, and the second's wait behind it.
    expect(sample('grpc_server_handling_seconds_sum')).toBeGreaterThanOrEqual(0.38);
  });
});
