import type { BeginResult, IdempotencyScope } from '../../domain/idempotency/idempotency-record.js';
import {
  parseIdempotencyKey,
  parsePrintableAscii,
} from '../../domain/idempotency/idempotency-key.js';
import type { IdempotencyStore } from '../../domain/idempotency/idempotency-store.port.js';
import { idempotencyLeaseLost } from '../../domain/idempotency/idempotency.errors.js';
import { InvalidArgumentError } from '../../domain/shared/errors.js';
import type { Actor } from '../shared/actor.js';

export interface ExternalIdempotencyOptions {
  readonly defaultLeaseMs: number;
  readonly defaultRetentionMs: number;
}

const MAX_LEASE_MS = 10 * 60 * 1000;
const MAX_RETENTION_SECONDS = 30 * 24 * 3600;

export interface ExternalBeginInput {
  readonly key: string;
  readonly scope: string;
  readonly fingerprint: string;
  readonly leaseMs: number;
}

export interface ExternalCompleteInput {
  readonly key: string;
  readonly scope: string;
  readonly leaseToken: string;
  readonly response: Uint8Array;
  readonly status: number;
  readonly retentionSeconds: number;
}

/**
 * The ledger as a service for other microservices. Their scopes live apart from WeMaster's own
 * method scopes (`service:` prefix), within the caller's tenant and identity.
 */
export class ExternalIdempotency {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly options: ExternalIdempotencyOptions,
  ) {}

  begin(actor: Actor, input: ExternalBeginInput): Promise<BeginResult> {
    if (input.leaseMs > MAX_LEASE_MS) {
      throw new InvalidArgumentError('lease_ms', `must be at most ${MAX_LEASE_MS}`);
    }
    return this.store.begin({
      scope: this.scopeOf(actor, input.scope),
      key: parseIdempotencyKey('key', input.key),
      fingerprint: parsePrintableAscii('fingerprint', input.fingerprint, 128),
      leaseMs: input.leaseMs === 0 ? this.options.defaultLeaseMs : input.leaseMs,
    });
  }

  async complete(actor: Actor, input: ExternalCompleteInput): Promise<void> {
    if (input.retentionSeconds > MAX_RETENTION_SECONDS) {
      throw new InvalidArgumentError(
        'retention_seconds',
        `must be at most ${MAX_RETENTION_SECONDS}`,
      );
    }
    const completed = await this.store.complete({
      scope: this.scopeOf(actor, input.scope),
      key: parseIdempotencyKey('key', input.key),
      leaseToken: parsePrintableAscii('lease_token', input.leaseToken, 200),
      outcome: {
        code: input.status,
        body: input.response,
        message: '',
        details: undefined,
        truncated: false,
      },
      retentionMs:
        input.retentionSeconds === 0
          ? this.options.defaultRetentionMs
          : input.retentionSeconds * 1000,
    });
    if (!completed) throw idempotencyLeaseLost();
  }

  /** Releasing a lease that is already gone is not an error: the key is free either way. */
  async release(actor: Actor, key: string, scope: string, leaseToken: string): Promise<void> {
    await this.store.release(
      this.scopeOf(actor, scope),
      parseIdempotencyKey('key', key),
      parsePrintableAscii('lease_token', leaseToken, 200),
    );
  }

  private scopeOf(actor: Actor, scope: string): IdempotencyScope {
    return {
      tenantId: actor.tenantId,
      principalId: actor.principal.subjectId,
      operation: `service:${parsePrintableAscii('scope', scope, 200)}`,
    };
  }
}
