import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgSessionRevocations } from '../../src/adapters/outbound/postgres/pg-session-revocations.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ids = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `05000000-0000-7000-8000-${String(i).padStart(12, '0')}`);

let db: TestDatabase;
const opened: PgSessionRevocations[] = [];
const open = async (): Promise<PgSessionRevocations> => {
  const feed = new PgSessionRevocations(db.appUrl, db.appKnex, pino({ level: 'silent' }));
  await feed.start();
  opened.push(feed);
  return feed;
};

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const feed of opened) await feed.close();
  await db.drop();
});

describe('PgSessionRevocations (LISTEN/NOTIFY)', () => {
  it('tells local listeners at once and another instance soon, in chunks that fit NOTIFY', async () => {
    const [sender, receiver] = [await open(), await open()];
    const local: string[] = [];
    sender.onRevoked((id) => local.push(id));
    const all = ids(250);
    const remote: string[] = [];
    const heardAll = new Promise<void>((resolve) => {
      receiver.onRevoked((id) => {
        remote.push(id);
        if (remote.length === all.length) resolve();
      });
    });
    sender.revoked(all);
    expect(local).toEqual(all);
    await heardAll;
    expect([...remote].sort()).toEqual(all);
  });

  it('resets its listeners when the listening connection comes back', async () => {
    const feed = await open();
    const reset = new Promise<void>((resolve) => {
      feed.onReset(resolve);
    });
    await db.ownerKnex.raw(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'wemaster-listen-wemaster_session_revocations' and datname = current_database()",
    );
    await reset;
    const heard = new Promise<string>((resolve) => {
      feed.onRevoked(resolve);
    });
    const [sender] = [await open()];
    sender.revoked(ids(1));
    expect(await heard).toBe(ids(1)[0]);
  }, 10_000);
});
