/**
 * The composition root: every port bound to its adapter, every use case to its ports, in one
 * file. Domain and application classes stay plain (no decorators); each binding names its
 * dependencies with `toResolvedValue(factory, [ids])`.
 */
import { availableParallelism } from 'node:os';
import { Container, ContainerModule, type ServiceIdentifier } from 'inversify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { AccessChecker } from './application/authorization/access-checker.js';
import { BindingAdmin } from './application/authorization/binding-admin.js';
import {
  parseSensitivePermissions,
  PolicyDecisionPoint,
} from './application/authorization/policy-decision-point.js';
import { RoleAdmin } from './application/authorization/role-admin.js';
import { StoredPolicies } from './application/authorization/stored-policies.js';
import { CompiledPolicyCache } from './adapters/outbound/memory/compiled-policy-cache.js';
import { RememberedDecisions } from './adapters/outbound/memory/remembered-decisions.js';
import { DetachedUnitOfWork } from './adapters/outbound/postgres/detached-unit-of-work.js';
import { PolicyChangesFeed } from './adapters/outbound/shared/policy-changes-feed.js';
import type { PolicyChanges } from './domain/authorization/policy-changes.port.js';
import { ExternalIdempotency } from './application/idempotency/external-idempotency.js';
import { FailoverIdempotencyStore } from './application/idempotency/failover-idempotency-store.js';
import {
  IdempotentRunner,
  type IdempotentRunnerHooks,
} from './application/idempotency/idempotent-runner.js';
import { TokenAuthenticator } from './application/identity/authenticate-token.js';
import { PlatformAdminBootstrap } from './application/identity/bootstrap-platform-admin.js';
import { PasswordLogin } from './application/identity/login.js';
import { SessionManager } from './application/identity/sessions.js';
import { HmacRefreshTokenCodec } from './adapters/outbound/crypto/hmac-refresh-token-codec.js';
import { SessionLivenessCache } from './adapters/outbound/memory/session-liveness-cache.js';
import { PgSessionRevocations } from './adapters/outbound/postgres/pg-session-revocations.js';
import { RedisSessionRevocations } from './adapters/outbound/redis/redis-session-revocations.js';
import { PgSessionStore } from './adapters/outbound/postgres/pg-session-store.js';
import { CommitDeferredFeed } from './adapters/outbound/postgres/after-commit.js';
import { PgJoinedTransactions } from './adapters/outbound/postgres/pg-joined-transactions.js';
import { SubjectCache } from './adapters/outbound/memory/subject-cache.js';
import { SubjectChangesFeed } from './adapters/outbound/shared/subject-changes-feed.js';
import { SubjectChangeAnnouncer } from './application/identity/announce-subject-changes.js';
import { StoredSubjects } from './application/identity/stored-subjects.js';
import type { SubjectChanges } from './domain/identity/subject-changes.port.js';
import type { SessionLiveness, SessionRevocations } from './domain/identity/session-store.port.js';
import { JwksPublisher } from './application/identity/publish-jwks.js';
import { UserDisabler } from './application/identity/disable-user.js';
import { CurrentUserReader } from './application/identity/get-current-user.js';
import { UserFinder } from './application/identity/get-user.js';
import { UserLister } from './application/identity/list-users.js';
import { UserRegistrar } from './application/identity/register-user.js';
import { TenantStatusChanger } from './application/tenancy/change-tenant-status.js';
import { TenantCreator } from './application/tenancy/create-tenant.js';
import { TenantFinder } from './application/tenancy/get-tenant.js';
import { TenantLister } from './application/tenancy/list-tenants.js';
import { ActingTenantResolver } from './application/tenancy/resolve-acting-tenant.js';
import { TenantUpdater } from './application/tenancy/update-tenant.js';
import { AesGcmSecretBox } from './adapters/outbound/crypto/aes-gcm-secret-box.js';
import { Argon2PasswordHasher } from './adapters/outbound/crypto/argon2-password-hasher.js';
import { ConcurrencyLimitedPasswordHasher } from './adapters/outbound/crypto/concurrency-limited-password-hasher.js';
import { Argon2WorkerPool } from './adapters/outbound/crypto/argon2-worker-pool.js';
import { JoseTokenService } from './adapters/outbound/crypto/jose-token-service.js';
import { RandomIdGenerator } from './adapters/outbound/crypto/random-id-generator.js';
import { SystemClock } from './adapters/outbound/crypto/system-clock.js';
import { CachedTenantDirectory } from './adapters/outbound/memory/cached-tenant-directory.js';
import { CachingAccessTokenVerifier } from './adapters/outbound/memory/caching-access-token-verifier.js';
import { InMemoryTenantViewCache } from './adapters/outbound/memory/in-memory-tenant-view-cache.js';
import { PgSigningKeyRepository } from './adapters/outbound/postgres/pg-signing-key.repository.js';
import { PgTenantChanges } from './adapters/outbound/postgres/pg-tenant-changes.js';
import { PgIdempotencyLedger } from './adapters/outbound/postgres/pg-idempotency.ledger.js';
import {
  PgIdempotencyPruner,
  PgIdempotencyStore,
} from './adapters/outbound/postgres/pg-idempotency.store.js';
import { PgRequestTransactions } from './adapters/outbound/postgres/pg-request-transactions.js';
import { ReplayCachingIdempotencyStore } from './adapters/outbound/memory/replay-caching-idempotency-store.js';
import { RedisIdempotencyStore } from './adapters/outbound/redis/redis-idempotency.store.js';
import { redisLoginThrottle } from './adapters/outbound/redis/redis-login-throttle.js';
import { PgAuditLog } from './adapters/outbound/postgres/pg-audit-log.js';
import {
  BufferedAuditRecorder,
  DEFAULT_RECORDER_OPTIONS,
} from './adapters/outbound/shared/buffered-audit-recorder.js';
import { sha256Hex } from './adapters/outbound/shared/sha256.js';
import { prometheusAuditRecorderHooks } from './adapters/outbound/metrics/prometheus-audit-recorder.js';
import { AuditEventLister } from './application/audit/list-audit-events.js';
import { AuditChainVerifier } from './application/audit/verify-audit-chain.js';
import { pgLoginThrottle } from './adapters/outbound/postgres/pg-login-throttle.js';
import { PrometheusIdempotencyEvents } from './adapters/outbound/metrics/prometheus-idempotency-events.js';
import { idempotencyInterceptor } from './adapters/inbound/grpc/interceptors/idempotency.interceptor.js';
import { PgTenantDirectory } from './adapters/outbound/postgres/pg-tenant-directory.js';
import { PgUnitOfWork } from './adapters/outbound/postgres/pg-unit-of-work.js';
import { CallPipeline } from './adapters/inbound/grpc/unary-handler.js';
import { PacedStarts } from './adapters/inbound/grpc/paced-starts.js';
import { authenticationInterceptor } from './adapters/inbound/grpc/interceptors/authentication.interceptor.js';
import { authorizationInterceptor } from './adapters/inbound/grpc/interceptors/authorization.interceptor.js';
import { deadlineInterceptor } from './adapters/inbound/grpc/interceptors/deadline.interceptor.js';
import { observeInterceptor } from './adapters/inbound/grpc/interceptors/observe.interceptor.js';
import { buildMethodCatalog, type MethodInfo } from './adapters/inbound/grpc/method-catalog.js';
import { RpcMetrics } from './adapters/inbound/grpc/rpc-metrics.js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { RedisClientType } from 'redis';
import type { Config } from './config.js';
import type { AuditLog } from './domain/audit/audit-log.port.js';
import type { LoginThrottle } from './domain/identity/login-throttle.port.js';
import type { IdempotencyStore } from './domain/idempotency/idempotency-store.port.js';
import type { Clock } from './domain/shared/clock.port.js';
import type { IdGenerator } from './domain/shared/id-generator.port.js';
import type { UnitOfWork } from './domain/shared/unit-of-work.port.js';
import type { TenantDirectory } from './domain/tenancy/tenant-directory.port.js';
import type { TenantViewCache } from './domain/tenancy/tenant-view-cache.port.js';
import type { AccessTokenVerifier } from './domain/identity/access-token.port.js';
import type { PasswordHasher } from './domain/identity/password-hasher.port.js';
import type { SecretBox } from './domain/identity/secret-box.port.js';
import type { SigningKeyRepository } from './domain/identity/signing-key.repository.port.js';
import { DEFAULT_PASSWORD_POLICY } from './domain/identity/password-policy.js';
import {
  ServiceAccountCreator,
  ServiceAccountDeleter,
  ServiceAccountLister,
  ServiceAccountSecretRotator,
  ServiceTokenIssuer,
  SigningKeyRotator,
} from './application/identity/service-accounts.js';
import { Sha256ClientSecrets } from './adapters/outbound/crypto/sha256-client-secrets.js';
import type { ClientSecrets } from './domain/identity/client-secrets.port.js';
import { PasswordChanger } from './application/identity/change-password.js';
import { EmailVerificationRequester } from './application/identity/request-email-verification.js';
import { PasswordResetRequester } from './application/identity/request-password-reset.js';
import { PasswordResetter } from './application/identity/reset-password.js';
import { EmailVerifier } from './application/identity/verify-email.js';
import { OutboxDispatcher } from './application/notification/outbox-dispatcher.js';
import { RandomOneTimeSecrets } from './adapters/outbound/crypto/random-one-time-secrets.js';
import { LogMailSender } from './adapters/outbound/mail/log-mail-sender.js';
import { SmtpMailSender } from './adapters/outbound/mail/smtp-mail-sender.js';
import { PgOutboxMaintenance, PgOutboxQueue } from './adapters/outbound/postgres/pg-outbox.js';
import { PrometheusOutboxMetrics } from './adapters/outbound/metrics/prometheus-outbox-metrics.js';
import { PgRecoveryUnitOfWork } from './adapters/outbound/postgres/pg-recovery-unit-of-work.js';
import { pgRecoveryThrottle } from './adapters/outbound/postgres/pg-recovery-throttle.js';
import { redisRecoveryThrottle } from './adapters/outbound/redis/redis-recovery-throttle.js';
import type { RecoveryUnitOfWork } from './domain/identity/recovery-unit-of-work.port.js';
import type { RecoveryThrottle } from './domain/identity/recovery-throttle.port.js';
import type { MailSender, OutboxQueue } from './domain/notification/notifier.port.js';

