import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { IdentityServiceService } from '../../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { TenancyServiceService } from '../../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import {
  buildMethodCatalog,
  loadPackageDefinition,
  PROTO_ROOT,
} from '../../../src/adapters/inbound/grpc/method-catalog.js';

describe('method catalog', () => {
  const catalog = buildMethodCatalog(loadPackageDefinition());

  it('knows the access rule and side effects of every generated method', () => {
    for (const service of [TenancyServiceService, IdentityServiceService]) {
      for (const method of Object.values<{ path: string }>(service)) {
        expect(catalog.get(method.path), method.path).toBeDefined();
      }
    }
    expect(catalog.get('/wemaster.core.v1.TenancyService/CreateTenant')).toMatchObject({
      name: 'TenancyService.CreateTenant',
      access: { kind: 'platform' },
      sideEffects: true,
    });
    expect(catalog.get('/wemaster.core.v1.TenancyService/GetTenant')).toMatchObject({
      access: { kind: 'permission', permission: 'tenant:read' },
      sideEffects: false,
    });
    expect(catalog.get('/wemaster.core.v1.IdentityService/Login')?.access).toEqual({
      kind: 'public',
    });
  });

  it('refuses to build when a method declares no access rule', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    await mkdir(join(dir, 'wemaster/core/v1'), { recursive: true });
    await writeFile(
      join(dir, 'wemaster/core/v1/leaky.proto'),
      `syntax = "proto3";
package wemaster.core.v1;
import "wemaster/core/v1/options.proto";
message LeakRequest {}
message LeakResponse {}
service LeakyService {
  rpc Leak(LeakRequest) returns (LeakResponse);
}
`,
    );
    const definition = protoLoader.loadSync('wemaster/core/v1/leaky.proto', {
      includeDirs: [dir, PROTO_ROOT],
    });
    expect(() => buildMethodCatalog(definition)).toThrow(
      '/wemaster.core.v1.LeakyService/Leak declares no access rule',
    );
  });
});
