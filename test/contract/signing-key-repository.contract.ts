import { beforeEach, describe, expect, it } from 'vitest';

import type { SigningKeyRepository } from '../../src/domain/identity/signing-key.repository.port.js';
import type { SigningKey } from '../../src/domain/identity/signing-key.js';

const aKey = (overrides: Partial<SigningKey> = {}): SigningKey => ({
  kid: 'key-2025-01',
  algorithm: 'EdDSA',
  publicJwk: {
    kty: 'OKP',
    crv: 'Ed25519',
    x: 'eHh4',
    kid: 'key-2025-01',
    alg: 'EdDSA',
    use: 'sig',
  },
  sealedPrivateJwk: new Uint8Array([1, 2, 3, 250, 0, 7]),
  createdAt: new Date('2025-01-01T00:00:00.000Z'),
  retiredAt: undefined,
  ...overrides,
});

/** The SigningKeyRepository port (platform-wide, no tenant), run against every adapter. */
export function signingKeyRepositoryContract(
  name: string,
  make: () => Promise<SigningKeyRepository>,
): void {
  describe(`SigningKeyRepository contract: ${name}`, () => {
    let keys: SigningKeyRepository;
    beforeEach(async () => {
      keys = await make();
    });

    it('stores keys and lists the publishable ones oldest first, bytes and JWK intact', async () => {
      const second = aKey({ kid: 'key-2025-02', createdAt: new Date('2025-02-01T00:00:00.000Z') });
      await keys.insert(second);
      await keys.insert(aKey());
      expect(await keys.listPublishable(new Date('2025-03-01T00:00:00.000Z'))).toEqual([
        aKey(),
        second,
      ]);
    });

    const successor = (kid: string, day: number): SigningKey =>
      aKey({ kid, createdAt: new Date(Date.UTC(2025, 0, day)) });

    it('keeps a retired key publishable until the cut-off passes its retirement', async () => {
      await keys.insert(aKey());
      const retiredAt = new Date('2025-01-10T00:00:00.000Z');
      await keys.addSuccessor(successor('key-next', 5), retiredAt);
      expect(await keys.listPublishable(new Date('2025-01-09T00:00:00.000Z'))).toEqual([
        aKey({ retiredAt }),
        successor('key-next', 5),
      ]);
      expect(await keys.listPublishable(new Date('2025-01-10T00:00:00.000Z'))).toEqual([
        successor('key-next', 5),
      ]);
    });

    it('keeps the first retirement time when retired twice', async () => {
      await keys.insert(aKey());
      const first = new Date('2025-01-10T00:00:00.000Z');
      const second = new Date('2025-01-20T00:00:00.000Z');
      await keys.addSuccessor(successor('key-b', 5), first);
      await keys.addSuccessor(successor('key-c', 15), second);
      expect(await keys.listPublishable(new Date('2025-01-01T00:00:00.000Z'))).toEqual([
        aKey({ retiredAt: first }),
        { ...successor('key-b', 5), retiredAt: second },
        successor('key-c', 15),
      ]);
    });

    it('keeps the activation time, and a retirement set in the future', async () => {
      const activatesAt = new Date('2025-01-01T00:05:00.000Z');
      await keys.insert(aKey({ activatesAt }));
      const retiredAt = new Date('2025-02-01T00:00:00.000Z');
      await keys.addSuccessor(successor('key-next', 14), retiredAt);
      expect(await keys.listPublishable(new Date('2025-01-15T00:00:00.000Z'))).toEqual([
        aKey({ activatesAt, retiredAt }),
        successor('key-next', 14),
      ]);
    });

    it('refuses a second key with the same kid', async () => {
      await keys.insert(aKey());
      await expect(keys.insert(aKey())).rejects.toMatchObject({ code: '23505' });
    });

    it('adds a successor and retires every other unretired key at the given time', async () => {
      const earlier = new Date('2025-01-15T00:00:00.000Z');
      await keys.insert(aKey({ kid: 'key-old', retiredAt: earlier }));
      await keys.insert(aKey());
      const at = new Date('2025-02-01T00:05:00.000Z');
      const successor = aKey({
        kid: 'key-2025-02',
        createdAt: new Date('2025-02-01T00:00:00.000Z'),
      });
      await keys.addSuccessor(successor, at);
      const listed = await keys.listPublishable(new Date('2025-01-01T00:00:00.000Z'));
      expect(listed.map((key) => [key.kid, key.retiredAt])).toEqual([
        ['key-2025-01', at],
        ['key-old', earlier],
        ['key-2025-02', undefined],
      ]);
    });

    it('runs what follows writes made outside any transaction at once, and waits for it', async () => {
      await keys.insert(aKey());
      let seen: string[] = [];
      await keys.afterWrites(async () => {
        seen = (await keys.listPublishable(new Date('2025-03-01T00:00:00.000Z'))).map(
          (key) => key.kid,
        );
      });
      expect(seen).toEqual([aKey().kid]);
    });
  });
}
