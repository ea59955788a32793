import { describe, expect, it } from 'vitest';

import { InMemoryRecoveryStore } from '../../../src/adapters/outbound/memory/in-memory-recovery-unit-of-work.js';
import { OutboxDispatcher } from '../../../src/application/notification/outbox-dispatcher.js';
import type { OutgoingMail } from '../../../src/domain/notification/notifier.port.js';

const TENANT = '0a000000-0000-4000-8000-00000000000a';

describe('OutboxDispatcher', () => {
  it('retries a failed send after a back-off and marks it sent once it goes through', async () => {
    let now = 0;
    const clock = { now: () => new Date(now) };
    const store = new InMemoryRecoveryStore(clock);
    store.outbox.set(`${TENANT}/1`, {
      tenantId: TENANT,
      id: '1',
      kind: 'k',
      recipient: 'r@x.test',
      subject: 's',
      bodyText: 'secret body',
      dueAt: 0,
      attempts: 0,
      sentAt: undefined,
      lastError: undefined,
    });
    const sent: OutgoingMail[] = [];
    let failing = true;
    const errors: unknown[] = [];
    const dispatcher = new OutboxDispatcher(
      store,
      {
        send: (mail) => {
          if (failing) return Promise.reject(new Error('smtp down'));
          sent.push(mail);
          return Promise.resolve();
        },
      },
      {
        batchSize: 10,
        leaseMs: 60_000,
        retryMs: 1_000,
        maxAttempts: 10,
        onError: (e) => errors.push(e),
        onGaveUp: () => undefined,
      },
    );
    expect(await dispatcher.dispatchOnce()).toBe(0);
    expect(errors).toHaveLength(1);
    expect(store.outbox.get(`${TENANT}/1`)?.lastError).toBe('smtp down');
    failing = false;
    expect(await dispatcher.dispatchOnce()).toBe(0);
    now = 1_000;
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(sent.map((m) => m.recipient)).toEqual(['r@x.test']);
    expect(store.outbox.get(`${TENANT}/1`)).toMatchObject({ bodyText: '', attempts: 2 });
    now = 10_000_000;
    expect(await dispatcher.dispatchOnce()).toBe(0);
  });

  it('reports a message that failed its last attempt as given up, not as a passing error', async () => {
    const clock = { now: () => new Date(0) };
    const store = new InMemoryRecoveryStore(clock);
    store.outbox.set(`${TENANT}/2`, {
      tenantId: TENANT,
      id: '2',
      kind: 'password_reset',
      recipient: 'r@x.test',
      subject: 's',
      bodyText: 'secret body',
      dueAt: 0,
      attempts: 1,
      sentAt: undefined,
      lastError: undefined,
    });
    const errors: unknown[] = [];
    const gaveUp: string[] = [];
    const dispatcher = new OutboxDispatcher(
      store,
      { send: () => Promise.reject(new Error('mailbox does not exist')) },
      {
        batchSize: 10,
        leaseMs: 60_000,
        retryMs: 1_000,
        maxAttempts: 2,
        onError: (e) => errors.push(e),
        onGaveUp: (mail) => gaveUp.push(`${mail.id}:${String(mail.attempts)}`),
      },
    );
    expect(await dispatcher.dispatchOnce()).toBe(0);
    expect(gaveUp).toEqual(['2:2']);
    expect(errors).toEqual([]);
  });
});
