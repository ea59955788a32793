import { loadPackageDefinition, Metadata, status, Client, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createRequire } from 'node:module';
import { TenantStatus } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, callWithHeaders, failureOf, insecure, metadataOf } from '../support/grpc.js';

const require = createRequire(import.meta.url);

type Ctor = new (address: string, credentials: typeof insecure) => Client & Record<string, unknown>;

function clientFor(protoFile: string, includeDirs: string[], service: string): Ctor {
  const definition = protoLoader.loadSync(protoFile, {
    includeDirs,
    keepCase: true,
    defaults: true,
    enums: String,
  });
  const root = loadPackageDefinition(definition) as unknown as Record<string, unknown>;
  return service
    .split('.')
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root) as Ctor;
}

describe('gRPC server: health, reflection, request ids, limits, HTTP adapter', () => {
  let t: TestCore;

  beforeAll(async () => {
    t = await startTestCore();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves grpc.health.v1 for the server and each service', async () => {
    const Health = clientFor(healthProtoPath, [], 'grpc.health.v1.Health');
    const health = new Health(t.address, insecure);
    const check = (service: string) =>
      new Promise<{ status: string }>((resolve, reject) => {
        (
          health.Check as (
            r: unknown,
            cb: (e: ServiceError | null, v: { status: string }) => void,
          ) => void
        ).call(health, { service }, (error, value) => (error ? reject(error) : resolve(value)));
      });
    expect((await check('')).status).toBe('SERVING');
    expect((await check('wemaster.core.v1.TenancyService')).status).toBe('SERVING');
    health.close();
  });

  it('lists the services through server reflection, as grpcurl would', async () => {
    const reflectionProto =
      require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const Reflection = clientFor(reflectionProto, [], 'grpc.reflection.v1.ServerReflection');
    const reflection = new Reflection(t.address, insecure);
    const stream = (
      reflection.ServerReflectionInfo as () => NodeJS.ReadWriteStream & {
        write(v: unknown): void;
        end(): void;
      }
    ).call(reflection);
    const response = await new Promise<{
      list_services_response?: { service: { name: string }[] };
    }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    stream.end();
    const names = response.list_services_response?.service.map((service) => service.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining([
        'wemaster.core.v1.TenancyService',
        'wemaster.core.v1.IdentityService',
      ]),
    );
    reflection.close();
  });

  it('returns x-request-id on every response, keeping a sane caller-supplied one', async () => {
    const minted = await callWithHeaders(t.identity, 'getJwks', {});
    expect(minted.headers.get('x-request-id')[0]).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await callWithHeaders(
      t.identity,
      'getJwks',
      {},
      metadataOf({ 'x-request-id': 'trace-123' }),
    );
    expect(kept.headers.get('x-request-id')).toEqual(['trace-123']);
    const error = await failureOf(
      callWithHeaders(
        t.tenancy,
        'listTenants',
        { page: undefined, status: TenantStatus.TENANT_STATUS_UNSPECIFIED },
        metadataOf({ 'x-request-id': 'trace-456' }),
      ),
    );
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it('answers undecodable request bytes with INVALID_ARGUMENT, not INTERNAL', async () => {
    const raw = new Client(t.address, insecure);
    const error = await failureOf(
      new Promise((resolve, reject) => {
        raw.makeUnaryRequest(
          '/wemaster.core.v1.IdentityService/Login',
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
          (err, value) => (err ? reject(err) : resolve(value)),
        );
      }),
    );
    raw.close();
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.fieldViolations).toEqual(['request']);
  });

  it('refuses a message over the size limit without harming the server', async () => {
    const error = await failureOf(
      callWithHeaders(
        t.tenancy,
        'createTenant',
        {
          slug: 'huge-co',
          displayName: 'x'.repeat(2 * 1024 * 1024),
          plan: '',
          selfSignUpEnabled: false,
        },
        bearer(await t.adminToken()),
      ),
    );
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    const after = await callWithHeaders(t.identity, 'getJwks', {}, new Metadata());
    expect(after.response.keysJson).toContain('"keys"');
  });

  it('serves /healthz, /readyz and /metrics with RPC counts by method and code', async () => {
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.httpUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /grpc_server_handled_total\{method="IdentityService.GetJwks",code="OK"\} \d+/,
    );
    expect(metrics).toContain('grpc_server_handling_seconds_bucket');
    expect((await fetch(`${t.httpUrl}/nope`)).status).toBe(404);
  });
});
