import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Knex } from 'knex';
import { escapeIdentifier, escapeLiteral } from 'pg';

import { pgErrorCode } from './pg-errors.js';
import { APP_GROUP_ROLE } from './pg-schema.js';

export interface AppRoleOptions {
  /** Login role the service connects as (the user name of the app connection URL). */
  readonly roleName: string;
  /** Its password, when the server authenticates by password. */
  readonly password?: string | undefined;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates (if missing) the login role the service connects as and makes it what isolation
 * needs: LOGIN, NOSUPERUSER, NOBYPASSRLS, NOCREATEDB, NOCREATEROLE, NOREPLICATION, member of
 * the group role that holds the privileges, CONNECT on the current database. It owns nothing.
 *
 * Run as the owner connection (needs CREATEROLE). Roles are cluster-wide and many databases
 * (parallel test files) may call this at once: it only writes what differs and retries the
 * races of concurrent role DDL. It refuses to touch an existing superuser rather than demote it.
 */
export async function ensureAppRole(owner: Knex, options: AppRoleOptions): Promise<void> {
  if (!ROLE_NAME.test(options.roleName)) {
    throw new Error(`app role name "${options.roleName}" must match ${ROLE_NAME.source}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureAppRoleOnce(owner, options);
      return;
    } catch (error) {
      if (attempt >= 6 || !isConcurrentRoleChange(error)) throw error;
      await sleep(20 * attempt + Math.floor(Math.random() * 30));
    }
  }
}

/** Creates the NOLOGIN group role if missing (the first migration does the same). */
export async function ensureGroupRole(owner: Knex): Promise<void> {
  await createRoleIfMissing(
    owner,
    APP_GROUP_ROLE,
    'nologin nosuperuser nocreatedb nocreaterole nobypassrls',
  );
}

interface RoleRow {
  readonly rolsuper: boolean;
  readonly rolbypassrls: boolean;
  readonly rolcanlogin: boolean;
  readonly rolcreatedb: boolean;
  readonly rolcreaterole: boolean;
  readonly rolreplication: boolean;
  readonly rolinherit: boolean;
}

const LOGIN_ATTRIBUTES =
  'login nosuperuser nobypassrls nocreatedb nocreaterole noreplication inherit';

async function ensureAppRoleOnce(
  owner: Knex,
  { roleName, password }: AppRoleOptions,
): Promise<void> {
  const role = escapeIdentifier(roleName);
  const created = await createRoleIfMissing(
    owner,
    roleName,
    password === undefined
      ? LOGIN_ATTRIBUTES
      : `${LOGIN_ATTRIBUTES} password ${passwordLiteral(password)}`,
  );
  const row = await readRole(owner, roleName);
  if (row === undefined) throw new Error(`app role "${roleName}" vanished while being set up`);
  if (row.rolsuper) {
    throw new Error(
      `app role "${roleName}" is a superuser; the service must connect as a dedicated role (refusing to alter it)`,
    );
  }
  const attributesOk =
    row.rolcanlogin &&
    !row.rolbypassrls &&
    !row.rolcreatedb &&
    !row.rolcreaterole &&
    !row.rolreplication &&
    row.rolinherit;
  if (!attributesOk) await owner.raw(`alter role ${role} with ${LOGIN_ATTRIBUTES}`);
  if (password !== undefined && !created && !(await passwordMatches(owner, roleName, password))) {
    await owner.raw(`alter role ${role} with password ${passwordLiteral(password)}`);
  }

  await ensureGroupRole(owner);
  const member = await owner.raw<{ rows: unknown[] }>(
    `select 1 from pg_catalog.pg_auth_members m
       join pg_catalog.pg_roles g on g.oid = m.roleid
       join pg_catalog.pg_roles u on u.oid = m.member
      where g.rolname = ? and u.rolname = ?`,
    [APP_GROUP_ROLE, roleName],
  );
  if (member.rows.length === 0) {
    await owner.raw(`grant ${escapeIdentifier(APP_GROUP_ROLE)} to ${role}`);
  }
  const db = await owner.raw<{ rows: { name: string }[] }>('select current_database() as name');
  const dbName = db.rows[0]?.name;
  if (dbName === undefined) throw new Error('could not read current_database()');
  await owner.raw(`grant connect on database ${escapeIdentifier(dbName)} to ${role}`);
}

/** Returns true when this call created the role. */
async function createRoleIfMissing(
  owner: Knex,
  roleName: string,
  attributes: string,
): Promise<boolean> {
  if ((await readRole(owner, roleName)) !== undefined) return false;
  try {
    await owner.raw(`create role ${escapeIdentifier(roleName)} with ${attributes}`);
    return true;
  } catch (error) {
    // Created concurrently by another session: fine, it exists now.
    const code = pgErrorCode(error);
    if (code === '42710' || code === '23505') return false;
    throw error;
  }
}

async function readRole(owner: Knex, roleName: string): Promise<RoleRow | undefined> {
  const result = await owner.raw<{ rows: RoleRow[] }>(
    `select rolsuper, rolbypassrls, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication, rolinherit
       from pg_catalog.pg_roles where rolname = ?`,
    [roleName],
  );
  return result.rows[0];
}

/** `tuple concurrently updated`, duplicate role, serialization and deadlock failures. */
function isConcurrentRoleChange(error: unknown): boolean {
  const code = pgErrorCode(error);
  return (
    code === 'XX000' || code === '42710' || code === '23505' || code === '40001' || code === '40P01'
  );
}

/**
 * Whether the stored SCRAM verifier matches the password. Needs to read pg_authid (superuser);
 * when it cannot, answers false and the caller sets the password again.
 */
async function passwordMatches(owner: Knex, roleName: string, password: string): Promise<boolean> {
  let stored: string | null | undefined;
  try {
    const result = await owner.raw<{ rows: { rolpassword: string | null }[] }>(
      'select rolpassword from pg_catalog.pg_authid where rolname = ?',
      [roleName],
    );
    stored = result.rows[0]?.rolpassword;
  } catch (_error) {
    return false;
  }
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored ?? '');
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return false;
  if (!isPlainAscii(password)) return false;
  const expected = scramVerifier(password, Buffer.from(match[2], 'base64'), Number(match[1]));
  const actual = Buffer.from(stored ?? '');
  return expected.length === actual.length && timingSafeEqual(Buffer.from(expected), actual);
}

/**
 * The password as SQL: a SCRAM-SHA-256 verifier computed here for printable ASCII passwords
 * (so the clear text never reaches the server or its statement log), the clear text otherwise
 * (SASLprep of other characters is left to the server).
 */
function passwordLiteral(password: string): string {
  if (!isPlainAscii(password)) return escapeLiteral(password);
  return escapeLiteral(scramVerifier(password, randomBytes(16), 4096));
}

const isPlainAscii = (text: string): boolean => /^[\x21-\x7e]+$/.test(text);

function scramVerifier(password: string, salt: Buffer, iterations: number): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
