/**
 * Start-up and shutdown of one WeMaster Core process, in order: database (embedded or given),
 * migrations, the isolation self-check, the object graph, keys and first administrator, then
 * the gRPC and HTTP servers.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createClient, type RedisClientType } from 'redis';
import type { Registry } from 'prom-client';
import { parseMasterKey } from './adapters/outbound/crypto/aes-gcm-secret-box.js';
import { assertIsolationHolds } from './adapters/outbound/postgres/isolation-self-check.js';
import { createKnex } from './adapters/outbound/postgres/knex.factory.js';
import { runMigrations } from './adapters/outbound/postgres/migrate.js';
import { startEmbeddedPostgres } from './adapters/outbound/postgres/embedded-postgres.js';
import { startGrpcServer } from './adapters/inbound/grpc/grpc-server.js';
import { auditHandlers } from './adapters/inbound/grpc/handlers/audit.handlers.js';
import {
  authorizationHandlers,
  authorizationServiceDefinition,
} from './adapters/inbound/grpc/handlers/authorization.handlers.js';
import { idempotencyHandlers } from './adapters/inbound/grpc/handlers/idempotency.handlers.js';
import { identityHandlers } from './adapters/inbound/grpc/handlers/identity.handlers.js';
import { recoveryHandlers } from './adapters/inbound/grpc/handlers/identity-recovery.handlers.js';
import { LogMailSender, type DevMailbox } from './adapters/outbound/mail/log-mail-sender.js';
import { serviceAccountHandlers } from './adapters/inbound/grpc/handlers/identity-service-accounts.handlers.js';
import { SigningKeyRotationSchedule } from './application/identity/signing-key-rotation-schedule.js';
import { sessionHandlers } from './adapters/inbound/grpc/handlers/identity-sessions.handlers.js';
import { tenancyHandlers } from './adapters/inbound/grpc/handlers/tenancy.handlers.js';
import { loadPackageDefinition } from './adapters/inbound/grpc/method-catalog.js';
import { AuditServiceService } from './adapters/inbound/grpc/generated/wemaster/core/v1/audit.js';
import { IdempotencyServiceService } from './adapters/inbound/grpc/generated/wemaster/core/v1/idempotency.js';
import { IdentityServiceService } from './adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import { TenancyServiceService } from './adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import { startHttpServer } from './adapters/inbound/http/http-server.js';
import type { Config } from './config.js';
import type { AuditRecorder } from './domain/audit/audit-recorder.port.js';
import { TYPES, buildContainer } from './container.js';
import { loadOrCreateAdminPassword, loadOrCreateMasterKey } from './embedded-defaults.js';

/** How often each replica deletes outbox mail past OUTBOX_RETENTION_HOURS. */
const OUTBOX_PRUNE_INTERVAL_MS = 10 * 60_000;

export interface RunningCore {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Where mail goes when SMTP_URL is unset (embedded default, tests); else undefined. */
  readonly mailbox?: DevMailbox | undefined;
  /** The process's hot-path audit recorder (embedders and tests record through it too). */
  readonly auditRecorder: AuditRecorder;
  /** Graceful: stop accepting, let in-flight calls finish (bounded), close pools. */
  stop(): Promise<void>;
}

interface Database {
  readonly ownerUrl: string;
  readonly appUrl: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}

async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.DATABASE_URL !== undefined) {
    return {
      ownerUrl: config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL,
      appUrl: config.DATABASE_URL,
      embedded: false,
      stop: () => Promise.resolve(),
    };
  }
  logger.info({ dataDir: config.WEMASTER_DATA_DIR }, 'no DATABASE_URL: starting embedded Postgres');
  const embedded = await startEmbeddedPostgres({
    dataDir: join(config.WEMASTER_DATA_DIR, 'postgres'),
  });
  return { ...embedded, embedded: true };
}

/**
 * Redis with fail-fast commands: while it is down, calls that need it get UNAVAILABLE at once
 * instead of queueing; the client reconnects by itself.
 */
async function connectRedis(url: string, logger: Logger): Promise<RedisClientType> {
  const client: RedisClientType = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000) },
  });
  let lastWarning = 0;
  client.on('error', (error: unknown) => {
    if (Date.now() - lastWarning < 10_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error }, 'redis connection problem');
  });
  await client.connect();
  return client;
}

