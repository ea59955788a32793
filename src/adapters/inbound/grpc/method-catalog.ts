import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type { AccessRule } from '../../../domain/authorization/access-rule.js';

/** Every .proto that declares a WeMaster service. */
export const SERVICE_PROTO_FILES = [
  'wemaster/core/v1/tenancy.proto',
  'wemaster/core/v1/identity.proto',
  'wemaster/core/v1/idempotency.proto',
  'wemaster/core/v1/authorization.proto',
  'wemaster/core/v1/audit.proto',
] as const;

export const PROTO_ROOT = fileURLToPath(new URL('../../../../proto', import.meta.url));

export interface MethodInfo {
  /** `/wemaster.core.v1.TenancyService/GetTenant` */
  readonly path: string;
  /** `TenancyService.GetTenant`, for logs and metrics. */
  readonly name: string;
  readonly access: AccessRule;
  readonly sideEffects: boolean;
  readonly idempotency: IdempotencyOptions;
}

/** The method's `(wemaster.core.v1.idempotency)` option. */
export interface IdempotencyOptions {
  readonly keyRequired: boolean;
  /** Undefined means the server default. */
  readonly retentionMs: number | undefined;
  readonly waitForResult: boolean;
}

/** The protos as proto-loader reads them: for reflection and for reading method options. */
export const loadPackageDefinition = (): protoLoader.PackageDefinition =>
  protoLoader.loadSync([...SERVICE_PROTO_FILES], {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    defaults: true,
    enums: String,
  });

const ACCESS_OPTION = '(wemaster.core.v1.access)';
const IDEMPOTENCY_OPTION = '(wemaster.core.v1.idempotency)';

function idempotencyOf(options: Record<string, unknown>): IdempotencyOptions {
  const raw = (options[IDEMPOTENCY_OPTION] ?? {}) as Record<string, unknown>;
  const retentionSeconds = Number(raw.retention_seconds ?? 0);
  return {
    keyRequired: raw.key_required === true,
    retentionMs: retentionSeconds > 0 ? retentionSeconds * 1000 : undefined,
    waitForResult: raw.wait_for_result === true,
  };
}

function accessRuleOf(path: string, options: Record<string, unknown>): AccessRule {
  const raw = options[ACCESS_OPTION] as Record<string, unknown> | undefined;
  if (raw?.public === true) return { kind: 'public' };
  if (raw?.authenticated === true) return { kind: 'authenticated' };
  if (raw?.platform === true) return { kind: 'platform' };
  if (typeof raw?.permission === 'string' && raw.permission !== '') {
    return { kind: 'permission', permission: raw.permission };
  }
  const selfService = raw?.permission_or_self_service;
  if (typeof selfService === 'string' && selfService !== '') {
    return { kind: 'permission_or_self_service', permission: selfService };
  }
  throw new Error(
    `${path} declares no access rule (option (wemaster.core.v1.access)); refusing to start`,
  );
}

/**
 * Reads each RPC's access rule and idempotency level from the contract, so the rules live
 * next to the methods they guard. Throws when any method lacks a rule.
 */
export function buildMethodCatalog(
  definition: protoLoader.PackageDefinition,
): Map<string, MethodInfo> {
  const catalog = new Map<string, MethodInfo>();
  for (const [serviceName, entry] of Object.entries(definition)) {
    if (!serviceName.startsWith('wemaster.') || 'format' in entry) continue;
    const shortService = serviceName.slice(serviceName.lastIndexOf('.') + 1);
    for (const [methodName, method] of Object.entries(entry)) {
      const options = method.options as Record<string, unknown>;
      catalog.set(method.path, {
        path: method.path,
        name: `${shortService}.${methodName}`,
        access: accessRuleOf(method.path, options),
        sideEffects: options.idempotency_level !== 'NO_SIDE_EFFECTS',
        idempotency: idempotencyOf(options),
      });
    }
  }
  return catalog;
}
