import { InMemorySigningKeyRepository } from '../../src/adapters/outbound/memory/in-memory-signing-key.repository.js';
import { InMemoryTenantDirectory } from '../../src/adapters/outbound/memory/in-memory-tenant-directory.js';
import { InMemoryUnitOfWork } from '../../src/adapters/outbound/memory/in-memory-unit-of-work.js';
import { MemoryDatabase } from '../../src/adapters/outbound/memory/memory-database.js';
import { signingKeyRepositoryContract } from './signing-key-repository.contract.js';
import { tenantDirectoryContract } from './tenant-directory.contract.js';

tenantDirectoryContract('InMemoryTenantDirectory', () => {
  const database = new MemoryDatabase();
  return Promise.resolve({
    directory: new InMemoryTenantDirectory(database),
    unitOfWork: new InMemoryUnitOfWork(database),
  });
});

signingKeyRepositoryContract('InMemorySigningKeyRepository', () =>
  Promise.resolve(new InMemorySigningKeyRepository()),
);
