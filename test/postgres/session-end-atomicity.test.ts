import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { HmacRefreshTokenCodec } from '../../src/adapters/outbound/crypto/hmac-refresh-token-codec.js';
import { RandomIdGenerator } from '../../src/adapters/outbound/crypto/random-id-generator.js';
import { SystemClock } from '../../src/adapters/outbound/crypto/system-clock.js';
import { InProcessSessionRevocations } from '../../src/adapters/outbound/memory/in-process-session-revocations.js';
import { CommitDeferredFeed } from '../../src/adapters/outbound/postgres/after-commit.js';
import { PgAuditLog } from '../../src/adapters/outbound/postgres/pg-audit-log.js';
import { PgJoinedTransactions } from '../../src/adapters/outbound/postgres/pg-joined-transactions.js';
import { PgRequestTransactions } from '../../src/adapters/outbound/postgres/pg-request-transactions.js';
import { PgSessionStore } from '../../src/adapters/outbound/postgres/pg-session-store.js';
import { PgTenantDirectory } from '../../src/adapters/outbound/postgres/pg-tenant-directory.js';
import { PgUnitOfWork } from '../../src/adapters/outbound/postgres/pg-unit-of-work.js';
import { UserDisabler } from '../../src/application/identity/disable-user.js';
import { SessionManager } from '../../src/application/identity/sessions.js';
import type { Actor } from '../../src/application/shared/actor.js';
import type { AuditLog } from '../../src/domain/audit/audit-log.port.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { systemRolesGrant } from '../mothers/role.mother.js';
import { aTenant, TENANT_A_ID } from '../mothers/tenant.mother.js';
import { aUser, USER_ID } from '../mothers/user.mother.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { auditThatRefuses, auditFailingAtCommit, eventsOf } from '../support/audit-logs.js';

// Ending a session (logout, revoke) and its auth.session.revoked event are one transaction: a
// session whose end cannot be recorded stays live, and its end is never announced.

let database: TestDatabase;
let audit: PgAuditLog;
const heard: string[] = [];

function sessionsWith(log: AuditLog): SessionManager {
  const revocations = new InProcessSessionRevocations();
  revocations.onRevoked((id) => heard.push(id));
  const deferred = new CommitDeferredFeed({
    revoked: (ids) => {
      revocations.revoked(ids);
    },
    onRevoked: (listener) => {
      revocations.onRevoked(listener);
    },
    onReset: (listener) => {
      revocations.onReset(listener);
    },
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
  return new SessionManager(
    new PgSessionStore(database.appKnex),
    new HmacRefreshTokenCodec(Buffer.from(generateMasterKey(), 'base64')),
    new PgUnitOfWork(database.appKnex),
    { issue: () => Promise.resolve({ token: 'at', expiresAt: new Date() }) },
    new PgTenantDirectory(database.appKnex),
    new SystemClock(),
    new RandomIdGenerator(),
    log,
    deferred,
    { idleTimeoutSeconds: 3_600, absoluteLifetimeSeconds: 86_400, reuseGraceSeconds: 10 },
    {
      holds: (principal, permission) => systemRolesGrant(TENANT_A_ID, principal.roles, permission),
    },
    joined(),
  );
}

const joined = () => new PgJoinedTransactions(new PgRequestTransactions(database.appKnex));

const actorOf = (sessionId: string | undefined, roles = ['member']): Actor => ({
  tenantId: TENANT_A_ID,
  principal: {
    subjectId: USER_ID,
    tenantId: TENANT_A_ID,
    kind: 'user',
    roles,
    sessionId,
    expiresAt: new Date(Date.now() + 60_000),
  },
});

const endEvents = (): Promise<number> => eventsOf(audit, TENANT_A_ID, 'auth.session.revoked');

beforeAll(async () => {
  database = await createTestDatabase();
  audit = new PgAuditLog(database.appKnex);
  const uow = new PgUnitOfWork(database.appKnex);
  await uow.inTenant(PLATFORM_TENANT_ID, ({ tenants }) => tenants.insert(aTenant()));
  await uow.inTenant(TENANT_A_ID, ({ users }) => users.insert(aUser()));
});

afterAll(async () => {
  await database.drop();
});

describe('a session ends with its audit event or not at all', () => {
  it('Logout whose event cannot be written leaves the session live and unannounced', async () => {
    const { sessionId } = await sessionsWith(audit).start(TENANT_A_ID, USER_ID, {});
    heard.length = 0;
    await expect(sessionsWith(auditThatRefuses).logout(actorOf(sessionId))).rejects.toThrow(
      'audit log unavailable',
    );
    expect(await sessionsWith(audit).isLive(TENANT_A_ID, sessionId)).toBe(true);
    expect(heard).toEqual([]);

    await sessionsWith(audit).logout(actorOf(sessionId));
    expect(await sessionsWith(audit).isLive(TENANT_A_ID, sessionId)).toBe(false);
    expect(heard).toEqual([sessionId]);
    expect(await endEvents()).toBe(1);
  });

  it('RevokeSession whose event cannot be written leaves the session live and unannounced', async () => {
    const { sessionId } = await sessionsWith(audit).start(TENANT_A_ID, USER_ID, {});
    heard.length = 0;
    const before = await endEvents();
    await expect(
      sessionsWith(auditThatRefuses).revoke(actorOf(undefined), sessionId),
    ).rejects.toThrow('audit log unavailable');
    expect(await sessionsWith(audit).isLive(TENANT_A_ID, sessionId)).toBe(true);
    expect(heard).toEqual([]);

    await sessionsWith(audit).revoke(actorOf(undefined), sessionId);
    expect(await sessionsWith(audit).isLive(TENANT_A_ID, sessionId)).toBe(false);
    expect(heard).toEqual([sessionId]);
    expect(await endEvents()).toBe(before + 1);
  });
});

describe('disabling a user ends their sessions in the same transaction as its events', () => {
  it('DisableUser whose events fail at commit leaves the user active, their sessions live and unannounced', async () => {
    const { sessionId } = await sessionsWith(audit).start(TENANT_A_ID, USER_ID, {});
    heard.length = 0;
    const uow = new PgUnitOfWork(database.appKnex);
    const disabler = (log: AuditLog) =>
      new UserDisabler(
        uow,
        new SystemClock(),
        new RandomIdGenerator(),
        log,
        sessionsWith(log),
        joined(),
      );
    const admin = actorOf(undefined, ['admin']);
    const operator: Actor = {
      ...admin,
      principal: { ...admin.principal, subjectId: '01a00000-0000-7000-8000-0000000000ad' },
    };
    const status = async () =>
      (await uow.inTenant(TENANT_A_ID, ({ users }) => users.findById(USER_ID)))?.status;
    // The real log writes its events right before the commit: fail them there, after the
    // sessions were ended in the same transaction.
    const failsAtCommit = auditFailingAtCommit(database.appKnex);

    await expect(disabler(failsAtCommit).run(operator, USER_ID)).rejects.toThrow(
      'chain hash failed',
    );
    expect(await status()).toBe('active');
    expect(await sessionsWith(audit).isLive(TENANT_A_ID, sessionId)).toBe(true);
    expect(heard).toEqual([]);

    await disabler(audit).run(operator, USER_ID);
    expect(await status()).toBe('disabled');
    expect(await sessionsWith(audit).isLive(TENANT_A_ID, sessionId)).toBe(false);
    expect(heard).toContain(sessionId);
  });
});