const id = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`wemaster.${name}`);

/**
 * Ids broadcast to every replica (Redis pub/sub when configured, else LISTEN/NOTIFY), announced
 * only once the writing transaction commits. Channels default to the session revocations'.
 */
function committedIdFeed(
  runtime: Runtime,
  knex: Knex,
  logger: Logger,
  channels?: { readonly postgres: string; readonly redis: string },
): SessionRevocationFeed {
  return new CommitDeferredFeed(
    runtime.redis === undefined
      ? new PgSessionRevocations(runtime.databaseUrl, knex, logger, channels?.postgres)
      : new RedisSessionRevocations(runtime.redis, logger, channels?.redis),
  );
}

/** Password hashes at once: PASSWORD_HASH_CONCURRENCY, or one less than the cores. */
const hashConcurrency = (config: Config): number =>
  config.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, availableParallelism() - 1);

/**
 * Nice value of the hashing threads: the lowest priority, so a login storm runs on spare CPU
 * and never takes it from the calls on the event loop (under full load a hash waits longer;
 * measured in the bench's login-storm scenario, 19 kept ValidateToken better than 10).
 */
const HASH_THREAD_NICE = 19;

/**
 * Calls whose chain starts per event-loop turn (see `PacedStarts`). Measured on the bench's
 * CheckMany at 16 and 64 in flight: 4 beat 2 and 8; 1 makes a write per call and is slower
 * than no pacing.
 */
const CALLS_STARTED_PER_TURN = 4;

/** The gRPC calls' starts, paced, with their queue's length in the metrics. */
function pacedStarts(logger: Logger, metrics: RpcMetrics): PacedStarts {
  const starts = new PacedStarts(CALLS_STARTED_PER_TURN, (error) => {
    logger.error({ err: error }, 'a call could not be started');
  });
  metrics.watchWaitingStarts(starts);
  return starts;
}

/** Send attempts per outbox message before it is given up (and reported). */
const MAIL_MAX_ATTEMPTS = 10;

/** Session revocations with a lifecycle: Redis pub/sub when configured, else LISTEN/NOTIFY. */
type SessionRevocationFeed = SessionRevocations & {
  start(): Promise<void>;
  close(): Promise<void>;
};

