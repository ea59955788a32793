// The benchmark's registry of RPCs. To benchmark a new RPC, add one entry to `scenarios`:
// a name, the method path, and `prepare`, which gets the setup context (service address, the
// platform admin's token, a tenant made for the run) and returns the pre-encoded request plus
// metadata. The load generator sends those same bytes on every call, so it stays generic.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  CreateTenantRequest,
  GetTenantRequest,
  UpdateTenantRequest,
  TenancyServiceClient,
  TenancyServiceService,
} from '../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
import {
  GetCurrentUserRequest,
  IdentityServiceClient,
  IdentityServiceService,
  LoginRequest,
  ValidateTokenRequest,
} from '../src/adapters/inbound/grpc/generated/wemaster/core/v1/identity.js';
import {
  AuthorizationServiceService,
  CheckManyRequest,
  CheckRequest,
} from '../src/adapters/inbound/grpc/generated/wemaster/core/v1/authorization.js';
import { ECHO_PATH, HEALTH_CHECK_PATH } from './protocol.js';

export interface BenchContext {
  /** host:port of the service under test. */
  serviceAddress: string;
  /** Access token of the platform administrator. */
  adminToken: string;
  /** A tenant created for this run. */
  tenant: { id: string; slug: string };
}

export interface PreparedCall {
  request: Uint8Array;
  metadata: Record<string, string>;
  /** Metadata entries made unique per call (e.g. a fresh idempotency key each time). */
  freshMetadata?: string[];
  /** Other load kept running during the measured run (its own load generator), e.g. logins. */
  background?: { name: string; path: string; concurrency: number } & Omit<
    PreparedCall,
    'background'
  >;
}

export interface Scenario {
  /** Short name shown in the table; BENCH_SCENARIOS filters on it. */
  name: string;
  /** Full gRPC method path. */
  path: string;
  /** Encode the request once and name the metadata, using the run's setup. */
  prepare(context: BenchContext): PreparedCall | Promise<PreparedCall>;
  /** In-flight levels to run at instead of BENCH_CONCURRENCY's. */
  inFlight?: readonly number[];
  /** A scenario measured alone, compared with this one at each level (ratios printed at the end). */
  baseline?: string;
  /**
   * A scenario whose p50 this one adds to (same path and request, other metadata): the two are
   * also run with their calls interleaved one by one, and the difference printed at the end.
   */
  addsTo?: string;
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** The floor every scenario is compared with; runs against the bare echo server. */
export const echoScenario = {
  name: 'echo (bare grpc-js)',
  path: ECHO_PATH,
  // The same size as a typical small request, so framing costs are comparable.
  request: GetTenantRequest.encode({
    lookup: { $case: 'slug', value: 'bench-echo-floor' },
  }).finish(),
} as const;

/**
 * Sends `request` once with `metadata` and resolves with the `idempotent-replayed` header,
 * failing on any error (used by prepare steps that must leave a settled key behind).
 */
function createTenantOnce(
  address: string,
  request: CreateTenantRequest,
  metadata: Record<string, string>,
): Promise<string | undefined> {
  const client = new TenancyServiceClient(address, grpc.credentials.createInsecure());
  const sent = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) sent.set(key, value);
  return new Promise<string | undefined>((resolve, reject) => {
    let replayed: string | undefined;
    const call = client.createTenant(
      request,
      sent,
      { deadline: Date.now() + 10_000 },
      (error, response) => {
        if (error) reject(error);
        else if (response.tenant === undefined)
          reject(new Error('CreateTenant returned no tenant'));
        else resolve(replayed);
      },
    );
    call.on('metadata', (headers: grpc.Metadata) => {
      replayed = headers.get('idempotent-replayed')[0]?.toString();
    });
  }).finally(() => {
    client.close();
  });
}