async function adminCredentials(
  config: Config,
  database: Database,
): Promise<{ email: string; password: string; announce?: string } | undefined> {
  if (config.WEMASTER_ADMIN_EMAIL !== undefined && config.WEMASTER_ADMIN_PASSWORD !== undefined) {
    return { email: config.WEMASTER_ADMIN_EMAIL, password: config.WEMASTER_ADMIN_PASSWORD };
  }
  if (!database.embedded) return undefined;
  const generated = await loadOrCreateAdminPassword(config.WEMASTER_DATA_DIR);
  return generated.isNew
    ? { ...generated, announce: generated.path }
    : { email: generated.email, password: generated.password };
}

export async function startCore(config: Config, logger: Logger): Promise<RunningCore> {
  const database = await openDatabase(config, logger);
  const cleanups: (() => Promise<void>)[] = [() => database.stop()];
  let stopping: Promise<void> | undefined;
  const closeAll = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) {
        await cleanup().catch((error: unknown) => {
          logger.error({ err: error }, 'shutdown step failed');
        });
      }
    })());
  try {
    if (config.MIGRATE_ON_START) {
      await runMigrations({ ownerUrl: database.ownerUrl, appUrl: database.appUrl });
    }
    const knex = createKnex(database.appUrl, { poolMax: config.DATABASE_POOL_MAX, logger });
    cleanups.push(() => knex.destroy());
    await assertIsolationHolds(knex);

    const masterKeyText =
      config.WEMASTER_MASTER_KEY ?? (await loadOrCreateMasterKey(config.WEMASTER_DATA_DIR, logger));
    const redis =
      config.REDIS_URL === undefined ? undefined : await connectRedis(config.REDIS_URL, logger);
    if (redis !== undefined) {
      cleanups.push(async () => {
        await redis.close();
      });
    }
    const container = buildContainer({
      config,
      logger,
      knex,
      databaseUrl: database.appUrl,
      redis,
      masterKey: parseMasterKey(masterKeyText),
      packageDefinition: loadPackageDefinition(),
    });

    const tenantChanges = container.get(TYPES.TenantChanges);
    await tenantChanges.start();
    cleanups.push(() => tenantChanges.close());
    const sessionRevocations = container.get(TYPES.SessionRevocations);
    await sessionRevocations.start();
    cleanups.push(() => sessionRevocations.close());
    const subjectChanges = container.get(TYPES.SubjectChangeFeed);
    await subjectChanges.start();
    cleanups.push(() => subjectChanges.close());
    const hashingThreads = container.get(TYPES.Argon2Pool);
    cleanups.push(() => hashingThreads.close());
    const policyChanges = container.get(TYPES.PolicyChangeFeed);
    await policyChanges.start();
    cleanups.push(() => policyChanges.close());
    await container.get(TYPES.TokenService).ensureActiveKey();
    const keyRotation = new SigningKeyRotationSchedule(
      container.get(TYPES.TokenService),
      config.SIGNING_KEY_ROTATION_DAYS,
      (kid) => {
        logger.info({ kid }, 'rotated the token signing key (scheduled)');
      },
      (error) => {
        logger.error({ err: error }, 'scheduled signing key rotation failed');
      },
    );
    await keyRotation.start();
    cleanups.push(() => keyRotation.stop());
    const pruner = container.get(TYPES.IdempotencyPruner);
    pruner.start(config.IDEMPOTENCY_PRUNE_INTERVAL_MS);
    cleanups.push(() => pruner.stop());
    const mailSender = container.get(TYPES.MailSender);
    const dispatcher = container.get(TYPES.OutboxDispatcher);
    dispatcher.start(config.MAIL_DISPATCH_INTERVAL_MS);
    cleanups.push(() => dispatcher.stop());
    container.get(TYPES.OutboxMetrics);
    const outboxMaintenance = container.get(TYPES.OutboxMaintenance);
    outboxMaintenance.start(OUTBOX_PRUNE_INTERVAL_MS);
    cleanups.push(() => outboxMaintenance.stop());
    const admin = await adminCredentials(config, database);
    if (admin !== undefined) {
      const created = await container.get(TYPES.PlatformAdminBootstrap).run(admin);
      if (created) logger.info({ email: admin.email }, 'created the platform administrator');
      if (created && admin.announce !== undefined) {
        // Shown once, on the terminal only: the log pipeline never sees it.
        process.stderr.write(
          `\n  Platform administrator: ${admin.email}\n  Password: ${admin.password}\n  (also in ${admin.announce}, mode 0600)\n\n`,
        );
      }
    } else {
      logger.warn(
        'WEMASTER_ADMIN_EMAIL/WEMASTER_ADMIN_PASSWORD unset: no platform administrator bootstrapped',
      );
    }

    // Buffered audit events (denied checks) are written after the servers stopped (no call can
    // record more) and before the pool closes: none is lost on SIGTERM.
    const auditRecorder = container.get(TYPES.AuditRecorder);
    auditRecorder.start();
    cleanups.push(() => auditRecorder.stop());

    // Cleanups run in reverse: servers stop first, together, each bounded by the grace period;
    // then the audit recorder's flush, the change listener, the pool and the database.
    const servers: ((graceMs: number) => Promise<void>)[] = [];
    cleanups.push(async () => {
      await Promise.all(servers.map((stop) => stop(config.SHUTDOWN_GRACE_MS)));
    });
    const pipeline = container.get(TYPES.CallPipeline);
    const grpc = await startGrpcServer(
      {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
      },
      [
        pipeline.service(
          'wemaster.core.v1.TenancyService',
          TenancyServiceService,
          tenancyHandlers({
            create: container.get(TYPES.TenantCreator),
            find: container.get(TYPES.TenantFinder),
            list: container.get(TYPES.TenantLister),
            update: container.get(TYPES.TenantUpdater),
            changeStatus: container.get(TYPES.TenantStatusChanger),
          }),
        ),
        pipeline.service('wemaster.core.v1.IdentityService', IdentityServiceService, {
          ...identityHandlers({
            login: container.get(TYPES.PasswordLogin),
            jwks: container.get(TYPES.JwksPublisher),
            register: container.get(TYPES.UserRegistrar),
            currentUser: container.get(TYPES.CurrentUserReader),
            findUser: container.get(TYPES.UserFinder),
            listUsers: container.get(TYPES.UserLister),
            disableUser: container.get(TYPES.UserDisabler),
          }),
          ...sessionHandlers({
            sessions: container.get(TYPES.SessionManager),
            authenticator: container.get(TYPES.TokenAuthenticator),
          }),
          ...recoveryHandlers({
            changePassword: container.get(TYPES.PasswordChanger),
            requestPasswordReset: container.get(TYPES.PasswordResetRequester),
            resetPassword: container.get(TYPES.PasswordResetter),
            requestEmailVerification: container.get(TYPES.EmailVerificationRequester),
            verifyEmail: container.get(TYPES.EmailVerifier),
          }),
          ...serviceAccountHandlers({
            create: container.get(TYPES.ServiceAccountCreator),
            list: container.get(TYPES.ServiceAccountLister),
            issueToken: container.get(TYPES.ServiceTokenIssuer),
            rotateSecret: container.get(TYPES.ServiceAccountSecretRotator),
            delete: container.get(TYPES.ServiceAccountDeleter),
            rotateSigningKey: container.get(TYPES.SigningKeyRotator),
          }),
        }),
        pipeline.service(
          'wemaster.core.v1.IdempotencyService',
          IdempotencyServiceService,
          idempotencyHandlers(container.get(TYPES.ExternalIdempotency)),
        ),
        pipeline.service(
          'wemaster.core.v1.AuthorizationService',
          authorizationServiceDefinition,
          authorizationHandlers({
            decisions: container.get(TYPES.PolicyDecisionPoint),
            roles: container.get(TYPES.RoleAdmin),
            bindings: container.get(TYPES.BindingAdmin),
          }),
        ),
        pipeline.service(
          'wemaster.core.v1.AuditService',
          AuditServiceService,
          auditHandlers({
            list: container.get(TYPES.AuditEventLister),
            verify: container.get(TYPES.AuditChainVerifier),
          }),
        ),
      ],
      container.get(TYPES.PackageDefinition),
    );
    servers.push((graceMs) => grpc.shutdown(graceMs));

    const metrics: Registry = container.get(TYPES.MetricsRegistry);
    const http = await startHttpServer(config.HTTP_HOST, config.HTTP_PORT, {
      jwks: container.get(TYPES.JwksPublisher),
      ready: async () => {
        await knex.raw('select 1');
        return true;
      },
      metrics,
      logger,
    });
    servers.push((graceMs) => http.close(graceMs));

    logger.info(
      {
        grpc: `${config.GRPC_HOST}:${String(grpc.port)}`,
        http: `http://${config.HTTP_HOST}:${String(http.port)}`,
      },
      'WeMaster Core is serving',
    );
    return {
      grpcPort: grpc.port,
      httpPort: http.port,
      mailbox: mailSender instanceof LogMailSender ? mailSender.mailbox : undefined,
      auditRecorder,
      stop: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