export const TYPES = {
  Config: id<Config>('Config'),
  Runtime: id<Runtime>('Runtime'),
  Logger: id<Logger>('Logger'),
  Knex: id<Knex>('Knex'),
  MasterKey: id<Uint8Array>('MasterKey'),
  PackageDefinition: id<PackageDefinition>('PackageDefinition'),
  MetricsRegistry: id<Registry>('MetricsRegistry'),
  // ports
  Clock: id<Clock>('Clock'),
  IdGenerator: id<IdGenerator>('IdGenerator'),
  UnitOfWork: id<UnitOfWork>('UnitOfWork'),
  TenantDirectory: id<TenantDirectory>('TenantDirectory'),
  TenantViewCache: id<TenantViewCache>('TenantViewCache'),
  TenantChanges: id<PgTenantChanges>('TenantChanges'),
  PasswordHasher: id<PasswordHasher>('PasswordHasher'),
  /** The low-priority threads password hashing runs on (start.ts closes them). */
  Argon2Pool: id<Argon2WorkerPool>('Argon2Pool'),
  SigningKeyBox: id<SecretBox>('SigningKeyBox'),
  SigningKeyRepository: id<SigningKeyRepository>('SigningKeyRepository'),
  TokenService: id<JoseTokenService>('TokenService'),
  AccessTokenVerifier: id<AccessTokenVerifier>('AccessTokenVerifier'),
  AuditLog: id<AuditLog>('AuditLog'),
  /** The hot-path recorder (an `AuditRecorder`; start.ts starts it and flushes it on shutdown). */
  AuditRecorder: id<BufferedAuditRecorder>('AuditRecorder'),
  AuditEventLister: id<AuditEventLister>('AuditEventLister'),
  AuditChainVerifier: id<AuditChainVerifier>('AuditChainVerifier'),
  LoginThrottle: id<LoginThrottle>('LoginThrottle'),
  SessionStore: id<PgSessionStore>('SessionStore'),
  SessionRevocations: id<SessionRevocationFeed>('SessionRevocations'),
  RefreshTokenCodec: id<HmacRefreshTokenCodec>('RefreshTokenCodec'),
  SessionLiveness: id<SessionLiveness>('SessionLiveness'),
  SessionManager: id<SessionManager>('SessionManager'),
  /** The broadcast behind SubjectChanges (same adapters as session revocations, own channel). */
  SubjectChangeFeed: id<SessionRevocationFeed>('SubjectChangeFeed'),
  SubjectChanges: id<SubjectChanges>('SubjectChanges'),
  SubjectCache: id<SubjectCache>('SubjectCache'),
  // use cases
  TenantCreator: id<TenantCreator>('TenantCreator'),
  TenantFinder: id<TenantFinder>('TenantFinder'),
  TenantLister: id<TenantLister>('TenantLister'),
  TenantUpdater: id<TenantUpdater>('TenantUpdater'),
  TenantStatusChanger: id<TenantStatusChanger>('TenantStatusChanger'),
  ActingTenantResolver: id<ActingTenantResolver>('ActingTenantResolver'),
  PasswordLogin: id<PasswordLogin>('PasswordLogin'),
  TokenAuthenticator: id<TokenAuthenticator>('TokenAuthenticator'),
  JwksPublisher: id<JwksPublisher>('JwksPublisher'),
  UserRegistrar: id<UserRegistrar>('UserRegistrar'),
  CurrentUserReader: id<CurrentUserReader>('CurrentUserReader'),
  UserFinder: id<UserFinder>('UserFinder'),
  UserLister: id<UserLister>('UserLister'),
  UserDisabler: id<UserDisabler>('UserDisabler'),
  PlatformAdminBootstrap: id<PlatformAdminBootstrap>('PlatformAdminBootstrap'),
  AccessChecker: id<AccessChecker>('AccessChecker'),
  /** The broadcast behind PolicyChanges (same adapters as session revocations, own channel). */
  PolicyChangeFeed: id<SessionRevocationFeed>('PolicyChangeFeed'),
  PolicyChanges: id<PolicyChanges>('PolicyChanges'),
  PolicyCache: id<CompiledPolicyCache>('PolicyCache'),
  PolicyDecisionPoint: id<PolicyDecisionPoint>('PolicyDecisionPoint'),
  RoleAdmin: id<RoleAdmin>('RoleAdmin'),
  BindingAdmin: id<BindingAdmin>('BindingAdmin'),
  // service accounts
  ClientSecrets: id<ClientSecrets>('ClientSecrets'),
  ServiceAccountCreator: id<ServiceAccountCreator>('ServiceAccountCreator'),
  ServiceAccountLister: id<ServiceAccountLister>('ServiceAccountLister'),
  ServiceTokenIssuer: id<ServiceTokenIssuer>('ServiceTokenIssuer'),
  ServiceAccountSecretRotator: id<ServiceAccountSecretRotator>('ServiceAccountSecretRotator'),
  ServiceAccountDeleter: id<ServiceAccountDeleter>('ServiceAccountDeleter'),
  SigningKeyRotator: id<SigningKeyRotator>('SigningKeyRotator'),
  // inbound
  MethodCatalog: id<ReadonlyMap<string, MethodInfo>>('MethodCatalog'),
  RpcMetrics: id<RpcMetrics>('RpcMetrics'),
  CallPipeline: id<CallPipeline>('CallPipeline'),
  // idempotency
  IdempotencyStore: id<IdempotencyStore>('IdempotencyStore'),
  IdempotencyLedger: id<PgIdempotencyLedger>('IdempotencyLedger'),
  IdempotencyEvents: id<PrometheusIdempotencyEvents>('IdempotencyEvents'),
  IdempotencyPruner: id<PgIdempotencyPruner>('IdempotencyPruner'),
  RequestTransactions: id<PgRequestTransactions>('RequestTransactions'),
  /** The running request's transaction, or a new one: a change and its audit event together. */
  JoinedTransactions: id<PgJoinedTransactions>('JoinedTransactions'),
  IdempotentRunner: id<IdempotentRunner>('IdempotentRunner'),
  ExternalIdempotency: id<ExternalIdempotency>('ExternalIdempotency'),
  // recovery flows
  RecoveryUnitOfWork: id<RecoveryUnitOfWork>('RecoveryUnitOfWork'),
  OneTimeSecrets: id<RandomOneTimeSecrets>('OneTimeSecrets'),
  RecoveryThrottle: id<RecoveryThrottle>('RecoveryThrottle'),
  EmailVerificationThrottle: id<RecoveryThrottle>('EmailVerificationThrottle'),
  MailSender: id<MailSender>('MailSender'),
  OutboxQueue: id<OutboxQueue>('OutboxQueue'),
  OutboxDispatcher: id<OutboxDispatcher>('OutboxDispatcher'),
  /** Prunes sent mail after OUTBOX_RETENTION_HOURS and counts the backlog for /metrics. */
  OutboxMaintenance: id<PgOutboxMaintenance>('OutboxMaintenance'),
  OutboxMetrics: id<PrometheusOutboxMetrics>('OutboxMetrics'),
  PasswordChanger: id<PasswordChanger>('PasswordChanger'),
  PasswordResetRequester: id<PasswordResetRequester>('PasswordResetRequester'),
  PasswordResetter: id<PasswordResetter>('PasswordResetter'),
  EmailVerificationRequester: id<EmailVerificationRequester>('EmailVerificationRequester'),
  EmailVerifier: id<EmailVerifier>('EmailVerifier'),
} as const;

