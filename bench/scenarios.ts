// The benchmark's registry of RPCs. To benchmark a new RPC, add one entry to `scenarios`:
// a name, the method path, and `prepare`, which gets the setup context (service address, the
// platform admin's token, a tenant made for the run) and returns the pre-encoded request plus
// metadata. The load generator sends those same bytes on every call, so it stays generic.
import {
  GetTenantRequest,
  TenancyServiceService,
} from '../src/adapters/inbound/grpc/generated/wemaster/core/v1/tenancy.js';
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
}

export interface Scenario {
  /** Short name shown in the table; BENCH_SCENARIOS filters on it. */
  name: string;
  /** Full gRPC method path. */
  path: string;
  /** Encode the request once and name the metadata, using the run's setup. */
  prepare(context: BenchContext): PreparedCall | Promise<PreparedCall>;
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

export const scenarios: readonly Scenario[] = [
  {
    name: 'Health/Check',
    path: HEALTH_CHECK_PATH,
    // HealthCheckRequest { string service = 1 } with service "" (the whole server): no bytes.
    prepare: () => ({ request: new Uint8Array(0), metadata: {} }),
  },
  {
    name: 'GetTenant by slug (cached)',
    path: TenancyServiceService.getTenant.path,
    prepare: ({ adminToken, tenant }) => ({
      request: GetTenantRequest.encode({ lookup: { $case: 'slug', value: tenant.slug } }).finish(),
      metadata: bearer(adminToken),
    }),
  },
];
