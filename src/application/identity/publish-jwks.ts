import type { JwksProvider } from '../../domain/identity/jwks-provider.port.js';

/** The JWK Set that verifies access tokens, for gRPC and HTTP alike. */
export class JwksPublisher {
  constructor(private readonly keys: JwksProvider) {}

  run(): Promise<string> {
    return this.keys.publishedKeys();
  }
}
