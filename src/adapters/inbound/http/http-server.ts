import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { JwksPublisher } from '../../../application/identity/publish-jwks.js';

export interface HttpServerDeps {
  readonly jwks: JwksPublisher;
  /** Whether the service can do its work (database reachable). */
  readonly ready: () => Promise<boolean>;
  readonly metrics: Registry;
  readonly logger: Logger;
}

export interface RunningHttpServer {
  readonly port: number;
  /** Stops accepting; open connections get `graceMs` to finish, then are cut. */
  close(graceMs: number): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function send(res: ServerResponse, statusCode: number, contentType: string, body: string): void {
  res.writeHead(statusCode, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** Health, readiness, metrics and the JWK Set. Webhooks and the OIDC callback join later. */
export async function startHttpServer(
  host: string,
  port: number,
  deps: HttpServerDeps,
): Promise<RunningHttpServer> {
  const routes: Record<string, Route> = {
    '/healthz': (_req, res) => {
      send(res, 200, 'text/plain', 'ok\n');
      return Promise.resolve();
    },
    '/readyz': async (_req, res) => {
      const ready = await deps.ready().catch(() => false);
      send(res, ready ? 200 : 503, 'text/plain', ready ? 'ready\n' : 'not ready\n');
    },
    '/metrics': async (_req, res) => {
      send(res, 200, deps.metrics.contentType, await deps.metrics.metrics());
    },
    '/.well-known/jwks.json': async (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=300');
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(await deps.jwks.run());
    },
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    if (route === undefined) {
      send(res, 404, 'text/plain', 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    route(req, res).catch((error: unknown) => {
      deps.logger.error({ err: error, path }, 'http route failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          server.closeAllConnections();
        }, graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