/** What exists before the container: configuration, logger, database and master key. */
export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly knex: Knex;
  /** The app role's connection URL (for connections outside the pool, e.g. LISTEN). */
  readonly databaseUrl: string;
  /** Connected when REDIS_URL is set. */
  readonly redis: RedisClientType | undefined;
  readonly masterKey: Uint8Array;
  readonly packageDefinition: PackageDefinition;
}

const runtimeModule = (runtime: Runtime): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind(TYPES.Runtime).toConstantValue(runtime);
    bind(TYPES.Config).toConstantValue(runtime.config);
    bind(TYPES.Logger).toConstantValue(runtime.logger);
    bind(TYPES.Knex).toConstantValue(runtime.knex);
    bind(TYPES.MasterKey).toConstantValue(runtime.masterKey);
    bind(TYPES.PackageDefinition).toConstantValue(runtime.packageDefinition);
    bind(TYPES.MetricsRegistry).toResolvedValue(() => {
      const registry = new Registry();
      collectDefaultMetrics({ register: registry });
      return registry;
    });
  });

const sharedModule = new ContainerModule(({ bind }) => {
  bind(TYPES.Clock).toResolvedValue(() => new SystemClock());
  bind(TYPES.IdGenerator).toResolvedValue(() => new RandomIdGenerator());
  // Every user or service account change is announced to every replica's caches.
  bind(TYPES.UnitOfWork).toResolvedValue(
    (knex, changes) => new SubjectChangeAnnouncer(new PgUnitOfWork(knex), changes),
    [TYPES.Knex, TYPES.SubjectChanges],
  );
  // One master key, a distinct purpose (bound as AAD) per kind of secret.
  bind(TYPES.SigningKeyBox).toResolvedValue(
    (key) => new AesGcmSecretBox(key, { purpose: 'signing-key' }),
    [TYPES.MasterKey],
  );
});

