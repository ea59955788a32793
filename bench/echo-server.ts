// The floor: a bare grpc-js server with one unary method that returns the request bytes.
// No protos, no interceptors, no I/O: what any grpc-js service costs at the least on this machine.
//
// Run as a child process of bench/run.ts (reports its port over IPC), or on its own:
//   npx tsx bench/echo-server.ts [port]
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ECHO_PATH, rawUnaryMethod, type EchoListening } from './protocol.js';

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

export async function startEchoServer(port = 0, host = '127.0.0.1'): Promise<EchoServer> {
  const server = new grpc.Server();
  const echo: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    callback(null, call.request);
  };
  server.addService({ echo: rawUnaryMethod(ECHO_PATH) }, { echo });
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => {
      if (error) reject(error);
      else resolve(p);
    });
  });
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          resolve();
        });
      }),
  };
}

const entry = process.argv[1];
const runAsMain = entry !== undefined && import.meta.url === pathToFileURL(entry).href;
if (runAsMain) {
  const server = await startEchoServer(Number(process.argv[2] ?? 0));
  const listening: EchoListening = { type: 'listening', port: server.port };
  if (process.send) process.send(listening);
  else console.log(`echo server listening on 127.0.0.1:${server.port}`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}
