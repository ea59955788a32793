/** What `test/support/global-setup.ts` provides to every test file (`inject(...)`). */
export interface PostgresAppRole {
  readonly name: string;
  readonly password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of a server on which test files create their own databases. */
    postgresAdminUrl: string;
    /** Login role the service connects as in tests (set up by `runMigrations`). */
    postgresAppRole: PostgresAppRole;
    redisUrl: string;
    /** False: Redis suites skip (or the run failed, with REQUIRE_SERVICES set). */
    redisAvailable: boolean;
  }
}
