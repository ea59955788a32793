import { pino } from 'pino';
import { generateMasterKey } from '../../src/adapters/outbound/crypto/aes-gcm-secret-box.js';
import { AuditServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/audit.js';
import { AuthorizationServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/authorization.js';
import { IdentityServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { TenancyServiceClient } from '../../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { loadConfig } from '../../src/config.js';
import { startCore, type RunningCore } from '../../src/start.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { call, insecure } from './grpc.js';

export const ADMIN_EMAIL = 'operator@platform.test';
export const ADMIN_PASSWORD = 'correct horse battery staple 42';

export interface TestCore {
  readonly core: RunningCore;
  readonly database: TestDatabase;
  readonly address: string;
  readonly httpUrl: string;
  readonly tenancy: TenancyServiceClient;
  readonly identity: IdentityServiceClient;
  readonly authorization: AuthorizationServiceClient;
  readonly audit: AuditServiceClient;
  readonly env: Record<string, string>;
  /** Logs in and returns an access token. */
  login(tenantSlug: string, email: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real WeMaster Core on ephemeral ports over a fresh database, reached through the
 * generated clients the way a consuming microservice would.
 */
export async function startTestCore(
  overrides: Record<string, string> = {},
  options: {
    /** Collects the service's log lines (JSON) instead of discarding them. */
    logLines?: string[];
    /** Another replica on the same database (which the first one's close() drops). */
    replicaOf?: TestCore;
  } = {},
): Promise<TestCore> {
  const { logLines, replicaOf } = options;
  const database = replicaOf?.database ?? (await createTestDatabase());
  const env = {
    DATABASE_URL: database.appUrl,
    DATABASE_MIGRATION_URL: database.ownerUrl,
    WEMASTER_MASTER_KEY: replicaOf?.env.WEMASTER_MASTER_KEY ?? generateMasterKey(),
    WEMASTER_ADMIN_EMAIL: ADMIN_EMAIL,
    WEMASTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    // Cheap hashing keeps tests fast; the cost parameters are tested on their own.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_ITERATIONS: '1',
    SHUTDOWN_GRACE_MS: '2000',
    ...overrides,
  };
  const logger =
    logLines === undefined
      ? pino({ level: env.LOG_LEVEL })
      : pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
  const core = await startCore(loadConfig(env), logger);
  const address = `127.0.0.1:${String(core.grpcPort)}`;
  const tenancy = new TenancyServiceClient(address, insecure);
  const identity = new IdentityServiceClient(address, insecure);
  const authorization = new AuthorizationServiceClient(address, insecure);
  const audit = new AuditServiceClient(address, insecure);
  const login = async (tenantSlug: string, email: string, password: string): Promise<string> => {
    const { result } = await call(identity, 'login', { tenantSlug, email, password });
    if (result?.$case !== 'tokens') throw new Error('expected tokens');
    return result.value.accessToken;
  };
  let adminToken: string | undefined;
  return {
    core,
    database,
    address,
    httpUrl: `http://127.0.0.1:${String(core.httpPort)}`,
    tenancy,
    identity,
    authorization,
    audit,
    env,
    login,
    adminToken: async () => (adminToken ??= await login('platform', ADMIN_EMAIL, ADMIN_PASSWORD)),
    close: async () => {
      tenancy.close();
      identity.close();
      authorization.close();
      audit.close();
      await core.stop();
      if (replicaOf === undefined) await database.drop();
    },
  };
}
