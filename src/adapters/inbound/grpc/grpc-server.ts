import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { PackageDefinition } from '@grpc/proto-loader';

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
}

export interface RegisteredService {
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** Stops accepting calls, lets in-flight ones finish within `graceMs`, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/** The grpc-js server: our services plus standard health checking and reflection. */
export async function startGrpcServer(
  options: GrpcServerOptions,
  services: readonly RegisteredService[],
  packageDefinition: PackageDefinition,
): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    // No channelz service is exposed: its per-call bookkeeping (trackers, timestamps, closures)
    // would be paid on every call for nobody. Calls are counted in /metrics instead.
    'grpc.enable_channelz': 0,
  });
  const health = new HealthImplementation({ '': 'SERVING' });
  for (const service of services) {
    server.addService(service.definition, service.implementation);
    health.setStatus(service.name, 'SERVING');
  }
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host}:${String(options.port)}`,
      ServerCredentials.createInsecure(),
      (error, boundPort) => {
        if (error) reject(error);
        else resolve(boundPort);
      },
    );
  });

  return {
    port,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        for (const service of services) health.setStatus(service.name, 'NOT_SERVING');
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
