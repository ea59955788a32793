import type { PasswordLogin } from '../../../../application/identity/login.js';
import type { JwksPublisher } from '../../../../application/identity/publish-jwks.js';
import type { IdentityServiceServer } from '../generated/wemaster/core/v1/identity.js';
import type { AsyncService } from '../unary-handler.js';

export interface IdentityUseCases {
  readonly login: PasswordLogin;
  readonly jwks: JwksPublisher;
}

export function identityHandlers(useCases: IdentityUseCases): AsyncService<IdentityServiceServer> {
  return {
    login: async (request) => {
      const issued = await useCases.login.run(request);
      return {
        result: {
          $case: 'tokens',
          value: {
            accessToken: issued.token,
            tokenType: 'Bearer',
            accessTokenExpireTime: issued.expiresAt,
            refreshToken: '',
            refreshTokenExpireTime: undefined,
          },
        },
      };
    },
    getJwks: async () => ({ keysJson: await useCases.jwks.run() }),
  };
}
