/**
 * What the embedded default generates into the data folder on first start: the master key and
 * the first administrator's password. Files are 0600; a second start reuses them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { generateMasterKey } from './adapters/outbound/crypto/aes-gcm-secret-box.js';

export const DEFAULT_ADMIN_EMAIL = 'admin@wemaster.local';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeSecret(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600, flag: 'wx' });
}

export async function loadOrCreateMasterKey(dataDir: string, logger: Logger): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'master.key');
  const existing = await readIfExists(path);
  if (existing !== undefined) return existing;
  const key = generateMasterKey();
  await writeSecret(path, `${key}\n`);
  logger.warn(
    { path },
    'GENERATED A NEW MASTER KEY for the embedded default. It encrypts every secret at rest: back it up, and set WEMASTER_MASTER_KEY in any real deployment.',
  );
  return key;
}

export interface GeneratedAdmin {
  readonly email: string;
  readonly password: string;
  readonly path: string;
  /** False when an earlier start already generated (and showed) it. */
  readonly isNew: boolean;
}

/** A strong random password for the first administrator, kept in the data folder. */
export async function loadOrCreateAdminPassword(dataDir: string): Promise<GeneratedAdmin> {
  const path = join(dataDir, 'admin-password');
  const existing = await readIfExists(path);
  if (existing !== undefined) {
    return { email: DEFAULT_ADMIN_EMAIL, password: existing, path, isNew: false };
  }
  const password = randomBytes(24).toString('base64url');
  await writeSecret(path, `${password}\n`);
  return { email: DEFAULT_ADMIN_EMAIL, password, path, isNew: true };
}