const tenancyModule = new ContainerModule(({ bind }) => {
  // Every replica's caches hear of every change (Postgres LISTEN/NOTIFY).
  bind(TYPES.TenantChanges).toResolvedValue(
    (config, knex, logger) => new PgTenantChanges(config.databaseUrl, knex, logger),
    [TYPES.Runtime, TYPES.Knex, TYPES.Logger],
  );
  bind(TYPES.TenantDirectory).toResolvedValue(
    (knex, clock, config, changes) => {
      const directory = new CachedTenantDirectory(
        new PgTenantDirectory(knex),
        clock,
        config.TENANT_CACHE_TTL_MS,
      );
      changes.onChange((tenantId) => {
        directory.invalidate(tenantId);
      });
      return directory;
    },
    [TYPES.Knex, TYPES.Clock, TYPES.Config, TYPES.TenantChanges],
  );
  bind(TYPES.TenantViewCache).toResolvedValue(
    (clock, config, changes) => {
      const cache = new InMemoryTenantViewCache(clock, config.TENANT_CACHE_TTL_MS);
      changes.onChange((tenantId) => {
        cache.invalidate(tenantId);
      });
      return cache;
    },
    [TYPES.Clock, TYPES.Config, TYPES.TenantChanges],
  );
  bind(TYPES.TenantCreator).toResolvedValue(
    (uow, clock, ids, changes, audit) => new TenantCreator(uow, clock, ids, changes, audit),
    [TYPES.UnitOfWork, TYPES.Clock, TYPES.IdGenerator, TYPES.TenantChanges, TYPES.AuditLog],
  );
  bind(TYPES.TenantFinder).toResolvedValue(
    (uow, cache) => new TenantFinder(uow, cache),
    [TYPES.UnitOfWork, TYPES.TenantViewCache],
  );
  bind(TYPES.TenantLister).toResolvedValue((uow) => new TenantLister(uow), [TYPES.UnitOfWork]);
  bind(TYPES.TenantUpdater).toResolvedValue(
    (uow, clock, changes, audit, ids, transactions) =>
      new TenantUpdater(uow, clock, changes, audit, ids, transactions),
    [
      TYPES.UnitOfWork,
      TYPES.Clock,
      TYPES.TenantChanges,
      TYPES.AuditLog,
      TYPES.IdGenerator,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.TenantStatusChanger).toResolvedValue(
    (uow, clock, changes, audit, ids, transactions) =>
      new TenantStatusChanger(uow, clock, changes, audit, ids, transactions),
    [
      TYPES.UnitOfWork,
      TYPES.Clock,
      TYPES.TenantChanges,
      TYPES.AuditLog,
      TYPES.IdGenerator,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.ActingTenantResolver).toResolvedValue(
    (directory, decisions) => new ActingTenantResolver(directory, decisions),
    [TYPES.TenantDirectory, TYPES.PolicyDecisionPoint],
  );
});

const identityModule = new ContainerModule(({ bind }) => {
  // Hashing yields to everything else: a few threads below the event loop's priority, and no
  // more hashes at once than there are threads.
  bind(TYPES.Argon2Pool).toResolvedValue(
    (config) => new Argon2WorkerPool(hashConcurrency(config), HASH_THREAD_NICE),
    [TYPES.Config],
  );
  bind(TYPES.PasswordHasher).toResolvedValue(
    (config, pool) =>
      new ConcurrencyLimitedPasswordHasher(
        new Argon2PasswordHasher(
          {
            memoryCost: config.PASSWORD_HASH_MEMORY_KIB,
            timeCost: config.PASSWORD_HASH_ITERATIONS,
            parallelism: 1,
          },
          pool,
        ),
        hashConcurrency(config),
      ),
    [TYPES.Config, TYPES.Argon2Pool],
  );
  bind(TYPES.SigningKeyRepository).toResolvedValue(
    (knex) => new PgSigningKeyRepository(knex),
    [TYPES.Knex],
  );
  bind(TYPES.TokenService).toResolvedValue(
    (config, keys, box, clock) =>
      new JoseTokenService(
        {
          issuer: config.TOKEN_ISSUER,
          audience: config.TOKEN_AUDIENCE,
          accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
          activationDelaySeconds: config.SIGNING_KEY_ACTIVATION_DELAY_SECONDS,
        },
        { keys, secretBox: box, clock },
      ),
    [TYPES.Config, TYPES.SigningKeyRepository, TYPES.SigningKeyBox, TYPES.Clock],
  );
  // Brute-force protection: Redis when configured (every replica shares it), else Postgres.
  bind(TYPES.LoginThrottle).toResolvedValue(
    (runtime) => {
      const { config, redis, knex } = runtime;
      const rules = {
        maxFailures: config.LOGIN_MAX_FAILURES,
        lockSeconds: config.LOGIN_LOCK_SECONDS,
        maxFailuresPerIp: config.LOGIN_IP_MAX_FAILURES,
        ipWindowSeconds: config.LOGIN_IP_WINDOW_SECONDS,
      };
      return redis === undefined ? pgLoginThrottle(knex, rules) : redisLoginThrottle(redis, rules);
    },
    [TYPES.Runtime],
  );
  // Sessions: rotating refresh tokens; revocations reach every replica (LISTEN/NOTIFY).
  bind(TYPES.SessionStore).toResolvedValue((knex) => new PgSessionStore(knex), [TYPES.Knex]);
  // Announced only once the change commits (a rolled-back revocation is never heard).
  bind(TYPES.SessionRevocations).toResolvedValue(
    (runtime, knex, logger) => committedIdFeed(runtime, knex, logger),
    [TYPES.Runtime, TYPES.Knex, TYPES.Logger],
  );
  bind(TYPES.SubjectChangeFeed).toResolvedValue(
    (runtime, knex, logger) =>
      committedIdFeed(runtime, knex, logger, {
        postgres: 'wemaster_subject_changes',
        redis: 'wemaster:subject-changes',
      }),
    [TYPES.Runtime, TYPES.Knex, TYPES.Logger],
  );
  bind(TYPES.SubjectChanges).toResolvedValue(
    (feed) => new SubjectChangesFeed(feed),
    [TYPES.SubjectChangeFeed],
  );
  // Users and service accounts for token checks and GetCurrentUser, dropped on every change.
  bind(TYPES.SubjectCache).toResolvedValue(
    (uow, clock, changes, config) =>
      new SubjectCache(new StoredSubjects(uow), clock, {
        ttlMs: config.SUBJECT_CACHE_TTL_MS,
      }).listenTo(changes),
    [TYPES.UnitOfWork, TYPES.Clock, TYPES.SubjectChanges, TYPES.Config],
  );
  bind(TYPES.RefreshTokenCodec).toResolvedValue(
    (key) => new HmacRefreshTokenCodec(key),
    [TYPES.MasterKey],
  );
  bind(TYPES.SessionManager).toResolvedValue(
    (store, codec, uow, tokens, directory, clock, ids, audit, revocations, config, pdp, joined) =>
      new SessionManager(
        store,
        codec,
        uow,
        tokens,
        directory,
        clock,
        ids,
        audit,
        revocations,
        {
          idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS,
          absoluteLifetimeSeconds: config.SESSION_ABSOLUTE_LIFETIME_SECONDS,
          reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
        },
        pdp,
        // A session's end (logout, revoke, mass revocation) and its audit event commit together.
        joined,
      ),
    [
      TYPES.SessionStore,
      TYPES.RefreshTokenCodec,
      TYPES.UnitOfWork,
      TYPES.TokenService,
      TYPES.TenantDirectory,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.SessionRevocations,
      TYPES.Config,
      TYPES.PolicyDecisionPoint,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.SessionLiveness).toResolvedValue(
    (sessions, clock, revocations, config) =>
      new SessionLivenessCache((t, s) => sessions.isLive(t, s), clock, {
        liveTtlMs: config.SESSION_LIVENESS_CACHE_MS,
        // A revoked id matters while an access token naming it can still be valid.
        revokedRetentionMs: (config.ACCESS_TOKEN_TTL_SECONDS + 60) * 1000,
      }).listenTo(revocations),
    [TYPES.SessionManager, TYPES.Clock, TYPES.SessionRevocations, TYPES.Config],
  );
  bind(TYPES.PasswordLogin).toResolvedValue(
    (directory, uow, hasher, tokens, clock, throttle, audit, ids, sessions, transactions) =>
      new PasswordLogin(
        directory,
        uow,
        hasher,
        tokens,
        clock,
        throttle,
        audit,
        ids,
        sessions,
        transactions,
      ),
    [
      TYPES.TenantDirectory,
      TYPES.UnitOfWork,
      TYPES.PasswordHasher,
      TYPES.TokenService,
      TYPES.Clock,
      TYPES.LoginThrottle,
      TYPES.AuditLog,
      TYPES.IdGenerator,
      TYPES.SessionManager,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.AccessTokenVerifier).toResolvedValue(
    (tokens, clock) => new CachingAccessTokenVerifier(tokens, clock),
    [TYPES.TokenService, TYPES.Clock],
  );
  bind(TYPES.TokenAuthenticator).toResolvedValue(
    (verifier, directory, sessions, subjects) =>
      new TokenAuthenticator(verifier, directory, sessions, subjects),
    [TYPES.AccessTokenVerifier, TYPES.TenantDirectory, TYPES.SessionLiveness, TYPES.SubjectCache],
  );
  bind(TYPES.JwksPublisher).toResolvedValue(
    (tokens) => new JwksPublisher(tokens),
    [TYPES.TokenService],
  );
  bind(TYPES.PlatformAdminBootstrap).toResolvedValue(
    (uow, hasher, clock, ids) =>
      new PlatformAdminBootstrap(uow, hasher, clock, ids, DEFAULT_PASSWORD_POLICY),
    [TYPES.UnitOfWork, TYPES.PasswordHasher, TYPES.Clock, TYPES.IdGenerator],
  );
  bind(TYPES.UserRegistrar).toResolvedValue(
    (directory, uow, hasher, clock, ids) =>
      new UserRegistrar(directory, uow, hasher, clock, ids, DEFAULT_PASSWORD_POLICY),
    [TYPES.TenantDirectory, TYPES.UnitOfWork, TYPES.PasswordHasher, TYPES.Clock, TYPES.IdGenerator],
  );
  bind(TYPES.CurrentUserReader).toResolvedValue(
    (users) => new CurrentUserReader(users),
    [TYPES.SubjectCache],
  );
  bind(TYPES.UserFinder).toResolvedValue((uow) => new UserFinder(uow), [TYPES.UnitOfWork]);
  bind(TYPES.UserLister).toResolvedValue((uow) => new UserLister(uow), [TYPES.UnitOfWork]);
  bind(TYPES.UserDisabler).toResolvedValue(
    (uow, clock, ids, audit, sessions, transactions) =>
      new UserDisabler(uow, clock, ids, audit, sessions, transactions),
    [
      TYPES.UnitOfWork,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.SessionManager,
      TYPES.JoinedTransactions,
    ],
  );
});

/** TEST-ONLY: `WEMASTER_FAILPOINT` as runner hooks that SIGKILL the process (crash tests). */
function failpointHooks(
  failpoint: Config['WEMASTER_FAILPOINT'],
): IdempotentRunnerHooks | undefined {
  const crash = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  switch (failpoint) {
    case undefined:
      return undefined;
    case 'idempotency.after-lock':
      return { afterLock: crash };
    case 'idempotency.in-transaction':
      return { beforeCommit: crash };
    case 'idempotency.after-commit':
      return { afterCommit: crash };
  }
}

const idempotencyModule = new ContainerModule(({ bind }) => {
  // Redis, when configured, is the fast lock and response cache; Postgres always keeps the
  // durable record, written in the request's own transaction.
  // In front of either, completed records this replica has seen answer retries in process.
  bind(TYPES.IdempotencyStore).toResolvedValue(
    (runtime, clock, logger) => {
      const { config, redis, knex } = runtime;
      const options = { maxResponseBytes: config.IDEMPOTENCY_MAX_RESPONSE_BYTES };
      const shared = (): IdempotencyStore => {
        if (redis === undefined) return new PgIdempotencyStore(knex, clock, options);
        // The store bounds each script's answer with a timer of its own; node-redis' command
        // timeout (writing only, an AbortSignal per command) is switched off for its commands.
        const primary = new RedisIdempotencyStore(
          redis.withCommandOptions({ timeout: 0 }),
          clock,
          options,
        );
        if (config.IDEMPOTENCY_REDIS_FALLBACK === 'none') return primary;
        const fallback = new PgIdempotencyStore(knex, clock, {
          ...options,
          leaseTokenPrefix: 'pg:',
        });
        let lastWarning = 0;
        return new FailoverIdempotencyStore(primary, fallback, 'pg:', (error) => {
          if (Date.now() - lastWarning < 10_000) return;
          lastWarning = Date.now();
          logger.warn({ err: error }, 'redis idempotency store failed; using Postgres');
        });
      };
      return new ReplayCachingIdempotencyStore(shared(), clock);
    },
    [TYPES.Runtime, TYPES.Clock, TYPES.Logger],
  );
  bind(TYPES.IdempotencyLedger).toResolvedValue(
    (knex, clock, config) =>
      new PgIdempotencyLedger(knex, clock, config.IDEMPOTENCY_MAX_RESPONSE_BYTES),
    [TYPES.Knex, TYPES.Clock, TYPES.Config],
  );
  bind(TYPES.RequestTransactions).toResolvedValue(
    (knex) => new PgRequestTransactions(knex),
    [TYPES.Knex],
  );
  bind(TYPES.JoinedTransactions).toResolvedValue(
    (transactions) => new PgJoinedTransactions(transactions),
    [TYPES.RequestTransactions],
  );
  bind(TYPES.IdempotencyEvents).toResolvedValue(
    (registry, logger) => new PrometheusIdempotencyEvents(registry, logger),
    [TYPES.MetricsRegistry, TYPES.Logger],
  );
  bind(TYPES.IdempotencyPruner).toResolvedValue(
    (knex, events, logger) =>
      new PgIdempotencyPruner(knex, {
        onPruned: (count) => {
          events.pruned.inc(count);
        },
        onError: (error) => {
          logger.warn({ err: error }, 'idempotency cleanup failed');
        },
      }),
    [TYPES.Knex, TYPES.IdempotencyEvents, TYPES.Logger],
  );
  bind(TYPES.IdempotentRunner).toResolvedValue(
    (runtime, store, ledger, transactions, events, clock) =>
      new IdempotentRunner(store, ledger, transactions, events, clock, {
        leaseMs: runtime.config.IDEMPOTENCY_LEASE_MS,
        pollMs: runtime.config.IDEMPOTENCY_WAIT_POLL_MS,
        storeIsCache: runtime.redis !== undefined,
        // After the callbacks now running: the answer is handed to grpc-js first.
        afterAnswer: (work) => setImmediate(work),
        hooks: failpointHooks(runtime.config.WEMASTER_FAILPOINT),
      }),
    [
      TYPES.Runtime,
      TYPES.IdempotencyStore,
      TYPES.IdempotencyLedger,
      TYPES.RequestTransactions,
      TYPES.IdempotencyEvents,
      TYPES.Clock,
    ],
  );
  bind(TYPES.ExternalIdempotency).toResolvedValue(
    (store, config) =>
      new ExternalIdempotency(store, {
        defaultLeaseMs: config.IDEMPOTENCY_LEASE_MS,
        defaultRetentionMs: config.IDEMPOTENCY_RETENTION_MS,
      }),
    [TYPES.IdempotencyStore, TYPES.Config],
  );
});

const serviceAccountModule = new ContainerModule(({ bind }) => {
  bind(TYPES.ClientSecrets).toResolvedValue(() => new Sha256ClientSecrets());
  bind(TYPES.ServiceAccountCreator).toResolvedValue(
    (uow, secrets, clock, ids, audit, transactions) =>
      new ServiceAccountCreator(uow, secrets, clock, ids, audit, transactions),
    [
      TYPES.UnitOfWork,
      TYPES.ClientSecrets,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.ServiceAccountLister).toResolvedValue(
    (uow) => new ServiceAccountLister(uow),
    [TYPES.UnitOfWork],
  );
  bind(TYPES.ServiceTokenIssuer).toResolvedValue(
    (directory, uow, secrets, tokens, clock, throttle, audit, ids) =>
      new ServiceTokenIssuer(directory, uow, secrets, tokens, clock, throttle, audit, ids),
    [
      TYPES.TenantDirectory,
      TYPES.UnitOfWork,
      TYPES.ClientSecrets,
      TYPES.TokenService,
      TYPES.Clock,
      TYPES.LoginThrottle,
      TYPES.AuditLog,
      TYPES.IdGenerator,
    ],
  );
  bind(TYPES.ServiceAccountSecretRotator).toResolvedValue(
    (uow, secrets, clock, ids, audit, config, transactions) =>
      new ServiceAccountSecretRotator(
        uow,
        secrets,
        clock,
        ids,
        audit,
        config.SERVICE_ACCOUNT_SECRET_OVERLAP_SECONDS,
        transactions,
      ),
    [
      TYPES.UnitOfWork,
      TYPES.ClientSecrets,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.Config,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.ServiceAccountDeleter).toResolvedValue(
    (uow, clock, ids, audit, transactions) =>
      new ServiceAccountDeleter(uow, clock, ids, audit, transactions),
    [TYPES.UnitOfWork, TYPES.Clock, TYPES.IdGenerator, TYPES.AuditLog, TYPES.JoinedTransactions],
  );
  bind(TYPES.SigningKeyRotator).toResolvedValue(
    (tokens, clock, ids, audit, transactions) =>
      new SigningKeyRotator(tokens, clock, ids, audit, transactions),
    [TYPES.TokenService, TYPES.Clock, TYPES.IdGenerator, TYPES.AuditLog, TYPES.JoinedTransactions],
  );
});

const auditModule = new ContainerModule(({ bind }) => {
  bind(TYPES.AuditLog).toResolvedValue((knex) => new PgAuditLog(knex), [TYPES.Knex]);
  bind(TYPES.AuditRecorder).toResolvedValue(
    (log, registry, logger) =>
      new BufferedAuditRecorder(log, {
        ...DEFAULT_RECORDER_OPTIONS,
        ...prometheusAuditRecorderHooks(registry, logger),
      }),
    [TYPES.AuditLog, TYPES.MetricsRegistry, TYPES.Logger],
  );
  bind(TYPES.AuditEventLister).toResolvedValue(
    (log) => new AuditEventLister(log),
    [TYPES.AuditLog],
  );
  bind(TYPES.AuditChainVerifier).toResolvedValue(
    (log) => new AuditChainVerifier(log, sha256Hex),
    [TYPES.AuditLog],
  );
});

const authorizationModule = new ContainerModule(({ bind }) => {
  // Policy changes reach every replica once committed (Redis pub/sub, else LISTEN/NOTIFY).
  bind(TYPES.PolicyChangeFeed).toResolvedValue(
    (runtime, knex, logger) =>
      committedIdFeed(runtime, knex, logger, {
        postgres: 'wemaster_policy_changes',
        redis: 'wemaster:policy-changes',
      }),
    [TYPES.Runtime, TYPES.Knex, TYPES.Logger],
  );
  bind(TYPES.PolicyChanges).toResolvedValue(
    (feed) => new PolicyChangesFeed(feed),
    [TYPES.PolicyChangeFeed],
  );
  // Reads committed state only (never a request's transaction): the cache serves every request.
  bind(TYPES.PolicyCache).toResolvedValue(
    (knex, clock, changes, config) =>
      new CompiledPolicyCache(
        new StoredPolicies(new DetachedUnitOfWork(new PgUnitOfWork(knex))),
        clock,
        {
          maxStalenessMs: config.AUTHZ_POLICY_MAX_STALENESS_MS,
          maxSubjects: config.AUTHZ_SUBJECT_CACHE_MAX,
          monotonicMs: () => performance.now(),
          remembered: new RememberedDecisions(config.AUTHZ_REMEMBERED_DECISIONS),
        },
      ).listenTo(changes),
    [TYPES.Knex, TYPES.Clock, TYPES.PolicyChanges, TYPES.Config],
  );
  bind(TYPES.PolicyDecisionPoint).toResolvedValue(
    (cache, uow, recorder, ids, clock, config) =>
      new PolicyDecisionPoint(
        cache,
        uow,
        recorder,
        ids,
        clock,
        parseSensitivePermissions(config.AUTHZ_SENSITIVE_PERMISSIONS),
      ),
    [
      TYPES.PolicyCache,
      TYPES.UnitOfWork,
      TYPES.AuditRecorder,
      TYPES.IdGenerator,
      TYPES.Clock,
      TYPES.Config,
    ],
  );
  // A role change and its audit event commit together.
  bind(TYPES.RoleAdmin).toResolvedValue(
    (uow, pdp, changes, audit, ids, clock, joined) =>
      new RoleAdmin(uow, pdp, changes, audit, ids, clock, joined),
    [
      TYPES.UnitOfWork,
      TYPES.PolicyDecisionPoint,
      TYPES.PolicyChanges,
      TYPES.AuditLog,
      TYPES.IdGenerator,
      TYPES.Clock,
      TYPES.JoinedTransactions,
    ],
  );
  // A binding change and its audit event commit together.
  bind(TYPES.BindingAdmin).toResolvedValue(
    (uow, pdp, changes, audit, ids, clock, joined) =>
      new BindingAdmin(uow, pdp, changes, audit, ids, clock, joined),
    [
      TYPES.UnitOfWork,
      TYPES.PolicyDecisionPoint,
      TYPES.PolicyChanges,
      TYPES.AuditLog,
      TYPES.IdGenerator,
      TYPES.Clock,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.AccessChecker).toResolvedValue(
    (pdp) => new AccessChecker(pdp),
    [TYPES.PolicyDecisionPoint],
  );
});

const grpcModule = new ContainerModule(({ bind }) => {
  bind(TYPES.MethodCatalog).toResolvedValue(buildMethodCatalog, [TYPES.PackageDefinition]);
  bind(TYPES.RpcMetrics).toResolvedValue(
    (registry) => new RpcMetrics(registry),
    [TYPES.MetricsRegistry],
  );
  // The request path, in the order the architecture gives.
  bind(TYPES.CallPipeline).toResolvedValue(
    (catalog, logger, metrics, authenticator, actingTenant, checker, runner, config) =>
      new CallPipeline(
        catalog,
        [
          observeInterceptor(logger, metrics),
          deadlineInterceptor(),
          authenticationInterceptor(authenticator, actingTenant),
          authorizationInterceptor(checker),
          idempotencyInterceptor(runner, { defaultRetentionMs: config.IDEMPOTENCY_RETENTION_MS }),
        ],
        pacedStarts(logger, metrics),
      ),
    [
      TYPES.MethodCatalog,
      TYPES.Logger,
      TYPES.RpcMetrics,
      TYPES.TokenAuthenticator,
      TYPES.ActingTenantResolver,
      TYPES.AccessChecker,
      TYPES.IdempotentRunner,
      TYPES.Config,
    ],
  );
});

/** Password change and reset, email verification, and the mail outbox they write to. */
const recoveryModule = new ContainerModule(({ bind }) => {
  bind(TYPES.RecoveryUnitOfWork).toResolvedValue(
    (knex, ids, changes) =>
      new SubjectChangeAnnouncer(new PgRecoveryUnitOfWork(knex, ids), changes),
    [TYPES.Knex, TYPES.IdGenerator, TYPES.SubjectChanges],
  );
  bind(TYPES.OneTimeSecrets).toResolvedValue(() => new RandomOneTimeSecrets());
  bind(TYPES.RecoveryThrottle).toResolvedValue(
    (runtime) => {
      const { config, redis, knex } = runtime;
      const rules = {
        maxPerAccount: config.RECOVERY_MAX_REQUESTS_PER_EMAIL,
        maxPerIp: config.RECOVERY_MAX_REQUESTS_PER_IP,
        windowSeconds: config.RECOVERY_WINDOW_SECONDS,
      };
      return redis === undefined
        ? pgRecoveryThrottle(knex, rules)
        : redisRecoveryThrottle(redis, rules);
    },
    [TYPES.Runtime],
  );
  bind(TYPES.EmailVerificationThrottle).toResolvedValue(
    (runtime) => {
      const { config, redis, knex } = runtime;
      const rules = {
        maxPerAccount: config.EMAIL_VERIFICATION_MAX_REQUESTS,
        maxPerIp: config.RECOVERY_MAX_REQUESTS_PER_IP,
        windowSeconds: config.RECOVERY_WINDOW_SECONDS,
        keyPrefix: 'verification',
      };
      return redis === undefined
        ? pgRecoveryThrottle(knex, rules)
        : redisRecoveryThrottle(redis, rules);
    },
    [TYPES.Runtime],
  );
  // SMTP when configured; otherwise the dev mailbox (embedded default and tests).
  bind(TYPES.MailSender).toResolvedValue(
    (config, logger) =>
      config.SMTP_URL === undefined
        ? new LogMailSender(logger)
        : new SmtpMailSender(config.SMTP_URL, config.MAIL_FROM),
    [TYPES.Config, TYPES.Logger],
  );
  bind(TYPES.OutboxQueue).toResolvedValue(
    (knex) => new PgOutboxQueue(knex, MAIL_MAX_ATTEMPTS),
    [TYPES.Knex],
  );
  bind(TYPES.OutboxDispatcher).toResolvedValue(
    (queue, sender, logger) =>
      new OutboxDispatcher(queue, sender, {
        batchSize: 20,
        leaseMs: 60_000,
        retryMs: 30_000,
        maxAttempts: MAIL_MAX_ATTEMPTS,
        onError: (error) => {
          logger.warn({ err: error }, 'mail dispatch failed');
        },
        // Never the recipient or the body (it holds a token): the id leads to the row.
        onGaveUp: (mail, error) => {
          logger.warn(
            { err: error, tenantId: mail.tenantId, messageId: mail.id, kind: mail.kind },
            `mail given up after ${String(mail.attempts)} attempts`,
          );
        },
      }),
    [TYPES.OutboxQueue, TYPES.MailSender, TYPES.Logger],
  );
  bind(TYPES.OutboxMetrics).toResolvedValue(
    (registry, knex, config, logger) => {
      const counter = new PgOutboxMaintenance(knex, {
        retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
        maxAttempts: MAIL_MAX_ATTEMPTS,
      });
      return new PrometheusOutboxMetrics(registry, () => counter.backlog(), logger);
    },
    [TYPES.MetricsRegistry, TYPES.Knex, TYPES.Config, TYPES.Logger],
  );
  bind(TYPES.OutboxMaintenance).toResolvedValue(
    (knex, config, metrics, logger) =>
      new PgOutboxMaintenance(knex, {
        retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
        maxAttempts: MAIL_MAX_ATTEMPTS,
        onPruned: (count) => {
          metrics.pruned.inc(count);
        },
        onError: (error) => {
          logger.warn({ err: error }, 'outbox cleanup failed');
        },
      }),
    [TYPES.Knex, TYPES.Config, TYPES.OutboxMetrics, TYPES.Logger],
  );
  bind(TYPES.PasswordChanger).toResolvedValue(
    (uow, hasher, clock, ids, audit, sessions, transactions) =>
      new PasswordChanger(
        uow,
        hasher,
        clock,
        ids,
        audit,
        sessions,
        DEFAULT_PASSWORD_POLICY,
        transactions,
      ),
    [
      TYPES.UnitOfWork,
      TYPES.PasswordHasher,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.SessionManager,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.PasswordResetRequester).toResolvedValue(
    (directory, uow, secrets, throttle, clock, ids, audit, transactions, config) =>
      new PasswordResetRequester(
        directory,
        uow,
        secrets,
        throttle,
        clock,
        ids,
        audit,
        transactions,
        config.PASSWORD_RESET_TTL_SECONDS * 1000,
        config.APP_BASE_URL,
      ),
    [
      TYPES.TenantDirectory,
      TYPES.RecoveryUnitOfWork,
      TYPES.OneTimeSecrets,
      TYPES.RecoveryThrottle,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.JoinedTransactions,
      TYPES.Config,
    ],
  );
  bind(TYPES.PasswordResetter).toResolvedValue(
    (uow, secrets, hasher, clock, ids, audit, sessions, transactions) =>
      new PasswordResetter(
        uow,
        secrets,
        hasher,
        clock,
        ids,
        audit,
        sessions,
        DEFAULT_PASSWORD_POLICY,
        transactions,
      ),
    [
      TYPES.RecoveryUnitOfWork,
      TYPES.OneTimeSecrets,
      TYPES.PasswordHasher,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.AuditLog,
      TYPES.SessionManager,
      TYPES.JoinedTransactions,
    ],
  );
  bind(TYPES.EmailVerificationRequester).toResolvedValue(
    (uow, secrets, clock, ids, config, throttle) =>
      new EmailVerificationRequester(
        uow,
        secrets,
        clock,
        ids,
        config.EMAIL_VERIFICATION_TTL_SECONDS * 1000,
        throttle,
        config.APP_BASE_URL,
      ),
    [
      TYPES.RecoveryUnitOfWork,
      TYPES.OneTimeSecrets,
      TYPES.Clock,
      TYPES.IdGenerator,
      TYPES.Config,
      TYPES.EmailVerificationThrottle,
    ],
  );
  bind(TYPES.EmailVerifier).toResolvedValue(
    (uow, secrets, clock) => new EmailVerifier(uow, secrets, clock),
    [TYPES.RecoveryUnitOfWork, TYPES.OneTimeSecrets, TYPES.Clock],
  );
});

export function buildContainer(runtime: Runtime): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(
    runtimeModule(runtime),
    sharedModule,
    tenancyModule,
    identityModule,
    serviceAccountModule,
    recoveryModule,
    auditModule,
    authorizationModule,
    idempotencyModule,
    grpcModule,
  );
  return container;
}
