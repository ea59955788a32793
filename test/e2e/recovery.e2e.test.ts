import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveredMail } from '../../src/adapters/outbound/mail/log-mail-sender.js';
import { startTestCore, type TestCore } from '../support/core.js';
import { bearer, call, failureOf, freshKey } from '../support/grpc.js';
import { seedUser } from '../support/seed.js';

const PASSWORD = 'a sturdy passphrase 2025';
const TOKEN_IN_MAIL = /([0-9a-f-]{36}\.[A-Za-z0-9_-]{43})/;

describe('IdentityService recovery flows end to end', () => {
  let t: TestCore;
  /** A replica on the same database whose reset tokens live one second. */
  let shortLived: TestCore;
  let tenantId: string;

  // Either replica's dispatcher may deliver a message: read both dev mailboxes.
  const mailTo = (recipient: string): DeliveredMail[] =>
    [t, shortLived].flatMap((core) => [...(core.core.mailbox?.list(recipient) ?? [])]);

  /** Waits for the `count`-th mail to `recipient` and returns the token it carries. */
  const tokenMailed = async (recipient: string, count: number): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const mails = mailTo(recipient).sort(
        (a, b) => a.deliveredAt.getTime() - b.deliveredAt.getTime(),
      );
      const mail = mails[count - 1];
      const token = mail === undefined ? undefined : TOKEN_IN_MAIL.exec(mail.bodyText)?.[1];
      if (token !== undefined) return token;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no mail #${String(count)} to ${recipient}`);
  };

  /** A fresh session's refresh token. */
  const sessionOf = async (email: string, password: string): Promise<string> => {
    const { result } = await call(t.identity, 'login', { tenantSlug: 'recover', email, password });
    if (result?.$case !== 'tokens') throw new Error('expected tokens');
    return result.value.refreshToken;
  };
  const refreshes = (refreshToken: string): Promise<boolean> =>
    call(t.identity, 'refreshSession', { refreshToken }).then(
      () => true,
      () => false,
    );

  const requestReset = (email: string, slug = 'recover') =>
    call(t.identity, 'requestPasswordReset', { tenantSlug: slug, email });

  beforeAll(async () => {
    t = await startTestCore({ MAIL_DISPATCH_INTERVAL_MS: '50' });
    shortLived = await startTestCore(
      {
        MAIL_DISPATCH_INTERVAL_MS: '50',
        PASSWORD_RESET_TTL_SECONDS: '1',
        APP_BASE_URL: 'https://app.example.test/',
      },
      { replicaOf: t },
    );
    const { tenant } = await call(
      t.tenancy,
      'createTenant',
      { slug: 'recover', displayName: 'Recover', plan: '', selfSignUpEnabled: false },
      bearer(await t.adminToken(), freshKey()),
    );
    tenantId = tenant!.id;
    for (const email of [
      'reset@recover.test',
      'change@recover.test',
      'verify@recover.test',
      'race@recover.test',
      'mailbomb@recover.test',
      'bystander@recover.test',
      'linked@recover.test',
    ]) {
      await seedUser(t.env.DATABASE_URL!, tenantId, { email, password: PASSWORD, role: 'member' });
    }
  }, 60_000);

  afterAll(async () => {
    await shortLived.close();
    await t.close();
  });

  it('resets a password with the mailed token, once; the old password stops working', async () => {
    const session = await sessionOf('reset@recover.test', PASSWORD);
    await requestReset('Reset@Recover.test');
    const token = await tokenMailed('reset@recover.test', 1);
    const newPassword = 'a brand new passphrase 77';
    await call(t.identity, 'resetPassword', { token, newPassword });
    // Every session of the user ended.
    expect(await refreshes(session)).toBe(false);

    await expect(t.login('recover', 'reset@recover.test', newPassword)).resolves.toBeTruthy();
    const old = await failureOf(t.login('recover', 'reset@recover.test', PASSWORD));
    expect(old.code).toBe(status.UNAUTHENTICATED);

    const again = await failureOf(
      call(t.identity, 'resetPassword', { token, newPassword: 'yet another passphrase 1' }),
    );
    expect(again.code).toBe(status.FAILED_PRECONDITION);
    expect(again.reason).toBe('INVALID_OR_EXPIRED_TOKEN');
  });

  it('lets exactly one of concurrent resets with the same token through', async () => {
    await requestReset('race@recover.test');
    const token = await tokenMailed('race@recover.test', 1);
    // failureOf rejects when the call succeeds: that is the one 'ok'.
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const failure = await failureOf(
          call(t.identity, 'resetPassword', {
            token,
            newPassword: `racing passphrase ${String(i)}x`,
          }),
        ).catch(() => undefined);
        return failure === undefined ? 'ok' : (failure.reason ?? String(failure.code));
      }),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(
      Array.from({ length: 5 }, () => 'INVALID_OR_EXPIRED_TOKEN'),
    );
  });

  it('answers the same for an unknown email, an unknown tenant and a known one', async () => {
    await expect(requestReset('nobody@recover.test')).resolves.toEqual({});
    await expect(requestReset('reset@recover.test', 'no-such-tenant')).resolves.toEqual({});
    await expect(requestReset('reset@recover.test')).resolves.toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailTo('nobody@recover.test')).toEqual([]);
  });

  it('refuses an expired token', async () => {
    await call(shortLived.identity, 'requestPasswordReset', {
      tenantSlug: 'recover',
      email: 'change@recover.test',
    });
    const token = await tokenMailed('change@recover.test', 1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const expired = await failureOf(
      call(t.identity, 'resetPassword', { token, newPassword: 'too late passphrase 99' }),
    );
    expect(expired.code).toBe(status.FAILED_PRECONDITION);
    expect(expired.reason).toBe('INVALID_OR_EXPIRED_TOKEN');
  });

  it('changes the password of the caller, who proves the current one', async () => {
    const other = await sessionOf('change@recover.test', PASSWORD);
    const { result } = await call(t.identity, 'login', {
      tenantSlug: 'recover',
      email: 'change@recover.test',
      password: PASSWORD,
    });
    if (result?.$case !== 'tokens') throw new Error('expected tokens');
    const token = result.value.accessToken;
    const own = result.value.refreshToken;
    const wrong = await failureOf(
      call(
        t.identity,
        'changePassword',
        { currentPassword: 'not my password 123', newPassword: 'changed passphrase 2026' },
        bearer(token),
      ),
    );
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    // Under an idempotency key the call runs in a request transaction that rolls back: the
    // failed attempt is audited all the same.
    const keyedWrong = await failureOf(
      call(
        t.identity,
        'changePassword',
        { currentPassword: 'not my password 456', newPassword: 'changed passphrase 2026' },
        bearer(token, freshKey()),
      ),
    );
    expect(keyedWrong.code).toBe(status.UNAUTHENTICATED);
    const failures = await t.database
      .ownerKnex('core.audit_events')
      .where({ tenant_id: tenantId, action: 'auth.password.changed', outcome: 'failure' })
      .count('* as count');
    expect(Number(failures[0]?.count)).toBe(2);
    const weak = await failureOf(
      call(
        t.identity,
        'changePassword',
        { currentPassword: PASSWORD, newPassword: 'short' },
        bearer(token),
      ),
    );
    expect(weak.code).toBe(status.INVALID_ARGUMENT);
    expect(weak.fieldViolations).toEqual(['new_password']);

    await call(
      t.identity,
      'changePassword',
      { currentPassword: PASSWORD, newPassword: 'changed passphrase 2026' },
      bearer(token),
    );
    // The caller's own session goes on; the others ended.
    expect(await refreshes(own)).toBe(true);
    expect(await refreshes(other)).toBe(false);
    const old = await failureOf(t.login('recover', 'change@recover.test', PASSWORD));
    expect(old.code).toBe(status.UNAUTHENTICATED);
    await expect(
      t.login('recover', 'change@recover.test', 'changed passphrase 2026'),
    ).resolves.toBeTruthy();
    const anonymous = await failureOf(
      call(t.identity, 'changePassword', { currentPassword: PASSWORD, newPassword: PASSWORD }),
    );
    expect(anonymous.code).toBe(status.UNAUTHENTICATED);
  });

  it('verifies the email with the mailed token; GetCurrentUser shows it', async () => {
    const access = await t.login('recover', 'verify@recover.test', PASSWORD);
    const before = await call(t.identity, 'getCurrentUser', {}, bearer(access));
    expect(before.user?.emailVerified).toBe(false);

    await call(t.identity, 'requestEmailVerification', {}, bearer(access));
    const token = await tokenMailed('verify@recover.test', 1);
    // A verification token is not a reset token.
    const crossed = await failureOf(
      call(t.identity, 'resetPassword', { token, newPassword: 'hijacked passphrase 11' }),
    );
    expect(crossed.reason).toBe('INVALID_OR_EXPIRED_TOKEN');
    await call(t.identity, 'verifyEmail', { token });

    const after = await call(t.identity, 'getCurrentUser', {}, bearer(access));
    expect(after.user?.emailVerified).toBe(true);
    const reused = await failureOf(call(t.identity, 'verifyEmail', { token }));
    expect(reused.code).toBe(status.FAILED_PRECONDITION);
  });

  it('answers bad tokens of every shape with the right status, never INTERNAL', async () => {
    const secret = 'A'.repeat(43);
    const malformed = [
      '',
      'garbage',
      '.',
      `${tenantId}.`,
      `${tenantId}.short`,
      `not-a-uuid.${secret}`,
      `${tenantId}.${secret}!`,
      `${tenantId}.${secret}.extra`,
      `${tenantId}${secret}`,
      `${tenantId}.${'é'.repeat(43)}`,
      'x'.repeat(5000),
    ];
    for (const token of malformed) {
      for (const failure of [
        await failureOf(call(t.identity, 'verifyEmail', { token })),
        await failureOf(
          call(t.identity, 'resetPassword', { token, newPassword: 'well formed passphrase 5' }),
        ),
      ]) {
        expect(failure.code, token).toBe(status.INVALID_ARGUMENT);
        expect(failure.fieldViolations, token).toEqual(['token']);
      }
    }
    const unknown = [
      `${tenantId}.${secret}`,
      `00000000-0000-4000-8000-000000000000.${secret}`,
      `${tenantId.toUpperCase()}.${secret}`,
    ];
    for (const token of unknown) {
      const verify = await failureOf(call(t.identity, 'verifyEmail', { token }));
      expect(verify.code, token).toBe(status.FAILED_PRECONDITION);
      expect(verify.reason, token).toBe('INVALID_OR_EXPIRED_TOKEN');
      const reset = await failureOf(
        call(t.identity, 'resetPassword', { token, newPassword: 'well formed passphrase 5' }),
      );
      expect(reset.code, token).toBe(status.FAILED_PRECONDITION);
    }
  });

  it('caps reset requests per email (RECOVERY_MAX_REQUESTS_PER_EMAIL, 5 by default)', async () => {
    for (let i = 0; i < 5; i += 1) await requestReset('capped@recover.test');
    const failure = await failureOf(requestReset('capped@recover.test'));
    expect(failure.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(failure.reason).toBe('TOO_MANY_REQUESTS');
  });

  it('caps RequestEmailVerification per user (EMAIL_VERIFICATION_MAX_REQUESTS, 5 by default)', async () => {
    const access = await t.login('recover', 'mailbomb@recover.test', PASSWORD);
    const request = (token: string) =>
      call(t.identity, 'requestEmailVerification', {}, bearer(token));
    for (let i = 0; i < 5; i += 1) await request(access);
    const failure = await failureOf(request(access));
    expect(failure.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(failure.reason).toBe('TOO_MANY_REQUESTS');
    expect(failure.retryDelayMs).toBeGreaterThan(0);
    // Per user: a new session does not reset it, another user is not affected.
    const again = await t.login('recover', 'mailbomb@recover.test', PASSWORD);
    expect((await failureOf(request(again))).code).toBe(status.RESOURCE_EXHAUSTED);
    await request(await t.login('recover', 'bystander@recover.test', PASSWORD));
  });

  it('links to the web app when APP_BASE_URL is set; /metrics shows the outbox backlog', async () => {
    await call(shortLived.identity, 'requestPasswordReset', {
      tenantSlug: 'recover',
      email: 'linked@recover.test',
    });
    const token = await tokenMailed('linked@recover.test', 1);
    const [mail] = mailTo('linked@recover.test');
    expect(mail?.bodyText).toContain(
      `https://app.example.test/reset-password?token=${encodeURIComponent(token)}`,
    );
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^outbox_messages\{state="pending"\} \d+$/m);
    expect(metrics).toMatch(/^outbox_messages\{state="failed"\} \d+$/m);
  });
});
