import type {
  RecoveryScope,
  RecoveryUnitOfWork,
} from '../../../domain/identity/recovery-unit-of-work.port.js';
import type { UserTokenRepository } from '../../../domain/identity/user-token.repository.port.js';
import type { UserToken, UserTokenPurpose } from '../../../domain/identity/user-token.js';
import type {
  ClaimedMail,
  Notifier,
  OutboxQueue,
  OutgoingMail,
} from '../../../domain/notification/notifier.port.js';
import type { Clock } from '../../../domain/shared/clock.port.js';
import type { IdGenerator } from '../../../domain/shared/id-generator.port.js';
import type { UnitOfWork } from '../../../domain/shared/unit-of-work.port.js';
import { isUuid } from '../../../domain/shared/uuid.js';
import { rowKey, uniqueViolation } from './memory-database.js';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

interface OutboxRow extends OutgoingMail {
  readonly tenantId: string;
  readonly id: string;
  dueAt: number;
  attempts: number;
  sentAt: Date | undefined;
  lastError: string | undefined;
}

/** The tokens and outbox tables of the memory twin (rows keyed `tenant/id`). */
export class InMemoryRecoveryStore implements OutboxQueue {
  readonly tokens = new Map<string, UserToken>();
  readonly outbox = new Map<string, OutboxRow>();

  constructor(
    private readonly clock: Clock,
    private readonly maxAttempts = 10,
  ) {}

  claim(limit: number, leaseMs: number): Promise<readonly ClaimedMail[]> {
    const now = this.clock.now().getTime();
    const due = [...this.outbox.values()]
      .filter((row) => row.sentAt === undefined && row.dueAt <= now)
      .filter((row) => row.attempts < this.maxAttempts)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
    return Promise.resolve(
      due.map((row) => {
        row.attempts += 1;
        row.dueAt = now + leaseMs;
        return {
          tenantId: row.tenantId,
          id: row.id,
          kind: row.kind,
          recipient: row.recipient,
          subject: row.subject,
          bodyText: row.bodyText,
          attempts: row.attempts,
        };
      }),
    );
  }

  markSent(mail: ClaimedMail): Promise<void> {
    const row = this.outbox.get(rowKey(mail.tenantId, mail.id));
    if (row !== undefined) {
      this.outbox.set(rowKey(mail.tenantId, mail.id), {
        ...row,
        bodyText: '',
        sentAt: this.clock.now(),
        lastError: undefined,
      });
    }
    return Promise.resolve();
  }

  markFailed(mail: ClaimedMail, error: string, retryInMs: number): Promise<void> {
    const row = this.outbox.get(rowKey(mail.tenantId, mail.id));
    if (row !== undefined) {
      row.lastError = error;
      row.dueAt = this.clock.now().getTime() + retryInMs;
    }
    return Promise.resolve();
  }
}

type Operation = (store: InMemoryRecoveryStore) => void;

/** Tokens of one tenant in one transaction: reads see committed rows plus its own writes. */
class StagedTokens implements UserTokenRepository {
  constructor(
    private readonly view: Map<string, UserToken>,
    private readonly tenantId: string,
    private readonly operations: Operation[],
  ) {}

  private mine(): UserToken[] {
    return [...this.view.values()].filter(
      (token) => token.tenantId.toLowerCase() === this.tenantId,
    );
  }

  insert(token: UserToken): Promise<void> {
    if (token.tenantId.toLowerCase() !== this.tenantId) {
      return Promise.reject(
        new Error('new row violates row-level security policy for table "user_tokens"'),
      );
    }
    const key = rowKey(token.tenantId, token.id);
    const write = (tokens: Map<string, UserToken>): void => {
      if (tokens.has(key)) throw uniqueViolation('user_tokens_pkey');
      const clash = [...tokens.values()].some(
        (other) =>
          other.tenantId.toLowerCase() === this.tenantId &&
          sameBytes(other.tokenHash, token.tokenHash),
      );
      if (clash) throw uniqueViolation('user_tokens_tenant_hash_key');
      tokens.set(key, { ...token, tokenHash: new Uint8Array(token.tokenHash) });
    };
    try {
      write(this.view);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.operations.push((store) => {
      write(store.tokens);
    });
    return Promise.resolve();
  }

  findByHash(tokenHash: Uint8Array, purpose: UserTokenPurpose): Promise<UserToken | undefined> {
    return Promise.resolve(
      this.mine().find(
        (token) => token.purpose === purpose && sameBytes(token.tokenHash, tokenHash),
      ),
    );
  }

  markUsed(id: string, at: Date): Promise<boolean> {
    const key = rowKey(this.tenantId, id);
    const token = this.view.get(key);
    if (token?.usedAt !== undefined || token === undefined) return Promise.resolve(false);
    this.view.set(key, { ...token, usedAt: at });
    this.operations.push((store) => {
      const latest = store.tokens.get(key);
      // Another transaction used it meanwhile: this one loses, as the conditional UPDATE would.
      if (latest?.usedAt !== undefined)
        throw new Error('could not serialize: token used meanwhile');
      if (latest !== undefined) store.tokens.set(key, { ...latest, usedAt: at });
    });
    return Promise.resolve(true);
  }

  supersede(userId: string, purpose: UserTokenPurpose, at: Date): Promise<void> {
    const apply = (tokens: Map<string, UserToken>): void => {
      for (const [key, token] of tokens) {
        if (
          token.tenantId.toLowerCase() === this.tenantId &&
          token.userId.toLowerCase() === userId.toLowerCase() &&
          token.purpose === purpose &&
          token.usedAt === undefined
        ) {
          tokens.set(key, { ...token, usedAt: at });
        }
      }
    };
    apply(this.view);
    this.operations.push((store) => {
      apply(store.tokens);
    });
    return Promise.resolve();
  }
}

/**
 * The memory twin of `PgRecoveryUnitOfWork`: users through an `InMemoryUnitOfWork`, tokens
 * and outbox in an `InMemoryRecoveryStore`, committed together when the work resolves and
 * dropped when it throws. Each tenant sees only its own tokens.
 */
export class InMemoryRecoveryUnitOfWork implements RecoveryUnitOfWork {
  constructor(
    private readonly uow: UnitOfWork,
    readonly store: InMemoryRecoveryStore,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async inTenant<T>(tenantId: string, work: (scope: RecoveryScope) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('inTenant: the tenant id must be a UUID');
    const tenant = tenantId.toLowerCase();
    const operations: Operation[] = [];
    const result = await this.uow.inTenant(tenantId, async (scope) => {
      const notifier: Notifier = {
        notify: (mail) => {
          const id = this.ids.newId();
          const dueAt = this.clock.now().getTime();
          operations.push((store) => {
            store.outbox.set(rowKey(tenant, id), {
              ...mail,
              tenantId: tenant,
              id,
              dueAt,
              attempts: 0,
              sentAt: undefined,
              lastError: undefined,
            });
          });
          return Promise.resolve();
        },
      };
      return work({
        tenantId,
        users: scope.users,
        tokens: new StagedTokens(new Map(this.store.tokens), tenant, operations),
        notifier,
      });
    });
    // Applied to a copy first: all or nothing.
    const next = new InMemoryRecoveryStore(this.clock);
    for (const [key, token] of this.store.tokens) next.tokens.set(key, token);
    for (const operation of operations) operation(next);
    this.store.tokens.clear();
    for (const [key, token] of next.tokens) this.store.tokens.set(key, token);
    for (const [key, row] of next.outbox) this.store.outbox.set(key, row);
    return result;
  }
}
