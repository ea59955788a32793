import { beforeEach, describe, expect, it } from 'vitest';

import type { UnitOfWork } from '../../src/domain/shared/unit-of-work.port.js';
import { PLATFORM_TENANT_ID } from '../../src/domain/shared/platform-tenant.js';
import { aTenant, anotherTenant, TENANT_A_ID, TENANT_B_ID } from '../mothers/tenant.mother.js';

/** A unit of work over an empty store (only the platform tenant), fresh for each test. */
export type MakeUnitOfWork = () => Promise<UnitOfWork>;

const P = PLATFORM_TENANT_ID;

/** The TenantRepository port, run unchanged against every adapter. */
export function tenantRepositoryContract(name: string, makeUnitOfWork: MakeUnitOfWork): void {
  describe(`TenantRepository contract: ${name}`, () => {
    let uow: UnitOfWork;
    beforeEach(async () => {
      uow = await makeUnitOfWork();
    });

    const insertBoth = (): Promise<void> =>
      uow.inTenant(P, async ({ tenants }) => {
        await tenants.insert(aTenant());
        await tenants.insert(anotherTenant());
      });

    it('stores a tenant and finds it by id and by slug', async () => {
      await uow.inTenant(P, ({ tenants }) => tenants.insert(aTenant()));
      await uow.inTenant(P, async ({ tenants }) => {
        expect(await tenants.findById(TENANT_A_ID)).toEqual(aTenant());
        expect(await tenants.findBySlug('acme')).toEqual(aTenant());
        expect(await tenants.findBySlug('nope')).toBeUndefined();
        expect(await tenants.findById('0f000000-0000-4000-8000-00000000000f')).toBeUndefined();
        expect(await tenants.findByIdForUpdate(TENANT_A_ID)).toEqual(aTenant());
        expect(
          await tenants.findByIdForUpdate('0f000000-0000-4000-8000-00000000000f'),
        ).toBeUndefined();
      });
    });

    it('has the platform tenant from the start', async () => {
      const platform = await uow.inTenant(P, ({ tenants }) => tenants.findBySlug('platform'));
      expect(platform).toMatchObject({ id: P, slug: 'platform', status: 'active' });
    });

    it('refuses a second tenant with the same slug with TENANT_SLUG_TAKEN', async () => {
      await uow.inTenant(P, ({ tenants }) => tenants.insert(aTenant()));
      const attempt = uow.inTenant(P, ({ tenants }) =>
        tenants.insert(anotherTenant({ slug: 'acme' })),
      );
      await expect(attempt).rejects.toMatchObject({
        category: 'already_exists',
        code: 'TENANT_SLUG_TAKEN',
        metadata: { slug: 'acme' },
      });
      expect(await uow.inTenant(P, ({ tenants }) => tenants.findById(TENANT_B_ID))).toBeUndefined();
    });

    it('lists by slug in keyset pages, with an optional status filter', async () => {
      await uow.inTenant(P, async ({ tenants }) => {
        for (const [index, slug] of ['delta', 'alpha', 'echo', 'charlie', 'bravo'].entries()) {
          await tenants.insert(
            aTenant({
              id: `0a000000-0000-4000-8000-0000000001${String(index).padStart(2, '0')}`,
              slug,
              status: slug === 'charlie' ? 'suspended' : 'active',
            }),
          );
        }
      });
      const slugs = (page: { items: readonly { slug: string }[] }): string[] =>
        page.items.map((t) => t.slug);
      await uow.inTenant(P, async ({ tenants }) => {
        const first = await tenants.list({ limit: 2, after: undefined }, undefined);
        expect(slugs(first)).toEqual(['alpha', 'bravo']);
        expect(first.nextAfter).toBe('bravo');
        const second = await tenants.list({ limit: 2, after: first.nextAfter }, undefined);
        expect(slugs(second)).toEqual(['charlie', 'delta']);
        const third = await tenants.list({ limit: 2, after: second.nextAfter }, undefined);
        expect(slugs(third)).toEqual(['echo', 'platform']);
        expect(third.nextAfter).toBeUndefined();
        const suspended = await tenants.list({ limit: 10, after: undefined }, 'suspended');
        expect(slugs(suspended)).toEqual(['charlie']);
        const active = await tenants.list({ limit: 3, after: 'alpha' }, 'active');
        expect(slugs(active)).toEqual(['bravo', 'delta', 'echo']);
        expect(active.nextAfter).toBe('echo');
      });
    });

    it('updates a tenant (created_at unchanged) and refuses a taken slug', async () => {
      await insertBoth();
      const changed = aTenant({
        displayName: 'Acme Inc.',
        plan: 'pro',
        status: 'past_due',
        selfSignUpEnabled: true,
        updatedAt: new Date('2025-02-03T04:05:06.789Z'),
      });
      await uow.inTenant(P, ({ tenants }) => tenants.update(changed));
      expect(await uow.inTenant(P, ({ tenants }) => tenants.findById(TENANT_A_ID))).toEqual(
        changed,
      );

      const clash = uow.inTenant(P, ({ tenants }) => tenants.update(aTenant({ slug: 'globex' })));
      await expect(clash).rejects.toMatchObject({ code: 'TENANT_SLUG_TAKEN' });
    });

    it('updating an unknown tenant fails with TENANT_NOT_FOUND', async () => {
      const attempt = uow.inTenant(P, ({ tenants }) => tenants.update(aTenant()));
      await expect(attempt).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    });

    it("confines a tenant's scope to itself; the platform scope sees every tenant", async () => {
      await insertBoth();
      await uow.inTenant(TENANT_A_ID, async ({ tenants }) => {
        expect(await tenants.findById(TENANT_A_ID)).toEqual(aTenant());
        expect(await tenants.findBySlug('acme')).toEqual(aTenant());
        expect(await tenants.findById(TENANT_B_ID)).toBeUndefined();
        expect(await tenants.findBySlug('globex')).toBeUndefined();
        expect(await tenants.findById(P)).toBeUndefined();
        const page = await tenants.list({ limit: 10, after: undefined }, undefined);
        expect(page.items.map((t) => t.id)).toEqual([TENANT_A_ID]);
      });
      await uow.inTenant(P, async ({ tenants }) => {
        const page = await tenants.list({ limit: 10, after: undefined }, undefined);
        expect(page.items.map((t) => t.slug)).toEqual(['acme', 'globex', 'platform']);
      });
    });

    it("a tenant's scope can neither update nor create another tenant", async () => {
      await insertBoth();
      const update = uow.inTenant(TENANT_A_ID, ({ tenants }) =>
        tenants.update(anotherTenant({ displayName: 'Hijacked' })),
      );
      await expect(update).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
      const insert = uow.inTenant(TENANT_A_ID, ({ tenants }) =>
        tenants.insert(aTenant({ id: '0f000000-0000-4000-8000-0000000000ff', slug: 'sneaky' })),
      );
      await expect(insert).rejects.toThrow(/row-level security/);
      await uow.inTenant(P, async ({ tenants }) => {
        expect(await tenants.findById(TENANT_B_ID)).toEqual(anotherTenant());
        expect(await tenants.findBySlug('sneaky')).toBeUndefined();
      });
    });

    it('commits when the work resolves and leaves no write behind when it throws', async () => {
      const failing = uow.inTenant(P, async ({ tenants }) => {
        await tenants.insert(aTenant());
        await tenants.update(aTenant({ displayName: 'changed' }));
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      expect(await uow.inTenant(P, ({ tenants }) => tenants.findById(TENANT_A_ID))).toBeUndefined();

      const value = await uow.inTenant(P, async ({ tenants }) => {
        await tenants.insert(aTenant());
        return 42;
      });
      expect(value).toBe(42);
      expect(await uow.inTenant(P, ({ tenants }) => tenants.findById(TENANT_A_ID))).toEqual(
        aTenant(),
      );
    });

    it('after a failed statement, even one the work caught, nothing else runs and nothing commits', async () => {
      await uow.inTenant(P, ({ tenants }) => tenants.insert(aTenant()));
      const outcome = uow.inTenant(P, async ({ tenants }) => {
        await tenants.insert(anotherTenant());
        await tenants
          .insert(anotherTenant({ id: '0f000000-0000-4000-8000-0000000000f1', slug: 'acme' }))
          .catch(() => undefined);
        await tenants.findById(TENANT_B_ID);
      });
      await expect(outcome).rejects.toThrow(/current transaction is aborted/);
      expect(await uow.inTenant(P, ({ tenants }) => tenants.findById(TENANT_B_ID))).toBeUndefined();
    });

    it('a work that catches a failed statement and returns commits nothing, and says so', async () => {
      await uow.inTenant(P, ({ tenants }) => tenants.insert(aTenant()));
      const outcome = uow.inTenant(P, async ({ tenants }) => {
        await tenants.insert(anotherTenant());
        await tenants
          .insert(anotherTenant({ id: '0f000000-0000-4000-8000-0000000000f1', slug: 'acme' }))
          .catch(() => undefined);
      });
      await expect(outcome).rejects.toThrow(/rolled back/);
      expect(await uow.inTenant(P, ({ tenants }) => tenants.findById(TENANT_B_ID))).toBeUndefined();
    });

    it('sees its own uncommitted writes inside the unit of work', async () => {
      await uow.inTenant(P, async ({ tenants }) => {
        await tenants.insert(aTenant());
        expect(await tenants.findBySlug('acme')).toEqual(aTenant());
      });
    });
  });
}