/** Registers a user in the run's tenant (the platform admin acting there) for the login storm. */
function registerStormUser(
  { serviceAddress, adminToken, tenant }: BenchContext,
  email: string,
  password: string,
): Promise<void> {
  const client = new IdentityServiceClient(serviceAddress, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${adminToken}`);
  metadata.set('x-tenant-id', tenant.id);
  metadata.set('idempotency-key', `bench-storm-${randomBytes(6).toString('hex')}`);
  return new Promise<void>((resolve, reject) => {
    client.registerUser(
      { tenantSlug: '', email, password, displayName: 'Storm' },
      metadata,
      { deadline: Date.now() + 10_000 },
      (error) => {
        if (error) reject(error);
        else resolve();
      },
    );
  }).finally(() => {
    client.close();
  });
}

/** Logins kept in flight by the storm: enough to keep argon2 busy on every core. */
const LOGIN_STORM_IN_FLIGHT = 8;

export const scenarios: readonly Scenario[] = [
  {
    name: 'Health/Check',
    path: HEALTH_CHECK_PATH,
    // HealthCheckRequest { string service = 1 } with service "" (the whole server): no bytes.
    prepare: () => ({ request: new Uint8Array(0), metadata: {} }),
  },
  {
    // The same call carrying an access token the health service ignores: what the token alone
    // costs client and server in transport (HPACK never indexes `authorization`, so its ~600
    // characters are Huffman-coded, sent and checked on every call), before any of our code.
    // Every authenticated row below pays it; compare their ratios with this one.
    name: 'Health/Check with a bearer token',
    path: HEALTH_CHECK_PATH,
    prepare: ({ adminToken }) => ({ request: new Uint8Array(0), metadata: bearer(adminToken) }),
  },
  {
    name: 'GetTenant by slug (cached)',
    path: TenancyServiceService.getTenant.path,
    prepare: ({ adminToken, tenant }) => ({
      request: GetTenantRequest.encode({ lookup: { $case: 'slug', value: tenant.slug } }).finish(),
      metadata: bearer(adminToken),
    }),
  },
  {
    // Every benched call is a replay: prepare makes the first call with the run's fixed key
    // (and checks that a second one is replayed), so this measures the replay path (Redis or
    // Postgres store lookup + stored response), not tenant creation.
    name: 'CreateTenant replayed (same key)',
    path: TenancyServiceService.createTenant.path,
    prepare: async ({ serviceAddress, adminToken }) => {
      const suffix = randomBytes(4).toString('hex');
      const request: CreateTenantRequest = {
        slug: `bench-replay-${suffix}`,
        displayName: 'Bench replay',
        plan: '',
        selfSignUpEnabled: false,
      };
      const metadata = { ...bearer(adminToken), 'idempotency-key': `bench-replay-${suffix}` };
      await createTenantOnce(serviceAddress, request, metadata);
      const replayed = await createTenantOnce(serviceAddress, request, metadata);
      if (replayed !== 'true') throw new Error('CreateTenant with the same key was not replayed');
      return { request: CreateTenantRequest.encode(request).finish(), metadata };
    },
  },
  {
    // The server-side verdict other services ask for on every request they receive.
    name: 'ValidateToken',
    path: IdentityServiceService.validateToken.path,
    prepare: ({ adminToken }) => ({
      request: ValidateTokenRequest.encode({ accessToken: adminToken }).finish(),
      metadata: bearer(adminToken),
    }),
  },
  {
    // The storm test: the same ValidateToken load while password logins (argon2id at
    // the OWASP cost the bench service runs with) keep every core busy. Compared with the row
    // above at the end of the run: calls/s kept and p99 growth.
    name: 'ValidateToken during a login storm',
    path: IdentityServiceService.validateToken.path,
    baseline: 'ValidateToken',
    prepare: async (context) => {
      const email = `storm-${randomBytes(4).toString('hex')}@bench.test`;
      const password = randomBytes(18).toString('base64url');
      await registerStormUser(context, email, password);
      return {
        request: ValidateTokenRequest.encode({ accessToken: context.adminToken }).finish(),
        metadata: bearer(context.adminToken),
        background: {
          name: 'Login storm',
          path: IdentityServiceService.login.path,
          concurrency: LOGIN_STORM_IN_FLIGHT,
          request: LoginRequest.encode({
            tenantSlug: context.tenant.slug,
            email,
            password,
          }).finish(),
          metadata: {},
        },
      };
    },
  },
  {
    name: 'GetCurrentUser (authenticated)',
    path: IdentityServiceService.getCurrentUser.path,
    prepare: ({ adminToken }) => ({
      request: GetCurrentUserRequest.encode({}).finish(),
      metadata: bearer(adminToken),
    }),
  },
  {
    // A cheap mutating RPC without a key: the floor for the idempotency overhead below.
    name: 'UpdateTenant (no key)',
    inFlight: [1],
    path: TenancyServiceService.updateTenant.path,
    prepare: ({ adminToken, tenant }) => ({
      request: UpdateTenantRequest.encode({ id: tenant.id, displayName: 'Bench' }).finish(),
      metadata: bearer(adminToken),
    }),
  },
  {
    // The same call with a fresh key every time: lease, request transaction, ledger row and
    // store write. What it adds to the row above is measured with the two calls interleaved.
    name: 'UpdateTenant (fresh key each call)',
    inFlight: [1],
    addsTo: 'UpdateTenant (no key)',
    path: TenancyServiceService.updateTenant.path,
    prepare: ({ adminToken, tenant }) => ({
      request: UpdateTenantRequest.encode({ id: tenant.id, displayName: 'Bench' }).finish(),
      metadata: {
        ...bearer(adminToken),
        'idempotency-key': `bench-update-${randomBytes(6).toString('hex')}`,
      },
      freshMetadata: ['idempotency-key'],
    }),
  },
  {
    // The authorization engine on the hot path: the caller's compiled policy is cached, so the
    // answer comes from memory (no database, no audit write: users:read is granted and not
    // sensitive).
    name: 'Authorization Check (cached)',
    path: AuthorizationServiceService.check.path,
    prepare: ({ adminToken }) => ({
      request: CheckRequest.encode({
        subjectId: '',
        permission: 'users:read',
        resource: 'documents/bench-1',
      }).finish(),
      metadata: bearer(adminToken),
    }),
  },
  {
    name: 'Authorization CheckMany(10) (cached)',
    path: AuthorizationServiceService.checkMany.path,
    prepare: ({ adminToken }) => ({
      request: CheckManyRequest.encode({
        items: Array.from({ length: 10 }, (_, i) => ({
          subjectId: '',
          permission: `${['users', 'tenant', 'documents', 'sessions'][i % 4] ?? 'users'}:read`,
          resource: i % 2 === 0 ? '' : `documents/bench-${String(i)}`,
        })),
      }).finish(),
      metadata: bearer(adminToken),
    }),
  },
];
