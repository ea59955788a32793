import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const postgresUrl = optionalText.pipe(
  z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
);
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => ['true', '1', 'yes'].includes(value));

/** Environment variables, their defaults and rules. Names follow API.md's table. */
const schema = z.object({
  GRPC_HOST: z.string().min(1).default('0.0.0.0'),
  GRPC_PORT: port.default(50051),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: port.default(8080),
  DATABASE_URL: postgresUrl,
  DATABASE_MIGRATION_URL: postgresUrl,
  DATABASE_POOL_MAX: positiveInt.default(10),
  MIGRATE_ON_START: booleanFlag.default(true),
  REDIS_URL: optionalText.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  WEMASTER_DATA_DIR: z.string().min(1).default('.data'),
  WEMASTER_MASTER_KEY: optionalText,
  WEMASTER_ADMIN_EMAIL: optionalText,
  WEMASTER_ADMIN_PASSWORD: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TOKEN_ISSUER: z.string().min(1).default('https://core.wemaster.local'),
  TOKEN_AUDIENCE: z.string().min(1).default('wemaster'),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(86_400).default(900),
  GRPC_MAX_MESSAGE_BYTES: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  TENANT_CACHE_TTL_MS: positiveInt.default(30_000),
  /** argon2id memory in KiB; the OWASP minimum is the default. */
  PASSWORD_HASH_MEMORY_KIB: positiveInt.min(8).default(19_456),
  PASSWORD_HASH_ITERATIONS: positiveInt.default(2),
  /**
   * Password hashes running at once; more wait. Unset: one less than the cores (at least one),
   * so a login storm never takes every core from token checks and other calls.
   */
  PASSWORD_HASH_CONCURRENCY: positiveInt.optional(),
  IDEMPOTENCY_LEASE_MS: positiveInt.max(600_000).default(30_000),
  IDEMPOTENCY_RETENTION_MS: positiveInt.default(86_400_000),
  IDEMPOTENCY_MAX_RESPONSE_BYTES: positiveInt.default(64 * 1024),
  IDEMPOTENCY_WAIT_POLL_MS: positiveInt.default(25),
  IDEMPOTENCY_PRUNE_INTERVAL_MS: positiveInt.default(60_000),
  /** When Redis fails: `none` fails closed (UNAVAILABLE); `postgres` carries on with Postgres. */
  IDEMPOTENCY_REDIS_FALLBACK: z.enum(['none', 'postgres']).default('none'),
  /** Consecutive failed logins per (tenant, email) before the account is locked. */
  LOGIN_MAX_FAILURES: positiveInt.default(5),
  /** How long a locked account refuses every login, right password or not. */
  LOGIN_LOCK_SECONDS: positiveInt.default(900),
  /** Failed logins per source ip allowed per LOGIN_IP_WINDOW_SECONDS. */
  LOGIN_IP_MAX_FAILURES: positiveInt.default(100),
  LOGIN_IP_WINDOW_SECONDS: positiveInt.default(900),
  /** A session unused (no refresh) for this long ends. 7 days. */
  SESSION_IDLE_TIMEOUT_SECONDS: positiveInt.default(7 * 86_400),
  /** A session ends this long after login whatever its use. 30 days. */
  SESSION_ABSOLUTE_LIFETIME_SECONDS: positiveInt.default(30 * 86_400),
  /** A just-rotated refresh token presented again within this window gets the same successor. */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  /** How long a replica trusts a session it saw live without asking the database again. */
  SESSION_LIVENESS_CACHE_MS: positiveInt.max(60_000).default(5_000),
  /**
   * How long a replica trusts a user or service account it read (token checks, GetCurrentUser)
   * when no change announcement arrives; announcements drop entries within a second anyway.
   */
  SUBJECT_CACHE_TTL_MS: positiveInt.max(300_000).default(30_000),
  /**
   * Permissions whose granted checks are audited too (denied checks always are): comma-separated,
   * wildcards allowed (`platform:*`).
   */
  AUTHZ_SENSITIVE_PERMISSIONS: z
    .string()
    .default('roles:assign,roles:write,tenant:write,service-accounts:write,platform:*'),
  /**
   * The oldest a cached compiled policy may be when a check uses it (changes are announced to
   * every replica at once; this bounds what a lost announcement costs).
   */
  AUTHZ_POLICY_MAX_STALENESS_MS: positiveInt.min(100).max(60_000).default(1_000),
  /** Compiled subjects a replica keeps in memory. */
  AUTHZ_SUBJECT_CACHE_MAX: positiveInt.default(100_000),
  /** Recent check answers a replica keeps, all subjects together (about 1 KiB each at most). */
  AUTHZ_REMEMBERED_DECISIONS: positiveInt.default(50_000),
  /** After a service-account secret rotation, the previous secret keeps working this long. */
  SERVICE_ACCOUNT_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).default(3600),
  /**
   * A new signing key is published at once and signs only this long after (the JWKS HTTP cache
   * max-age), so every verifier knows it before it sees a token it signed.
   */
  SIGNING_KEY_ACTIVATION_DELAY_SECONDS: z.coerce.number().int().min(0).default(300),
  /** The signing key rotates by itself once the active one is this old (checked daily). */
  SIGNING_KEY_ROTATION_DAYS: positiveInt.default(30),
  /** SMTP server for outgoing mail (smtp:// or smtps://); unset: mail goes to the dev mailbox. */
  SMTP_URL: optionalText.pipe(
    z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  MAIL_FROM: z.string().min(3).default('WeMaster <no-reply@wemaster.local>'),
  /**
   * The web app's public address (http/https); when set, reset and verification mails link to
   * `<APP_BASE_URL>/reset-password?token=...` and `/verify-email?token=...`.
   */
  APP_BASE_URL: optionalText.pipe(
    z
      .string()
      .regex(
        /^https?:\/\/[^\s?#]+$/,
        'must be an http:// or https:// URL without query or fragment',
      )
      .optional(),
  ),
  /** Sent (and given-up) outbox mail is deleted this long after. 7 days. */
  OUTBOX_RETENTION_HOURS: positiveInt.default(168),
  /** How often each replica looks for due outbox mail. */
  MAIL_DISPATCH_INTERVAL_MS: positiveInt.default(1_000),
  PASSWORD_RESET_TTL_SECONDS: positiveInt.max(86_400).default(1_800),
  EMAIL_VERIFICATION_TTL_SECONDS: positiveInt.max(30 * 86_400).default(86_400),
  /** Mailed-token requests (password reset) per (tenant, email) and per ip, per window. */
  RECOVERY_MAX_REQUESTS_PER_EMAIL: positiveInt.default(5),
  RECOVERY_MAX_REQUESTS_PER_IP: positiveInt.default(50),
  RECOVERY_WINDOW_SECONDS: positiveInt.default(3_600),
  /** RequestEmailVerification calls per user per RECOVERY_WINDOW_SECONDS. */
  EMAIL_VERIFICATION_MAX_REQUESTS: positiveInt.default(5),
  /**
   * Audit events older than this many days are exported and pruned by `npm run audit:prune`
   * (run as the database owner: the service's role can never delete them). Unset: kept forever.
   */
  AUDIT_RETENTION_DAYS: z.preprocess(
    (value) => (value === '' ? undefined : value),
    positiveInt.optional(),
  ),
  /**
   * TEST-ONLY crash failpoint: the process SIGKILLs itself at that point of an idempotent call
   * (after the lease is taken / inside the request transaction before COMMIT / after COMMIT,
   * before the fast store is written). Unset by default; never set it in production.
   */
  WEMASTER_FAILPOINT: optionalText.pipe(
    z
      .enum(['idempotency.after-lock', 'idempotency.in-transaction', 'idempotency.after-commit'])
      .optional(),
  ),
});

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads the configuration, or throws one line naming the first bad variable (never its value:
 * it may be a secret).
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = schema.safeParse(env);
  if (result.success) {
    const config = result.data;
    if (config.DATABASE_URL !== undefined && config.WEMASTER_MASTER_KEY === undefined) {
      throw new ConfigError(
        'WEMASTER_MASTER_KEY: required when DATABASE_URL is set (only the embedded default generates one)',
      );
    }
    if (config.DATABASE_MIGRATION_URL !== undefined && config.DATABASE_URL === undefined) {
      throw new ConfigError('DATABASE_URL: required when DATABASE_MIGRATION_URL is set');
    }
    return config;
  }
  const [issue] = result.error.issues;
  const variable = issue?.path.join('.') ?? 'environment';
  throw new ConfigError(`${variable}: ${issue?.message ?? 'invalid'}`);
}
